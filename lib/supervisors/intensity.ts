/**
 * The restart intensity of a supervisor: the times of recent events within a sliding, half-open
 * window of `over` ms (an event exactly `over` ago no longer counts).
 */

/** @internal Times of events within the last `windowMs` of scheduler time. */
export class IntensityWindow {
  readonly windowMs: number;
  #times: number[] = [];

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  /** The events within `(now - windowMs, now]`. */
  count(now: number): number {
    const times = this.#times;
    let expired = 0;
    while (expired < times.length && now - times[expired]! >= this.windowMs) expired++;
    if (expired > 0) times.splice(0, expired);
    return times.length;
  }

  /** Records an event at `now`. */
  record(now: number): void {
    this.#times.push(now);
  }

  /** Forgets every event. */
  clear(): void {
    this.#times = [];
  }
}
