/**
 * What tells a service's work that its run is ending: the run's `AbortSignal` (a new one per run) and
 * the callbacks of `stop$`, `sleep()` and the waits. Allocated on first use.
 */
import type { StopReason } from '../events.js';

/** @internal The abort side of a service's runs. */
export class StopSignal {
  #abort: AbortController | undefined;
  #waiters: Set<(reason: StopReason) => void> | undefined;

  /** @param abortReason - builds `signal.reason` for a stop reason */
  constructor(readonly abortReason: (reason: StopReason) => Error) {}

  /** The run's signal; `stopped` is the reason of the stop that already began, if one did. */
  signal(stopped: StopReason | undefined): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (stopped) this.#abort.abort(this.abortReason(stopped));
    }
    return this.#abort.signal;
  }

  /** Calls `waiter` once when the stop begins; returns a function that forgets it. */
  onStopBegin(waiter: (reason: StopReason) => void): () => void {
    (this.#waiters ??= new Set()).add(waiter);
    return () => this.#waiters?.delete(waiter);
  }

  /** A new run begins: the next `signal` is a fresh one. */
  reset(): void {
    this.#abort = undefined;
  }

  /** The stop began: `signal` aborts, then every waiter is called once. */
  announce(reason: StopReason): void {
    this.#abort?.abort(this.abortReason(reason));
    const waiters = this.#waiters;
    this.#waiters = undefined;
    if (waiters) for (const waiter of waiters) waiter(reason);
  }
}
