/**
 * Process listeners with removers: every listener the Worker installs goes through `listenProcess`,
 * so one teardown removes them all. Also what a signal is: the option's validation, and the window
 * within which a repeat of the same signal is the same request (one Ctrl-C relayed by npm or tsx).
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

/**
 * How long after a signal a repeat of the same signal is taken as the same request (in ms): 100.
 *
 * @remarks A Ctrl-C in a terminal sends SIGINT to the whole process group, so `npm start`, `tsx`
 * or a shell receive it at the same time as the Worker, and some of them relay it to their child
 * again a few milliseconds later (tsx after about 30 ms). Those relays are one request, not a
 * second one. A person pressing Ctrl-C twice, or an orchestrator repeating SIGTERM, does so later
 * than this, and that second signal still forces the exit.
 */
export const SIGNAL_REPEAT_WINDOW_MS = 100;

/**
 * @internal Tells a relayed repeat of a signal from a new one: a repeat of the same signal less
 * than `windowMs` after the first of its kind is the same request. One per run of the Worker.
 *
 * @example
 * ```ts
 * const repeats = new SignalRepeats();
 * repeats.isRepeat('SIGINT', 0); // false: the request
 * repeats.isRepeat('SIGINT', 30); // true: relayed by a parent process
 * repeats.isRepeat('SIGINT', 1000); // false: a second request
 * ```
 */
export class SignalRepeats {
  readonly #windowMs: number;
  /** When each signal last counted as a request. */
  readonly #counted = new Map<string, number>();

  /** @throws TypeError when `windowMs` is not a non-negative finite number. */
  constructor(windowMs = SIGNAL_REPEAT_WINDOW_MS) {
    if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs < 0) {
      throw new TypeError(`windowMs must be a non-negative number of ms; received ${show(windowMs)}`);
    }
    this.#windowMs = windowMs;
  }

  /**
   * Records `signal` arriving at `now` (ms on any clock that only moves forward); true when it
   * repeats a request of the same signal that counted less than the window before.
   */
  isRepeat(signal: string, now: number): boolean {
    const counted = this.#counted.get(signal);
    if (counted !== undefined && now - counted < this.#windowMs) return true;
    this.#counted.set(signal, now);
    return false;
  }
}
