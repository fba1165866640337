/**
 * The backoff sequence of the restarts of one child: exponential growth capped at `max`, random
 * jitter around each delay, and the attempt count that starts again after a healthy run.
 */
import type { ResolvedBackoff } from './options.js';

/**
 * @internal The delay in ms before restart attempt `attempt` (1, 2, …).
 *
 * @remarks `min(max, initial × factor^(attempt-1))`, then moved by `jitter × delay × (2r − 1)` where r
 * comes from `random` (uniform in [0, 1)), rounded to whole ms and never negative. No backoff: 0.
 */
export function backoffDelay(
  backoff: ResolvedBackoff | undefined,
  attempt: number,
  random: () => number = Math.random,
): number {
  if (!backoff) return 0;
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** (attempt - 1));
  const spread = backoff.jitter === 0 ? 0 : backoff.jitter * base * (2 * random() - 1);
  return Math.max(0, Math.round(base + spread));
}

/** @internal The attempt count of one child, with the time it last became `running`. */
export class AttemptCounter {
  #attempt = 0;
  #runningSince: number | undefined;

  /** The child became `running` at `now`. */
  running(now: number): void {
    this.#runningSince = now;
  }

  /**
   * The child failed at `now`: the next attempt number, after starting again at 1 when it had run at
   * least `resetAfterMs` since it last became `running`.
   */
  next(now: number, resetAfterMs: number): number {
    if (this.#runningSince !== undefined && now - this.#runningSince >= resetAfterMs) this.#attempt = 0;
    this.#runningSince = undefined;
    return ++this.#attempt;
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
