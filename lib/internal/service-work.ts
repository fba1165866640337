/**
 * The work and teardowns of one service, and the rules that tie them to its runs: what is registered
 * outside a run is part of the definition, what is registered during a run belongs to it, a failure
 * crashes a running service, and once the stop began an error of work that ended because of the
 * abort is not a failure. Allocated on the first registration (or the first start of a `run()`).
 */
import type { SchedulerLike } from 'rxjs';
import type { LifecycleEvent, ServiceRef } from '../events.js';
import type { Logger } from '../logger.js';
import { runTeardown, TeardownStack, type Teardown } from '../teardown.js';
import type { WorkStop } from './host.js';
import { isThenable } from './is-thenable.js';
import { isWorkPaused, type HasParent } from './pause.js';
import type { ServiceState } from '../state.js';
import { crashTeardownOf } from './stop-run.js';
import { emit, startRun, stopRun } from './symbols.js';
import type { WorkDef, WorkHost } from './work.js';
import { WorkSet } from './work-set.js';

/**
 * Where a registration made now goes: `definition` (not in a run: every start runs it), `pending` (in
 * a run whose work has not started yet), `live` (start it at once), `ended` (the run is stopping:
 * nothing new starts); `teardownsTaken` once the stop in progress ran its teardowns.
 */
export interface Registration {
  readonly mode: 'definition' | 'pending' | 'live' | 'ended';
  readonly teardownsTaken: boolean;
}

/** What the work of a service needs from it. */
export interface WorkOwner extends HasParent {
  readonly ref: ServiceRef;
  readonly path: string;
  readonly shouldStop: boolean;
  readonly signal: AbortSignal;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  readonly state: ServiceState;
  crash(error: unknown): void;
  readonly [startRun]: { readonly phase: string } | undefined;
  readonly [stopRun]: { readonly teardownsTaken: boolean; fail(error: unknown): void } | undefined;
  [emit](event: LifecycleEvent): void;
}

/** Where a registration made now on `owner` goes. */
function registrationOf(owner: WorkOwner): Registration {
  const state = owner.state;
  const run = owner[stopRun];
  const teardownsTaken = run?.teardownsTaken ?? false;
  if (state !== 'starting' && state !== 'running' && state !== 'stopping' && !crashTeardownOf(owner)) {
    return { mode: 'definition', teardownsTaken };
  }
  if (owner.shouldStop) return { mode: 'ended', teardownsTaken };
  const isLive = state === 'running' || owner[startRun]?.phase === 'onStarted';
  return { mode: isLive ? 'live' : 'pending', teardownsTaken };
}

/** @internal The work and teardowns of one service. */
export class ServiceWork {
  #work: WorkSet | undefined;
  #teardowns: TeardownStack | undefined;

  constructor(
    readonly owner: WorkOwner,
    readonly publish: (value: unknown) => void,
  ) {}

  /** Registers work built by `make` (which validates its arguments and names it). */
  add(make: (nextName: WorkSet['nextName']) => WorkDef): void {
    const work = (this.#work ??= new WorkSet());
    const def = make((kind) => work.nextName(kind));
    const { mode } = registrationOf(this.owner);
    if (mode === 'definition') work.add(def, false);
    else if (mode !== 'ended') work.add(def, true, mode === 'live' ? this.#host() : undefined);
  }

  /** Adds a teardown; once the stop in progress ran its teardowns, it runs at once. */
  addTeardown(teardown: Teardown): void {
    const { mode, teardownsTaken } = registrationOf(this.owner);
    if (!teardownsTaken)
      return (this.#teardowns ??= new TeardownStack()).add(teardown, mode !== 'definition');
    try {
      const result = runTeardown(teardown);
      if (isThenable(result)) Promise.resolve(result).catch((error: unknown) => this.fail(error, true));
    } catch (error) {
      this.fail(error, true);
    }
  }

  /** Starts `run()` (when given; `check` may refuse what it returned) and every registered piece of work. */
  start(run: WorkDef | undefined, check: (result: unknown) => void): void {
    (this.#work ??= new WorkSet()).startAll(this.#host(), run, check);
  }

  /** Unsubscribes the work (stop step 4); what the stop must still await. */
  stop(): WorkStop | undefined {
    const work = this.#work;
    return work && { waits: work.stopAll(), release: () => work.releaseDrained() };
  }

  /** The teardowns to run at this stop, last in first out (stop step 5). */
  takeTeardowns(): Teardown[] | undefined {
    return this.#teardowns?.takeForStop();
  }

  /** Settles once every cron job can tell its times (croner loads on first use); else undefined. */
  ready(): Promise<void> | undefined {
    return this.#work?.ready();
  }

  /** The phase names of the work under way. */
  active(): string[] {
    return this.#work?.active() ?? [];
  }

  /**
   * Work failed: while running, a crash. Once the stop began, work that ended because of the abort is
   * ignored (logged at debug level); a `drain` task's own failure is collected into the stop's errors.
   */
  fail(error: unknown, drained: boolean): void {
    const owner = this.owner;
    if (!owner.shouldStop) return owner.crash(error);
    const isAbortError =
      error === owner.signal.reason || (error instanceof Error && error.name === 'AbortError');
    if (drained && !isAbortError) {
      const run = owner[stopRun];
      if (run) run.fail(error);
      else owner.logger.error({ service: owner.path, err: error }, 'work failed after the service stopped');
      return;
    }
    owner.logger.debug({ service: owner.path, err: error }, 'work ended with an error after the abort');
  }

  #host(): WorkHost {
    const owner = this.owner;
    return {
      signal: owner.signal,
      scheduler: owner.scheduler,
      fail: (error, drained) => this.fail(error, drained),
      publish: this.publish,
      tickEvent: (type, timer, driftMs) =>
        owner[emit]({ type, service: owner.ref, at: owner.scheduler.now(), timer, driftMs }),
      isPaused: () => isWorkPaused(owner),
      get path() {
        return owner.path;
      },
    };
  }
}
