/**
 * What every supervisor shares: its public API, and the glue that turns a child's crash (or
 * unrequested stop), reaching it through the core's hooks, into a decision (`decide.ts`), published
 * at once, whose work (`restarts.ts`) runs asynchronously afterwards.
 */
import { Observable, Subject } from 'rxjs';
import { show } from '../internal/format.js';
import { MaxRestartsExceededError } from '../errors.js';
import type { StopReason } from '../events.js';
import { pickServiceOptions } from '../options.js';
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
import { decide, type Decision, type Failure, type Policy, type Strategy } from './decide.js';
import { checkServices, discardChildren } from './child-ops.js';
import { Ledger } from './ledger.js';
import { resolveSupervisorOptions, type SupervisorDecision, type SupervisorOptions } from './options.js';
import { RestartRunner } from './restarts.js';
import { ChildWatch } from './watch.js';

const CRASHED: Failure = { kind: 'crash', duringStart: false };
const START_FAILED: Failure = { kind: 'crash', duringStart: true };

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
  readonly #policy: Policy;
  readonly #ledger: Ledger;
  readonly #watch: ChildWatch = new ChildWatch(this);
  readonly #runner: RestartRunner;
  #decisions: Subject<SupervisorDecision> | undefined;
  #decisions$: Observable<SupervisorDecision> | undefined;

  /**
   * @param strategy - how the subclass answers failures
   * @param options - the supervision policy and the options of a Service
   * @throws TypeError naming the first invalid option and the value received.
   */
  protected constructor(strategy: Strategy, options?: SupervisorOptions) {
    const resolved = resolveSupervisorOptions(options);
    super(pickServiceOptions(options));
    this.#policy = { ...resolved, decision: strategy.decision, scope: strategy.scope };
    const host = {
      place: (index: number, child: Service<any>) => void this[insertChild](index, child),
      crashed: (child: Service<any>, error: unknown) => this.#failed(child, undefined, error),
    };
    this.#runner = new RestartRunner(this, host, this.#watch, strategy.scope, resolved.replacement);
    this.#ledger = new Ledger(resolved.overMs);
  }

  /** @internal Each start of the supervisor begins a new run of its bookkeeping. */
  protected override [onTransition](from: ServiceState, to: ServiceState): void {
    if (to === 'starting') this.#newRun();
    this.#runner.moved(from);
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
      const generation = this.#runner.generation;
      this.#runner.later(() => this.#runner.startAdded(services, generation));
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
    return discardChildren(this, services);
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
    return this.#runner.insert(index, service);
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
    return this.#runner.begun();
  }

  /** @internal Watches every child, however it was added. */
  protected override [insertChild]<S extends Service<any>>(
    index: number,
    child: S,
    after?: Service<any>[],
  ): S {
    super[insertChild](index, child, after);
    if (child.parent === this && !this.#watch.has(child)) this.#watch.watch(child);
    return child;
  }

  /** @internal A child crashed: decide. */
  protected override [childCrashed](child: Service<any>, error: unknown): void {
    this.#failed(child, undefined, error);
  }

  /** @internal A child stopped on its own: restart it when it is permanent. */
  protected override [childStopped](child: Service<any>, reason: StopReason): void {
    this.#failed(child, reason.type);
  }

  // ─── decisions ──────────────────────────────────────────────────────────────────────────────

  /** A crash of `child` (`stop` undefined) or a stop it finished: decide, record, publish, act. */
  #failed(child: Service<any>, stop: StopReason['type'] | undefined, error?: unknown): void {
    const state = this.state;
    if ((state !== 'starting' && state !== 'running') || child.parent !== this) return;
    const now = this.scheduler.now();
    const { attempts, previous } = this.#watch.get(child);
    const failure: Failure =
      stop !== undefined
        ? { kind: 'stop', reason: stop }
        : state === 'starting' && previous === 'starting'
          ? START_FAILED
          : CRASHED;
    const runner = this.#runner;
    const pending = runner.pendingFor(child);
    const decision = decide(
      this.#policy,
      failure,
      this.#ledger.situation(now, attempts, pending),
      Math.random,
    );
    this.#ledger.record(now, decision, attempts);
    if (decision.decision === 'ignore') return;
    if (decision.decision === 'escalate') {
      this.#publish(child, decision);
      const { exceeded } = decision;
      const cause = stop === undefined ? error : undefined;
      this.crash(
        exceeded
          ? new MaxRestartsExceededError(this.ref, exceeded.restarts, exceeded.windowMs, cause)
          : error,
      );
    } else if (decision.decision === 'forfeit') {
      this.#publish(child, decision);
      if (decision.stopOthers) runner.later(() => runner.stopOthers(child));
    } else if (pending) {
      runner.join(pending, child);
      this.#publish(child, decision);
    } else {
      const job = runner.add(child, decision.attempt, decision.delayMs);
      this.#publish(child, decision);
      runner.schedule(job);
    }
  }

  /** Publishes a decision: a `supervisor` event, `decisions$`, a log line. */
  #publish(
    child: Service<any>,
    { decision, attempt, delayMs }: Exclude<Decision, { decision: 'ignore' }>,
  ): void {
    const data: SupervisorDecision = { child: child.ref, decision, attempt, delayMs };
    this[emit]({ type: 'supervisor', service: this.ref, at: this.scheduler.now(), ...data });
    this.#decisions?.next(data);
    const fields = { service: this.path, child: data.child.path, decision, attempt, delayMs };
    if (decision === 'restart') this.logger.info(fields, 'restarting a child');
    else this.logger.warn(fields, decision === 'forfeit' ? 'forfeiting a child' : 'escalating a child crash');
  }

  // ─── bookkeeping ────────────────────────────────────────────────────────────────────────────

  /** A new start of the supervisor: empty windows, fresh attempts, no restart pending. */
  #newRun(): void {
    this.#runner.newRun();
    this.#ledger.clear();
    this.#watch.resetAttempts();
  }
}
