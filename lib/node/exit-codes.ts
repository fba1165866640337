/**
 * The exit codes of a Worker: 0 for a clean stop, 1 for a failure (a crash, a fatal error, a stop
 * that timed out or failed), and 128 + the signal number when a second signal forces the exit.
 */
import { constants } from 'node:os';

/** The tree stopped cleanly. */
export const EXIT_OK = 0;

/** A crash, an uncaught exception, an unhandled rejection, a stop that failed or timed out. */
export const EXIT_FAILURE = 1;

/**
 * The exit code of a process ended by `signal`, as shells report it: 128 + the signal number
 * (130 for `SIGINT`, 143 for `SIGTERM`).
 *
 * @throws TypeError for an unknown signal name.
 * @example
 * ```ts
 * signalExitCode('SIGTERM'); // 143
 * ```
 */
export function signalExitCode(signal: NodeJS.Signals): number {
  const number = (constants.signals as Record<string, number | undefined>)[signal];
  if (number === undefined)
    throw new TypeError(`signal must be a signal name such as 'SIGTERM'; received ${signal}`);
  return 128 + number;
}
