/**
 * Process listeners with removers: every listener the Worker installs goes through `listenProcess`,
 * so one teardown removes them all.
 */
import { constants } from 'node:os';
import { show } from '../internal/format.js';

/** Signals a process cannot catch. */
const UNCATCHABLE: readonly string[] = ['SIGKILL', 'SIGSTOP'];

/**
 * Adds `listener` for a process event and returns the function that removes it again.
 *
 * @example
 * ```ts
 * const off = listenProcess('SIGTERM', () => app.stop());
 * off();
 * ```
 */
export function listenProcess(event: string, listener: (...args: any[]) => void): () => void {
  process.on(event as NodeJS.Signals, listener);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    process.removeListener(event, listener);
  };
}

/**
 * @internal Validates the `signals` option: a list of catchable signal names.
 * @throws TypeError naming the option and the value.
 */
export function checkSignals(value: unknown, option = 'signals'): NodeJS.Signals[] {
  if (!Array.isArray(value))
    throw new TypeError(`${option} must be an array of signal names; received ${show(value)}`);
  const known = constants.signals as Record<string, number | undefined>;
  for (const signal of value) {
    if (typeof signal !== 'string' || known[signal] === undefined || UNCATCHABLE.includes(signal)) {
      throw new TypeError(
        `${option} must hold catchable signal names such as 'SIGTERM'; received ${show(signal)}`,
      );
    }
  }
  return [...new Set(value as NodeJS.Signals[])];
}
