/**
 * One stop (or crash teardown) of one service: the step it is in, the phases still pending, the
 * errors collected, and the deadline it runs under. A stop asked for by a stopping parent is created
 * under the parent's run, so the runs of one stop form a tree whose root owns the deadline: the
 * deadline travels down as data, and its expiry reaches every run below (and the subtrees that were
 * already stopping on their own when this stop reached them, which join it).
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import { ServiceStopError } from '../errors.js';
import type { StopReason, StuckPhase } from '../events.js';
import type { ServiceState } from '../state.js';
import { stopRun } from './symbols.js';

/** A phase being awaited, with the scheduler time it began. */
export interface PendingPhase {
  readonly phase: string;
  readonly since: number;
}

/** The steps of a stop, in order (section 3.2 of the contract). */
export type StopStep =
  'onCrash' | 'start-hook' | 'onStop' | 'children' | 'work' | 'teardowns' | 'onShutdown' | 'done';

/** A service as seen for its stop run. */
export interface StopRunHost<Run = StopRun> {
  readonly state: ServiceState;
  readonly [stopRun]: Run | undefined;
}

/** @internal The crash teardown of `host` still under way (the state already says `crashed`), if any. */
export function crashTeardownOf<Run>(host: StopRunHost<Run>): Run | undefined {
  const run = host[stopRun];
  return run && host.state === 'crashed' ? run : undefined;
}

/** @internal The bookkeeping of one stop of one service. */
export class StopRun {
  /** The step the stop is in. */
  step: StopStep = 'onStop';
  /** The promise of this stop, shared by concurrent `stop()` calls (unset while it runs synchronously). */
  promise: Promise<void> | undefined;
  /** Errors collected from every stop step (reported together as `ServiceStopError`), if any. */
  errors: unknown[] | undefined;
  /** The phases awaited right now, if any. */
  pending: Set<PendingPhase> | undefined;
  /** Set on a root run whose deadline expired (it reports `StopTimeoutError`). */
  stuck: StuckPhase[] | undefined;
  readonly #parent: StopRun | undefined;
  /** The runs below this one, and (on a root) the runs that joined its deadline. */
  #below: StopRun[] | undefined;
  #abandoned: boolean;
  #onAbandon: (() => void)[] | undefined;
  /** The deadline timer (a root run only). */
  #timer: Subscription | undefined;

  /**
   * @param service - the service that stops (its path names what is stuck)
   * @param reason - why the service stops
   * @param parent - the run of the stopping parent this stop was asked by; none for the root of a stop
   * @param crashing - a crash teardown: the state stays `crashed`
   */
  constructor(
    readonly service: { readonly path: string },
    readonly reason: StopReason,
    parent: StopRun | undefined,
    readonly crashing: boolean,
  ) {
    this.#parent = parent;
    this.#abandoned = parent !== undefined && parent.#abandoned;
    if (parent) (parent.#below ??= []).push(this);
  }

  /** True for the root of a stop: it owns the deadline. */
  get isRoot(): boolean {
    return this.#parent === undefined;
  }

  /** True once the deadline passed: remaining phases are called but not awaited. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  /** True once the teardowns of this stop have been taken (a later `addTeardown` runs at once). */
  get teardownsTaken(): boolean {
    return this.step === 'onShutdown' || this.step === 'done';
  }

  /** Arms the deadline of a root run (once); `onExpiry` runs when the budget runs out. */
  arm(scheduler: SchedulerLike, ms: number, onExpiry: () => void): void {
    if (this.#parent || this.#timer || this.#abandoned) return;
    this.#timer = scheduler.schedule(onExpiry, ms);
  }

  /** Stops the deadline timer (the stop finished in time). */
  disarm(): void {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
  }

  /** The root of this run's stop: the run that owns the deadline. */
  get root(): StopRun {
    return this.#parent ? this.#parent.root : this;
  }

  /** True while the deadline of a root run is armed, or once it passed. */
  get isArmed(): boolean {
    return this.#timer !== undefined || this.#abandoned;
  }

  /** A stop that was already under way (with a deadline of its own) must also end by this one's. */
  join(other: StopRun): void {
    const root = this.root;
    const otherRoot = other.root;
    if (otherRoot === root) return;
    if (root.#abandoned) otherRoot.expire(0);
    else (root.#below ??= []).push(otherRoot);
  }

  /** The deadline passed: abandons this run and every run below; returns what each was awaiting. */
  expire(now: number): StuckPhase[] {
    const stuck: StuckPhase[] = [];
    const runs: StopRun[] = [];
    const visit = (run: StopRun): void => {
      if (run.#abandoned && run !== this) return;
      runs.push(run);
      for (const below of run.#below ?? []) visit(below);
    };
    visit(this);
    for (const run of runs) {
      for (const { phase, since } of run.pending ?? []) {
        stuck.push({ path: run.service.path, phase, elapsedMs: now - since });
      }
    }
    this.disarm();
    for (const run of runs) run.abandon();
    return stuck;
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
    this.disarm();
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
