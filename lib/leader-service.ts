/**
 * `LeaderService` (section 13 of the contract): a service that runs on every replica and starts its
 * children only while this replica holds a lease in a coordination engine, so the work below it runs
 * on exactly one replica at a time.
 */
import { BehaviorSubject } from 'rxjs';
import { RESOLVED, startChildren, sweepChildren } from './children.js';
import type { LifecycleEvent, StopReason } from './events.js';
import { show } from './internal/format.js';
import type { WorkStop } from './internal/host.js';
import { armDeadline } from './internal/stop-sequence.js';
import { beforeChildrenStop, emit, holdsChildren, onTransition, stopWork } from './internal/symbols.js';
import type { Lease, LeaseTerm } from './lease.js';
import type { ServiceOptions } from './options.js';
import { Service, type ReadonlyBehaviorSubject } from './service.js';
import type { ServiceSnapshot } from './snapshot.js';
import type { ServiceState } from './state.js';
import { backoffDelay } from './supervisors/backoff.js';
import { resolveBackoff, type BackoffOptions, type ResolvedBackoff } from './supervisors/options.js';

/** Options of a {@link LeaderService}: a service's, and how failed acquires are retried. */
export interface LeaderServiceOptions extends ServiceOptions {
  /**
   * The delays between acquires that failed with an engine error (section 6's backoff).
   * @defaultValue `{ initial: '200ms', max: '10s', jitter: 0.2 }`
   */
  retry?: BackoffOptions;
}

const DEFAULT_RETRY: BackoffOptions = { initial: '200ms', max: '10s', jitter: 0.2 };

/** One run of a leader (from `running` to the stop): the loop, and the term it holds now. */
class LeaderRun {
  /** The term held now, if any. */
  term: LeaseTerm | undefined;
  /** The acquire loop; settles once it has given up its term or handed it to the stop. */
  loop: Promise<void> = RESOLVED;
  /** Resolves when the run's signal aborts (its stop or crash began). */
  readonly aborted: Promise<void>;

  constructor(readonly signal: AbortSignal) {
    this.aborted = signal.aborted
      ? RESOLVED
      : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
}

/**
 * Runs its children on exactly one replica: started, it acquires `lease` in a loop; while it holds a
 * term its children run, and when the term is lost they stop (reason `lease-lost`) until it holds
 * the lease again. It is `running` whether it leads or follows.
 *
 * @remarks
 * - A term begins: `leader$` emits `true`, a `leader` event is emitted, then the children start (in
 *   the usual order). A term is lost (`lost` settles): `leader$` emits `false`, a `leader` event
 *   carries the reason, the children stop within `stopTimeout`, and the loop acquires again.
 * - An engine error while acquiring is retried after the `retry` backoff and reported as a `leader`
 *   event with `reason` and a warning in the log.
 * - `stop()`: the children stop first (step 3), then the term is released (in step 4, as phase
 *   `lease`), then the rest of the stop. A child's crash escalates as under any parent: this service
 *   crashes, and its teardown releases the term.
 * - A paused process cannot stop in time: writes to shared state should carry {@link fencingToken},
 *   and the store should refuse tokens older than the newest it has seen.
 * @example
 * ```ts
 * const leader = new LeaderService(redisLease(client, { name: 'scheduler' }));
 * leader.addDependency(new Scheduler());
 * leader.leader$.subscribe((leading) => console.log(leading ? 'leading' : 'following'));
 * ```
 */
export class LeaderService<T = never> extends Service<T> {
  /** True while this replica holds the lease. */
  readonly leader$: ReadonlyBehaviorSubject<boolean>;
  readonly #leading = new BehaviorSubject(false);
  readonly #lease: Lease;
  readonly #retry: ResolvedBackoff;
  #run: LeaderRun | undefined;

  /** @throws TypeError for a `lease` that is not a {@link Lease}, or invalid options. */
  constructor(lease: Lease, options?: LeaderServiceOptions) {
    if (
      typeof lease !== 'object' ||
      lease === null ||
      typeof lease.acquire !== 'function' ||
      typeof lease.name !== 'string'
    ) {
      throw new TypeError(`lease must be a Lease (with a name and acquire()); received ${show(lease)}`);
    }
    const { retry, ...serviceOptions } = options ?? {};
    super(options === undefined ? undefined : serviceOptions);
    this.#lease = lease;
    this.#retry = resolveBackoff(retry ?? DEFAULT_RETRY, 'retry');
    this.leader$ = this.#leading;
  }

  /** True while this replica holds the lease. */
  get isLeader(): boolean {
    return this.#leading.value;
  }

  /** The fencing token of the term held now; undefined while following. */
  get fencingToken(): string | undefined {
    return this.isLeader ? this.#run?.term?.token : undefined;
  }

  /** The lease's name. */
  get leaseName(): string {
    return this.#lease.name;
  }

  /** @internal The children wait for a term. */
  override [holdsChildren](): boolean {
    return this.#run?.term === undefined;
  }

  /** @internal The acquire loop runs from `running` until the stop or crash begins. */
  protected override [onTransition](_from: ServiceState, to: ServiceState): void {
    if (to !== 'running') return;
    const run = (this.#run = new LeaderRun(this.signal));
    run.loop = this.#lead(run).catch((error: unknown) => {
      if (!this.shouldStop) this.crash(error); // a lease that broke its contract
    });
  }

  /** @internal Present so that a stop always runs its steps (the term is released in step 4). */
  override [beforeChildrenStop](): void {}

  /** @internal Step 4 also awaits the end of the loop and the release of the term (phase `lease`). */
  override [stopWork](): WorkStop | undefined {
    const work = super[stopWork]();
    const run = this.#run;
    if (!run) return work;
    this.#run = undefined;
    const pending = this.#release(run);
    return {
      waits: [...(work?.waits ?? []), { phase: 'lease', pending }],
      release: () => work?.release(),
    };
  }

  /** A snapshot with `leader`. */
  override toJSON(): ServiceSnapshot {
    const snapshot = super.toJSON();
    snapshot.leader = this.isLeader;
    return snapshot;
  }

  async #lead(run: LeaderRun): Promise<void> {
    let attempt = 0;
    while (!run.signal.aborted) {
      let term: LeaseTerm;
      try {
        term = checkTerm(await this.#lease.acquire(run.signal));
      } catch (error) {
        if (run.signal.aborted) return;
        if (error instanceof TypeError && error.message.startsWith('lease.acquire()')) throw error;
        const delayMs = backoffDelay(this.#retry, ++attempt);
        this.#report(false, undefined, error);
        this.logger.warn(
          { service: this.path, lease: this.#lease.name, err: error, attempt, delayMs },
          'acquiring the lease failed; retrying',
        );
        await this.sleep(delayMs);
        continue;
      }
      attempt = 0;
      run.term = term;
      if (run.signal.aborted) return; // the stop releases it
      await this.#serve(run, term);
    }
  }

  /** One term: the children run until the term is lost or the stop begins. */
  async #serve(run: LeaderRun, term: LeaseTerm): Promise<void> {
    this.#leading.next(true);
    this.#report(true, term.token);
    this.logger.info({ service: this.path, lease: this.#lease.name, token: term.token }, 'leading');
    const live = { isLive: () => run.term === term && !run.signal.aborted };
    const starting = startChildren(this, live)?.catch((error: unknown) => {
      if (!this.shouldStop) this.crash(error); // a child's crash escalated already; anything else ends here
    });
    const lost = term.lost.then(
      (reason: unknown) => ({ reason }),
      (reason: unknown) => ({ reason }),
    );
    const outcome = await Promise.race([lost, run.aborted]);
    if (!outcome || run.signal.aborted) return; // the stop releases the term
    run.term = undefined;
    this.#leading.next(false);
    this.#report(false, undefined, outcome.reason);
    this.logger.warn(
      { service: this.path, lease: this.#lease.name, token: term.token, err: outcome.reason },
      'lease lost; stopping the children',
    );
    const reason: StopReason = { type: 'lease-lost', lease: this.#lease.name, reason: outcome.reason };
    try {
      await sweepChildren(this, undefined, (stop) => armDeadline(this, stop), reason);
    } catch (error) {
      if (!this.shouldStop) this.crash(error);
    }
    await starting;
  }

  /** The end of a run (stop step 4): the loop ends, then the term held, if any, is released. */
  async #release(run: LeaderRun): Promise<void> {
    try {
      await run.loop;
    } finally {
      const term = run.term;
      run.term = undefined;
      if (this.#leading.value) {
        this.#leading.next(false);
        this.#report(false);
      }
      if (term) await term.release();
    }
  }

  #report(leader: boolean, token?: string, reason?: unknown): void {
    const event: LifecycleEvent = {
      type: 'leader',
      service: this.ref,
      at: this.scheduler.now(),
      leader,
      lease: this.#lease.name,
    };
    if (token !== undefined) event.token = token;
    if (reason !== undefined) event.reason = reason;
    this[emit](event);
  }
}

/** What `acquire()` resolved, checked: a term with a token, `lost` and `release()`. */
function checkTerm(term: unknown): LeaseTerm {
  const t = term as Partial<LeaseTerm> | null;
  if (
    typeof t !== 'object' ||
    t === null ||
    typeof t.token !== 'string' ||
    typeof t.release !== 'function' ||
    typeof t.lost?.then !== 'function'
  ) {
    throw new TypeError(
      `lease.acquire() must resolve a LeaseTerm (token, lost, release()); received ${show(term)}`,
    );
  }
  return t as LeaseTerm;
}
