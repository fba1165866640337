/**
 * The backoff sequence of the restarts of one child: exponential growth capped at `max`, random
 * jitter around each delay, and the attempt count that starts again after a healthy run.
 */
import type { ResolvedBackoff } from './options.js';

/** A draw uniform in [0, 1), or the function that makes one (called only when there is jitter). */
export type Random = number | (() => number);

/**
 * @internal The delay in ms before restart attempt `attempt` (1, 2, …).
 *
 * @remarks `min(max, initial × factor^(attempt-1))`, then moved by `jitter × delay × (2r − 1)` where r
 * comes from `random` (uniform in [0, 1)), rounded to whole ms and never negative. No backoff: 0.
 */
export function backoffDelay(
  backoff: ResolvedBackoff | undefined,
  attempt: number,
  random: Random = Math.random,
): number {
  if (!backoff) return 0;
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** (attempt - 1));
  if (backoff.jitter === 0) return Math.max(0, Math.round(base));
  const r = typeof random === 'number' ? random : random();
  return Math.max(0, Math.round(base + backoff.jitter * base * (2 * r - 1)));
}

/**
 * @internal The attempt number of a child's next restart: `attempt + 1`, or 1 when it has been
 * `running` since `runningSince` for at least `resetAfterMs` at `now`.
 */
export function nextAttempt(
  attempt: number,
  runningSince: number | undefined,
  now: number,
  resetAfterMs: number,
): number {
  return runningSince !== undefined && now - runningSince >= resetAfterMs ? 1 : attempt + 1;
}

/** @internal The attempt count of one child, with the time it last became `running`. */
export class AttemptCounter {
  #attempt = 0;
  #runningSince: number | undefined;

  /** The child became `running` at `now`. */
  running(now: number): void {
    this.#runningSince = now;
  }

  /** The attempt of the last restart decided (0: none yet). */
  get attempt(): number {
    return this.#attempt;
  }

  /** When the child last became `running`, unless a restart was decided since. */
  get runningSince(): number | undefined {
    return this.#runningSince;
  }

  /** A restart was decided as attempt `attempt` (see `nextAttempt`). */
  set(attempt: number): void {
    this.#attempt = attempt;
    this.#runningSince = undefined;
  }

  /** Forgets every attempt (a new run of the supervisor). */
  reset(): void {
    this.#attempt = 0;
    this.#runningSince = undefined;
  }

  /** Takes over the count of another child (a replacement continues the crashed one's sequence). */
  copyFrom(other: AttemptCounter): void {
    this.#attempt = other.#attempt;
  }
}
