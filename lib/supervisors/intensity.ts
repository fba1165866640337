/**
 * The restart intensity of a supervisor: the times of recent events within a sliding, half-open
 * window of `over` ms (an event exactly `over` ago no longer counts).
 */

/**
 * @internal The events of `times` (ascending) within `(now - windowMs, now]`.
 *
 * @remarks Pure: leading times at least `windowMs` before `now` are skipped, the rest counted.
 */
export function countWithin(times: readonly number[], now: number, windowMs: number): number {
  let expired = 0;
  while (expired < times.length && now - times[expired]! >= windowMs) expired++;
  return times.length - expired;
}

/** @internal Times of events within the last `windowMs` of scheduler time. */
export class IntensityWindow {
  readonly windowMs: number;
  #times: number[] = [];

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  /** The recorded times, oldest first (some may have left the window already). */
  get times(): readonly number[] {
    return this.#times;
  }

  /** Records an event at `now`, forgetting those that left the window. */
  record(now: number): void {
    this.#prune(now);
    this.#times.push(now);
  }

  /** Forgets every event. */
  clear(): void {
    this.#times = [];
  }

  #prune(now: number): void {
    const expired = this.#times.length - countWithin(this.#times, now, this.windowMs);
    if (expired > 0) this.#times.splice(0, expired);
  }
}
