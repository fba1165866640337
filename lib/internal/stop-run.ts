/**
 * One stop (or crash teardown) of one service: the step it is in, the phases still pending, the
 * errors collected, and the deadline it runs under. The root of a stop owns the deadline; every
 * stop beneath it is handed that deadline as data, so its expiry reaches the whole subtree.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import { ServiceStopError, type StuckPhase } from '../errors.js';
import type { StopReason } from '../events.js';

/** A phase being awaited, with the scheduler time it began. */
export interface PendingPhase {
  readonly phase: string;
  readonly since: number;
}

/** The steps of a stop, in order (section 3.2 of the contract). */
export type StopStep =
  'onCrash' | 'start-hook' | 'onStop' | 'children' | 'work' | 'teardowns' | 'onShutdown' | 'done';

/**
 * @internal The budget of one stop of a tree: every stop run under it, and the deadlines of subtrees
 * that were already stopping on their own when this stop reached them.
 */
export class StopDeadline {
  /** Set once the budget ran out: later phases are called but not awaited. */
  expired = false;
  #runs: StopRun[] = [];
  #joined: StopDeadline[] | undefined;
  #timer: Subscription | undefined;

  /** Arms the timer (once); `onExpiry` runs when the budget runs out. */
  arm(scheduler: SchedulerLike, ms: number, onExpiry: () => void): void {
    if (this.#timer || this.expired) return;
    this.#timer = scheduler.schedule(onExpiry, ms);
  }

  /** Stops the timer (the stop finished in time). */
  disarm(): void {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
  }

  /** A stop that runs under this deadline. */
  enlist(run: StopRun): void {
    this.#runs.push(run);
  }

  /** A subtree already stopping under a deadline of its own: it must also end by this one. */
  join(other: StopDeadline): void {
    if (other === this) return;
    if (this.expired) other.expire(0);
    else (this.#joined ??= []).push(other);
  }

  /** Abandons every run under this deadline (and joined ones); returns what each was awaiting. */
  expire(now: number): StuckPhase[] {
    const stuck: StuckPhase[] = [];
    if (this.expired) return stuck;
    this.expired = true;
    this.disarm();
    for (const run of this.#runs) {
      for (const { phase, since } of run.pending ?? [])
        stuck.push({ path: run.path, phase, elapsedMs: now - since });
    }
    for (const run of this.#runs) run.abandon();
    for (const other of this.#joined ?? []) stuck.push(...other.expire(now));
    return stuck;
  }
}

/** @internal The bookkeeping of one stop of one service. */
export class StopRun {
  /** The step the stop is in. */
  step: StopStep = 'onStop';
  /** The promise of this stop, shared by concurrent `stop()` calls. */
  promise: Promise<void> | undefined;
  /** Errors collected from every stop step (reported together as `ServiceStopError`), if any. */
  errors: unknown[] | undefined;
  /** The phases awaited right now, if any. */
  pending: Set<PendingPhase> | undefined;
  /** Set on the run whose own deadline expired (it reports `StopTimeoutError`). */
  stuck: StuckPhase[] | undefined;
  #abandoned = false;
  #onAbandon: (() => void)[] | undefined;

  /**
   * @param path - the service's path, for stuck reports
   * @param reason - why the service stops
   * @param deadline - the budget this stop runs under (the root's, handed down)
   * @param isRoot - this stop owns `deadline` (it was not asked for by a stopping parent)
   * @param crashing - a crash teardown: the state stays `crashed`
   */
  constructor(
    readonly path: string,
    readonly reason: StopReason,
    readonly deadline: StopDeadline,
    readonly isRoot: boolean,
    readonly crashing: boolean,
  ) {
    this.#abandoned = deadline.expired;
    deadline.enlist(this);
  }

  /** True once the deadline passed: remaining phases are called but not awaited. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  /** True once the teardowns of this stop have been taken (a later `addTeardown` runs at once). */
  get teardownsTaken(): boolean {
    return this.step === 'onShutdown' || this.step === 'done';
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
    if (this.#abandoned) return;
    this.#abandoned = true;
    const callbacks = this.#onAbandon;
    this.#onAbandon = undefined;
    if (callbacks) for (const cb of callbacks) cb();
  }

  /**
   * Awaits `pending` as phase `phase`, unless the run is abandoned first (then it resolves at once);
   * a failure is collected, never thrown.
   */
  async await(phase: string, pending: PromiseLike<unknown>, scheduler: SchedulerLike): Promise<void> {
    if (this.#abandoned) {
      Promise.resolve(pending).then(undefined, () => {});
      return;
    }
    const entry: PendingPhase = { phase, since: scheduler.now() };
    (this.pending ??= new Set()).add(entry);
    try {
      await new Promise<unknown>((resolve, reject) => {
        (this.#onAbandon ??= []).push(() => resolve(undefined));
        pending.then(resolve, reject);
      });
    } catch (error) {
      this.fail(error);
    } finally {
      this.pending.delete(entry);
    }
  }
}
