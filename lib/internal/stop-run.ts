/**
 * One stop (or crash teardown) of one service: the phases still pending, the errors collected, and
 * abandonment when the stop budget of the tree runs out.
 */
import type { StuckPhase } from '../errors.js';

/** @internal The bookkeeping of one stop of one service. */
export class StopRun {
  /** Errors collected from every stop step (reported together as `ServiceStopError`). */
  readonly errors: unknown[] = [];
  /** The phases awaited right now, with the scheduler time each began. */
  readonly pending = new Set<{ readonly phase: string; readonly since: number }>();
  /** Set when the budget ran out: remaining phases are called but not awaited. */
  abandoned: boolean;
  /** Set on the run whose own budget expired (it reports `StopTimeoutError`). */
  stuck: StuckPhase[] | undefined;
  #onAbandon: (() => void)[] | undefined;

  constructor(abandoned: boolean) {
    this.abandoned = abandoned;
  }

  /** Marks the run abandoned and releases every phase it was awaiting. */
  abandon(): void {
    if (this.abandoned) return;
    this.abandoned = true;
    const callbacks = this.#onAbandon;
    this.#onAbandon = undefined;
    if (callbacks) for (const cb of callbacks) cb();
  }

  /**
   * Awaits `pending` as phase `phase`, unless the run is abandoned first. A rejection is collected
   * (and returned) rather than thrown.
   */
  async await(phase: string, pending: PromiseLike<unknown>, now: () => number): Promise<unknown> {
    if (this.abandoned) {
      Promise.resolve(pending).then(undefined, () => {});
      return undefined;
    }
    const entry = { phase, since: now() };
    this.pending.add(entry);
    try {
      return await new Promise<unknown>((resolve, reject) => {
        (this.#onAbandon ??= []).push(() => resolve(undefined));
        pending.then(resolve, reject);
      });
    } finally {
      this.pending.delete(entry);
    }
  }
}
