/**
 * What every supervisor shares: a child's crash (or unrequested stop) reaches it through the core's
 * hooks, a decision is taken and published at once (intensity, attempt, backoff delay, `supervisor`
 * event, `decisions$`), and the work it calls for (restarts, stops) runs asynchronously afterwards.
 */
import { Observable, Subject, filter, firstValueFrom } from 'rxjs';
import { show } from '../duration.js';
import { MaxRestartsExceededError } from '../errors.js';
import type { StopReason } from '../events.js';
import { checkOptionKeys, OPTION_KEYS, pickServiceOptions } from '../options.js';
import {
  beforeChildrenStop,
  childCrashed,
  childStopped,
  emit,
  insertChild,
  onTransition,
} from '../internal/symbols.js';
import { Service } from '../service.js';
import type { ServiceState } from '../state.js';
import { backoffDelay } from './backoff.js';
import { Launcher, stopActive } from './child-ops.js';
import { IntensityWindow } from './intensity.js';
import {
  resolveSupervisorOptions,
  type ResolvedSupervisorOptions,
  type SupervisorDecision,
  type SupervisorOptions,
} from './options.js';
import { ChildWatch } from './watch.js';

/** @internal How a strategy answers a failure, and which children a restart takes along. */
export interface Strategy {
  readonly decision: SupervisorDecision['decision'];
  /** `one`: the failed child; `all`: every child; `rest`: the failed child and those after it. */
  readonly scope: 'one' | 'all' | 'rest';
}

type Failure = { readonly kind: 'crash'; readonly error: unknown } | { readonly kind: 'stop' };

/** A restart decided but not finished; failures before its start phase join it. */
interface RestartJob {
  /** The children whose failure decided it (replaced when `replacement` is set). */
  readonly failed: Set<Service<any>>;
  /** Every child it starts again. */
  readonly restart: Set<Service<any>>;
  readonly attempt: number;
  readonly delayMs: number;
  readonly generation: number;
}

const noop = (): void => {};
const REQUESTED_STOPS: readonly string[] = ['parent', 'supervisor', 'restart'];

/** Every option a supervisor takes: a Service's and its own. */
const SUPERVISOR_KEYS: ReadonlySet<string> = new Set([
  ...OPTION_KEYS,
  'maxRestarts',
  'over',
  'backoff',
  'replacement',
  'restart',
]);

/**
 * The base of every supervisor: a Service that watches its children and answers their crashes.
 *
 * @remarks
 * A crash reaches the supervisor at once, without polling. The decision (`restart`, `forfeit` or
 * `escalate`) is taken and published synchronously; the restart runs right after, once the crashed
 * child's teardown has finished. Restarts count toward the intensity limit when decided: one more
 * than `maxRestarts` within `over` crashes the supervisor with `MaxRestartsExceededError`, which
 * escalates to its parent. A child that fails to start again counts as a crash of that child; a
 * child that fails to start during the supervisor's own start fails that start (as in OTP). A
 * crash while the supervisor is stopping is not answered. Each start of the supervisor begins with
 * an empty intensity window and fresh attempt counts.
 *
 * Use one of the six strategies below; `instanceof Supervisor`
 * tells a supervisor from a plain service.
 * @example
 * ```ts
 * const sup = new OneForOneSupervisor({ maxRestarts: 5, over: '10s', backoff: { initial: '100ms', max: '5s' } });
 * sup.add(new Consumer());
 * sup.decisions$.subscribe((d) => console.log(d.child.path, d.decision, d.delayMs));
 * await sup.start();
 * ```
 */
export abstract class Supervisor extends Service {
  readonly #strategy: Strategy;
  readonly #options: ResolvedSupervisorOptions;
  readonly #restarts: IntensityWindow;
  readonly #failures: IntensityWindow;
  readonly #watch: ChildWatch = new ChildWatch(this);
  readonly #launcher: Launcher = new Launcher(this);
  readonly #pending = new Set<RestartJob>();
  #decisions: Subject<SupervisorDecision> | undefined;
  #decisions$: Observable<SupervisorDecision> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #generation = 0;

  /**
   * @param strategy - how the subclass answers failures
   * @param options - the supervision policy and the options of a Service
   * @throws TypeError naming the first invalid option and the value received.
   */
  protected constructor(strategy: Strategy, options?: SupervisorOptions) {
    const resolved = resolveSupervisorOptions(options);
    if (options) checkOptionKeys(options, SUPERVISOR_KEYS, false);
    super(pickServiceOptions(options));
    this.#strategy = strategy;
    this.#options = resolved;
    this.#restarts = new IntensityWindow(resolved.overMs);
    this.#failures = new IntensityWindow(resolved.overMs);
  }

  /** @internal Each start of the supervisor begins a new run of its bookkeeping. */
  protected override [onTransition](_from: ServiceState, to: ServiceState): void {
    if (to === 'starting') this.#newRun();
  }

  /**
   * Every decision, as it is taken: `{ child, decision, attempt, delayMs }`.
   *
   * @remarks Hot: decisions taken while nobody subscribes are not replayed. The same data goes out
   * as `supervisor` events on `events$`, so it reaches every ancestor.
   * @example
   * ```ts
   * sup.decisions$.subscribe((d) => console.log(`${d.child.path}: ${d.decision} in ${d.delayMs} ms`));
   * ```
   */
  get decisions$(): Observable<SupervisorDecision> {
    return (this.#decisions$ ??= (this.#decisions ??= new Subject()).asObservable());
  }

  /**
   * Adds children; on a running supervisor they are started at once (in the order given).
   *
   * @remarks A child that fails to start counts as a crash of that child. Before the supervisor
   * starts, or while it is stopped, the children start with it.
   * @throws TypeError when an argument is not a Service; the errors of `addDependency`.
   * @example
   * ```ts
   * const sup = new OneForOneSupervisor().add(new Database(), new Http());
   * ```
   */
  add(...services: Service<any>[]): this {
    checkServices(services);
    for (const service of services) this.addDependency(service);
    const state = this.state;
    if (state === 'running' || state === 'starting') {
      const generation = this.#generation;
      this.#later(() => this.#startAdded(services, generation));
    }
    return this;
  }

  /**
   * Stops children and detaches them; they are not restarted.
   *
   * @remarks Children stop in reverse order of their position; services that are not children of
   * this supervisor are ignored. Rejects with the stop error of a child (an `AggregateError` when
   * several failed) once every one was detached.
   * @throws TypeError when an argument is not a Service.
   * @example
   * ```ts
   * await sup.discard(oldWorker);
   * ```
   */
  discard(...services: Service<any>[]): Promise<void> {
    checkServices(services);
    return this.#discard(services);
  }

  /**
   * Puts `service` at position `index`, stopping and detaching the child that was there.
   *
   * @remarks `index` may equal the number of children (the service is appended). On a running
   * supervisor the new service is started; a failure to start counts as its crash. Rejects with the
   * old child's stop error, after the new service is in place.
   * @throws TypeError for an index outside `0..children.length`, a non-Service, or a service that is
   * already a child of this supervisor.
   * @example
   * ```ts
   * await sup.insert(0, new Database({ url: next }));
   * ```
   */
  insert(index: number, service: Service<any>): Promise<void> {
    const length = this.children.length;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > length) {
      throw new TypeError(`index must be an integer from 0 to ${length}; received ${show(index)}`);
    }
    checkServices([service], 'service');
    if (service.parent === this)
      throw new TypeError(`service ${service.path} is already a child of ${this.path}`);
    return this.#insert(index, service);
  }

  /** Stops a child and detaches it; it is no longer watched. */
  override async removeDependency(child: Service<any>): Promise<void> {
    try {
      await super.removeDependency(child);
    } finally {
      if (child.parent !== this) this.#watch.forget(child);
    }
  }

  /** @internal Lets restarts in flight begin, so that the stop of the children that follows sees them. */
  override [beforeChildrenStop](): Promise<void> | void {
    return this.#launcher.begun();
  }

  /** @internal Watches every child, however it was added. */
  protected override [insertChild]<S extends Service<any>>(index: number, child: S): S {
    super[insertChild](index, child);
    if (child.parent === this && !this.#watch.has(child)) this.#watch.watch(child);
    return child;
  }

  /** @internal A child crashed: decide. */
  protected override [childCrashed](child: Service<any>, error: unknown): void {
    this.#failed(child, { kind: 'crash', error });
  }

  /** @internal A child stopped on its own: restart it when it is permanent. */
  protected override [childStopped](child: Service<any>, reason: StopReason): void {
    if (REQUESTED_STOPS.includes(reason.type)) return;
    if (this.#strategy.decision !== 'restart' || this.#options.restart !== 'permanent') return;
    this.#failed(child, { kind: 'stop' });
  }

  // ─── decisions ──────────────────────────────────────────────────────────────────────────────

  #failed(child: Service<any>, failure: Failure): void {
    const state = this.state;
    if ((state !== 'starting' && state !== 'running') || child.parent !== this) return;
    const now = this.scheduler.now();
    this.#failures.record(now);
    const watched = this.#watch.get(child);
    const { decision, scope } = this.#strategy;
    if (
      failure.kind === 'crash' &&
      (decision === 'escalate' || (state === 'starting' && watched.previous === 'starting'))
    ) {
      this.#decide(child, 'escalate', this.#failures.count(now), 0);
      this.crash(failure.error);
      return;
    }
    const temporary = this.#options.restart === 'temporary';
    if (decision === 'forfeit' || temporary) {
      this.#decide(child, 'forfeit', this.#failures.count(now), 0);
      if (decision === 'forfeit' && scope === 'all' && !temporary) this.#later(() => this.#stopOthers(child));
      return;
    }
    const pending = this.#pendingFor(child);
    if (pending) {
      pending.failed.add(child);
      pending.restart.add(child);
      this.#decide(child, 'restart', pending.attempt, pending.delayMs);
      return;
    }
    const restarts = this.#restarts.count(now);
    if (restarts >= this.#options.maxRestarts) {
      this.#decide(child, 'escalate', this.#failures.count(now), 0);
      const cause = failure.kind === 'crash' ? failure.error : undefined;
      this.crash(new MaxRestartsExceededError(this.ref, restarts, this.#options.overMs, cause));
      return;
    }
    this.#restarts.record(now);
    const attempt = watched.attempts.next(now, this.#options.resetAfterMs);
    const delayMs = backoffDelay(this.#options.backoff, attempt);
    const job: RestartJob = {
      failed: new Set([child]),
      restart: new Set([child]),
      attempt,
      delayMs,
      generation: this.#generation,
    };
    this.#pending.add(job);
    this.#decide(child, 'restart', attempt, delayMs);
    if (scope === 'one') {
      this.#later(() => this.#runRestart(job));
    } else {
      // group restarts run one after another
      const run = this.#chain.then(() => this.#runRestart(job));
      this.#chain = run.then(noop, noop);
      run.catch((error: unknown) => this.#internalError(error));
    }
  }

  #decide(
    child: Service<any>,
    decision: SupervisorDecision['decision'],
    attempt: number,
    delayMs: number,
  ): void {
    const data: SupervisorDecision = { child: child.ref, decision, attempt, delayMs };
    this[emit]({ type: 'supervisor', service: this.ref, at: this.scheduler.now(), ...data });
    this.#decisions?.next(data);
    const fields = { service: this.path, child: data.child.path, decision, attempt, delayMs };
    if (decision === 'restart') this.logger.info(fields, 'restarting a child');
    else this.logger.warn(fields, decision === 'forfeit' ? 'forfeiting a child' : 'escalating a child crash');
  }

  /** The restart, not yet in its start phase, that a failure of `child` joins. */
  #pendingFor(child: Service<any>): RestartJob | undefined {
    for (const job of this.#pending) if (this.#strategy.scope !== 'one' || job.failed.has(child)) return job;
    return undefined;
  }

  // ─── work ───────────────────────────────────────────────────────────────────────────────────

  /** Runs `work` after the current call stack, so a crash in progress is never re-entered. */
  #later(work: () => Promise<void>): void {
    Promise.resolve()
      .then(work)
      .catch((error: unknown) => this.#internalError(error));
  }

  #internalError(error: unknown): void {
    this.logger.error({ service: this.path, err: error }, 'supervisor failed');
    this.crash(error);
  }

  /** Stop phase (group strategies), backoff delay, then the start phase in children order. */
  async #runRestart(job: RestartJob): Promise<void> {
    const group = this.#strategy.scope !== 'one';
    try {
      if (group) await this.#stopMembers(job);
      if (job.delayMs > 0 && !(await this.sleep(job.delayMs))) return;
      if (!(await this.#untilRunning(job.generation))) return;
      if (group) await this.#stopMembers(job); // members that joined during the wait
      if (!this.#isCurrent(job.generation)) return;
    } finally {
      this.#pending.delete(job);
    }
    const order = this.children.filter((c) => job.restart.has(c));
    for (let i = 0; i < order.length; i++) {
      if (!this.#isCurrent(job.generation)) return;
      const next = group ? this.#pending.values().next().value : undefined;
      if (next) {
        // a child failed to start again: a newer group restart takes over what is left
        for (const rest of order.slice(i)) next.restart.add(rest);
        return;
      }
      const child = order[i]!;
      await this.#restartChild(child, job.failed.has(child), job.generation);
    }
  }

  /** Stops the running members of a group restart in reverse order; they will start again. */
  async #stopMembers(job: RestartJob): Promise<void> {
    const children = this.children;
    let first = 0;
    if (this.#strategy.scope === 'rest') {
      first = Math.min(...[...job.failed].map((c) => children.indexOf(c)).filter((i) => i >= 0));
    }
    const members = children.slice(first).filter((c) => !job.failed.has(c));
    for (const child of members) if (child.state === 'init') job.restart.add(child);
    await stopActive(
      members,
      { type: 'supervisor', decision: 'restart' },
      () => this.#isCurrent(job.generation),
      (child, error) => this.#stopFailed(child, error),
      (child) => job.restart.add(child),
    );
  }

  /** ForfeitOneForAll: every other child is stopped, in reverse order. */
  async #stopOthers(crashed: Service<any>): Promise<void> {
    const generation = this.#generation;
    await stopActive(
      this.children.filter((c) => c !== crashed),
      { type: 'supervisor', decision: 'forfeit' },
      () => this.#isCurrent(generation),
      (child, error) => this.#stopFailed(child, error),
    );
  }

  #stopFailed(child: Service<any>, error: unknown): void {
    this.logger.warn({ service: this.path, child: child.path, err: error }, 'a child failed to stop cleanly');
  }

  /** Waits for the crash teardown, then restarts the child (or starts its replacement). */
  async #restartChild(child: Service<any>, failed: boolean, generation: number): Promise<void> {
    if (child.state === 'crashed' || child.state === 'stopping') await child.waitUntilStopped();
    if (!this.#mayStart(child, generation)) return;
    let target: Service<any> | undefined = child;
    if (failed && this.#options.replacement) target = await this.#replace(child, generation);
    if (!target) return;
    const how = target === child ? 'restart' : 'start';
    await this.#launcher.launch(target, how, (error) => this.#failed(target, { kind: 'crash', error }));
  }

  /** Puts the replacement of a crashed child in its slot; a failing factory counts as a crash. */
  async #replace(crashed: Service<any>, generation: number): Promise<Service<any> | undefined> {
    let fresh: Service<any>;
    try {
      fresh = await this.#options.replacement!(crashed, this.children.indexOf(crashed));
      if (!(fresh instanceof Service))
        throw new TypeError(`replacement must return a Service; received ${show(fresh)}`);
      if (fresh.parent === this) throw new TypeError(`replacement returned ${fresh.path}, already a child`);
    } catch (error) {
      this.#failed(crashed, { kind: 'crash', error });
      return undefined;
    }
    if (!this.#mayStart(crashed, generation)) return undefined;
    const index = this.children.indexOf(crashed);
    const attempts = this.#watch.get(crashed).attempts;
    await this.removeDependency(crashed);
    try {
      this[insertChild](index, fresh);
    } catch (error) {
      this[insertChild](index, crashed);
      this.#failed(crashed, { kind: 'crash', error });
      return undefined;
    }
    this.#watch.get(fresh).attempts.copyFrom(attempts);
    return this.#mayStart(fresh, generation) ? fresh : undefined;
  }

  async #startAdded(services: readonly Service<any>[], generation: number): Promise<void> {
    if (!(await this.#untilRunning(generation))) return;
    for (const service of services) {
      if (!this.#mayStart(service, generation)) continue;
      await this.#launcher.launch(service, 'start', (error) =>
        this.#failed(service, { kind: 'crash', error }),
      );
    }
  }

  async #discard(services: readonly Service<any>[]): Promise<void> {
    const children = this.children;
    const mine = [...new Set(services)]
      .filter((s) => s.parent === this)
      .sort((a, b) => children.indexOf(b) - children.indexOf(a));
    const errors: unknown[] = [];
    for (const service of mine) await this.removeDependency(service).catch((e: unknown) => errors.push(e));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1)
      throw new AggregateError(errors, `${errors.length} discarded services failed to stop`);
  }

  async #insert(index: number, service: Service<any>): Promise<void> {
    const old = this.children[index];
    let failure: { error: unknown } | undefined;
    if (old) await this.removeDependency(old).catch((error: unknown) => (failure = { error }));
    this[insertChild](Math.min(index, this.children.length), service);
    const state = this.state;
    if (state === 'running' || state === 'starting') await this.#startAdded([service], this.#generation);
    if (failure) throw failure.error;
  }

  // ─── bookkeeping ────────────────────────────────────────────────────────────────────────────

  /** A new start of the supervisor: empty windows, fresh attempts, no restart pending. */
  #newRun(): void {
    this.#generation++;
    this.#restarts.clear();
    this.#failures.clear();
    this.#pending.clear();
    this.#watch.resetAttempts();
  }

  #isCurrent(generation: number): boolean {
    return generation === this.#generation && !this.shouldStop;
  }

  #mayStart(child: Service<any>, generation: number): boolean {
    if (generation !== this.#generation || this.state !== 'running' || child.parent !== this) return false;
    const state = child.state;
    return state === 'init' || state === 'stopped' || state === 'crashed';
  }

  /** Waits while the supervisor is starting; true when it then runs in the same generation. */
  async #untilRunning(generation: number): Promise<boolean> {
    if (this.state === 'starting') await firstValueFrom(this.state$.pipe(filter((s) => s !== 'starting')));
    return this.state === 'running' && generation === this.#generation;
  }
}

function checkServices(services: readonly unknown[], name = 'services'): void {
  services.forEach((service, i) => {
    if (!(service instanceof Service)) {
      const where = name === 'services' ? `services[${i}]` : name;
      throw new TypeError(`${where} must be a Service; received ${show(service)}`);
    }
  });
}
