/**
 * One stop (or crash teardown) of one service: the phases still pending, the errors collected, and
 * abandonment when the stop budget of the tree runs out. Allocates only what a stop actually uses.
 */
import type { SchedulerLike } from 'rxjs';
import { ServiceStopError, type StuckPhase } from '../errors.js';

/** A phase being awaited, with the scheduler time it began. */
export interface PendingPhase {
  readonly phase: string;
  readonly since: number;
}

/** @internal The bookkeeping of one stop of one service. */
export class StopRun {
  /** Errors collected from every stop step (reported together as `ServiceStopError`), if any. */
  errors: unknown[] | undefined;
  /** The phases awaited right now, if any. */
  pending: Set<PendingPhase> | undefined;
  /** Set when the budget ran out: remaining phases are called but not awaited. */
  abandoned: boolean;
  /** Set on the run whose own budget expired (it reports `StopTimeoutError`). */
  stuck: StuckPhase[] | undefined;
  #onAbandon: (() => void)[] | undefined;

  constructor(abandoned: boolean) {
    this.abandoned = abandoned;
  }

  /** Collects the failure of a stop step. */
  fail(error: unknown): void {
    (this.errors ??= []).push(error);
  }

  /** Collects a child's stop failure, flattening its `ServiceStopError`. */
  failChild(error: unknown): void {
    if (error instanceof ServiceStopError) for (const e of error.errors) this.fail(e);
    else this.fail(error);
  }

  /** Marks the run abandoned and releases every phase it was awaiting. */
  abandon(): void {
    if (this.abandoned) return;
    this.abandoned = true;
    const callbacks = this.#onAbandon;
    this.#onAbandon = undefined;
    if (callbacks) for (const cb of callbacks) cb();
  }

  /** Awaits `pending` as phase `phase`, unless the run is abandoned first (then it resolves at once). */
  async await(phase: string, pending: PromiseLike<unknown>, scheduler: SchedulerLike): Promise<unknown> {
    if (this.abandoned) {
      Promise.resolve(pending).then(undefined, () => {});
      return undefined;
    }
    const entry: PendingPhase = { phase, since: scheduler.now() };
    (this.pending ??= new Set()).add(entry);
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
