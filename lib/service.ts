/**
 * The Service: one state in one BehaviorSubject, children started in order and stopped in reverse
 * within one budget, ongoing work bound to the run, crashes escalated to the parent or supervisor.
 */
import {
  BehaviorSubject,
  Observable,
  Subject,
  Subscription,
  asyncScheduler,
  filter,
  firstValueFrom,
  takeUntil,
  type MonoTypeOperatorFunction,
  type ObservableInput,
  type SchedulerLike,
} from 'rxjs';
import { DiagFlags, type Diag } from './diag.js';
import { parseDuration, show, type Duration } from './duration.js';
import {
  InvalidRunError,
  InvalidStateError,
  ServiceCrashedError,
  ServiceStopError,
  StartTimeoutError,
  StopTimeoutError,
  WaitTimeoutError,
  type StuckPhase,
} from './errors.js';
import type { LifecycleEvent, ServiceRef, StopReason } from './events.js';
import { parseCron } from './internal/cron.js';
import { consumeRun, isObservableInput, type RunHandle } from './internal/run-result.js';
import { isThenable } from './internal/is-thenable.js';
import { StopRun } from './internal/stop-run.js';
import { beforeChildrenStop, childCrashed, childStopped, insertChild } from './internal/symbols.js';
import { isWorkPaused } from './internal/pause.js';
import { WorkSet, type WorkHost } from './internal/work.js';
import { silentLogger, type Logger } from './logger.js';
import { canTransition, isShouldStop, type ServiceState } from './state.js';
import { assertTeardown, runTeardown, TeardownStack, type Teardown } from './teardown.js';
import { parseInterval, type TimerOptions, type TimerTick } from './timer.js';
import { hasStartHooks, hasStopHooks, type HookName } from './internal/hooks.js';
import {
  sleep,
  ticks,
  waitFirst,
  waitMany,
  type WaitFirstResult,
  type WaitHost,
  type WaitResult,
} from './internal/waits.js';
import {
  checkName,
  resolveServiceOptions,
  type CronOptions,
  type ResolvedOptions,
  type ServiceOptions,
  type TaskOptions,
} from './options.js';
import { flushDecorated, registerDecorated } from './internal/decorated.js';
import { snapshotOf, type ServiceSnapshot } from './snapshot.js';

/** A BehaviorSubject seen read-only: subscribe, `value`, `getValue()`. */
export type ReadonlyBehaviorSubject<V> = Observable<V> & { readonly value: V; getValue(): V };

/** The children of a childless service: shared, so frozen (it is replaced on the first add). */
const NO_CHILDREN = Object.freeze([]) as unknown as Service<any>[];

const noop = (): void => {};
const RESOLVED: Promise<void> = Promise.resolve();
/** Errors already logged, so an escalated crash is reported once. */
const reported = new WeakSet<object>();
let nextId = 0;

/** Events waiting to be delivered: kept in order even when a transition happens inside a subscriber. */
const queue: { source: Service<any>; event: LifecycleEvent }[] = [];
let draining = false;

/**
 * A long-running service with an observable lifecycle.
 *
 * @remarks
 * ```text
 *            start()              every start step done
 *   init ───────────► starting ─────────────────────────► running
 *    │ stop()            │ stop()                            │ stop()
 *    ▼                   ▼                                   ▼
 *  stopped ◄─────────── stopping ◄─────────────────────────────
 *    ▲ start()    crash(err) from starting or running ──► crashed ── start() ─► starting
 * ```
 * Start order: `onFirstStart` (first start only), `onStart`, children in insertion order, then
 * `run()`, tasks, timers and cron jobs, then `onStarted`. Stop order: `onStop`, children in reverse,
 * work unsubscribed (drain tasks awaited), teardowns last-in-first-out, `onShutdown`. The stop of a
 * whole tree runs within the `stopTimeout` of its root; what is stuck at the deadline is named.
 *
 * @example
 * ```ts
 * class Ticker extends Service<number> {
 *   protected async *run() {
 *     for (let i = 0; !this.shouldStop; i++) { yield i; await this.sleep('1s'); }
 *   }
 * }
 * await using ticker = new Ticker();
 * ticker.run$.subscribe((n) => console.log(n));
 * await ticker.start();
 * ```
 */
export class Service<T = never> implements AsyncDisposable {
  /** Unique per instance. */
  readonly id: string;
  /** `options.name`, else the class name. */
  readonly name: string;
  /** The state, as a BehaviorSubject. */
  readonly state$: ReadonlyBehaviorSubject<ServiceState>;

  #state$: BehaviorSubject<ServiceState>;
  #parent: Service<any> | undefined;
  #children: Service<any>[] = NO_CHILDREN;
  #opts: ResolvedOptions;
  #since: number;

  #events: Subject<LifecycleEvent> | undefined;
  #run$: Subject<any> | undefined;
  #stop$: Observable<StopReason> | undefined;
  #stopWaiters: Set<(reason: StopReason) => void> | undefined;
  #abort: AbortController | undefined;
  #stopReason: StopReason | undefined;
  #crashReason: unknown;
  #restartCount = 0;
  #firstStartBegun = false;
  #diag: DiagFlags | undefined;

  #work: WorkSet | undefined;
  #teardowns: TeardownStack | undefined;
  #runHandle: RunHandle | undefined;
  #workStarted = false;
  #teardownsTaken = false;

  #startPromise: Promise<void> | undefined;
  #startHook: PromiseLike<unknown> | undefined;
  #startPhase = '';
  #stopPromise: Promise<void> | undefined;
  #tearingDown = false;
  #stopRun: StopRun | undefined;
  #stopByParent = false;
  #startedAt = 0;
  #startDurationMs: number | undefined;
  #stopDurationMs: number | undefined;

  constructor(options?: ServiceOptions) {
    const { name, resolved } = resolveServiceOptions(options);
    this.id = `${++nextId}`;
    this.name = name ?? (new.target.name || 'Service');
    this.#opts = resolved;
    this.#state$ = new BehaviorSubject<ServiceState>('init');
    this.state$ = this.#state$;
    this.#since = this.scheduler.now();
    registerDecorated(this, new.target.prototype as object);
  }

  // ─── identity and tree ──────────────────────────────────────────────────────────────────────

  /** `root/child/grandchild`, by names; recomputed when the service moves. */
  get path(): string {
    return this.#parent ? `${this.#parent.path}/${this.name}` : this.name;
  }
  /** The service that owns this one, if any. */
  get parent(): Service<any> | undefined {
    return this.#parent;
  }
  /** The dependencies, in insertion order. */
  get children(): readonly Service<any>[] {
    return this.#children;
  }
  /** The current state. */
  get state(): ServiceState {
    return this.#state$.value;
  }
  /** True while stopping, stopped or crashed: work should end. */
  get shouldStop(): boolean {
    return isShouldStop(this.#state$.value);
  }
  /** The error of the last crash; cleared by a new start. */
  get crashReason(): unknown {
    return this.#crashReason;
  }
  /** Number of starts after the first. */
  get restartCount(): number {
    return this.#restartCount;
  }
  /** The scheduler of this subtree. */
  get scheduler(): SchedulerLike {
    return this.#opts.scheduler ?? this.#parent?.scheduler ?? asyncScheduler;
  }
  /** The logger of this subtree. */
  get logger(): Logger {
    return this.#opts.logger ?? this.#parent?.logger ?? silentLogger;
  }
  /** Diagnostic flags (see `@transitionsTo`). */
  get diag(): Diag {
    return (this.#diag ??= new DiagFlags(() => this.scheduler.now()));
  }
  /** Aborted when the current run starts stopping; a new signal per run. */
  get signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (this.shouldStop) this.#abort.abort(this.#abortReason(this.#stopReason ?? { type: 'manual' }));
    }
    return this.#abort.signal;
  }
  /** The `signal.reason` of a stop: an `AbortError` whose `cause` is the StopReason. */
  #abortReason(reason: StopReason): Error {
    const error = new Error(
      `${this.path} is ${reason.type === 'crash' ? 'crashing' : 'stopping'} (${reason.type})`,
      {
        cause: reason,
      },
    );
    error.name = 'AbortError';
    return error;
  }
  /** Values produced by `run()`; the same Observable across restarts; never errors. */
  get run$(): Observable<T> {
    return (this.#run$ ??= new Subject<T>());
  }
  /** Lifecycle events of this service and every descendant, in order. */
  get events$(): Observable<LifecycleEvent> {
    return (this.#events ??= new Subject<LifecycleEvent>());
  }
  /**
   * Emits the reason once when a stop or crash begins, then completes. A subscriber that arrives
   * while the service is stopping, stopped or crashed gets the last reason at once.
   */
  get stop$(): Observable<StopReason> {
    return (this.#stop$ ??= new Observable<StopReason>((subscriber) => {
      if (this.shouldStop) {
        subscriber.next(this.#stopReason ?? { type: 'manual' });
        subscriber.complete();
        return undefined;
      }
      return this.#onStopBegin((reason) => {
        subscriber.next(reason);
        subscriber.complete();
      });
    }));
  }

  /** The service as it appears in events and errors. */
  get ref(): ServiceRef {
    return { id: this.id, name: this.name, path: this.path };
  }

  // ─── events ─────────────────────────────────────────────────────────────────────────────────

  /** True when this service or an ancestor has an `events$` subscriber. */
  #isObserved(): boolean {
    if (this.#events?.observed) return true;
    for (let s = this.#parent; s; s = s.#parent) if (s.#events?.observed) return true;
    return false;
  }

  /** @internal Emits an event on this service's and every ancestor's `events$`. */
  protected emitEvent(event: LifecycleEvent): void {
    if (!this.#isObserved()) return;
    queue.push({ source: this, event });
    Service.#drain();
  }

  static #drain(): void {
    if (draining) return;
    draining = true;
    try {
      for (let item = queue.shift(); item; item = queue.shift()) {
        for (let s: Service<any> | undefined = item.source; s; s = s.#parent) {
          if (s.#events?.observed) s.#events.next(item.event);
        }
      }
    } finally {
      draining = false;
    }
  }

  /** Moves to `to`; `at` defaults to the scheduler's now (a synchronous burst may reuse one reading). */
  #setState(to: ServiceState, reason?: StopReason, at: number = this.scheduler.now()): void {
    const from = this.#state$.value;
    if (!canTransition(from, to)) throw new InvalidStateError(this.ref, from, `move to ${to}`);
    this.#since = at;
    if (this.#isObserved()) {
      const event: LifecycleEvent = { type: 'state', service: this.ref, at, from, to };
      if (reason) event.reason = reason;
      queue.push({ source: this, event });
      this.#state$.next(to);
      Service.#drain();
    } else {
      this.#state$.next(to);
    }
  }

  #onStopBegin(waiter: (reason: StopReason) => void): () => void {
    (this.#stopWaiters ??= new Set()).add(waiter);
    return () => this.#stopWaiters?.delete(waiter);
  }

  /** stop$ emits, `signal` aborts: the first thing every stop and crash does. */
  #announceStop(reason: StopReason): void {
    this.#stopReason = reason;
    if (this.#abort) this.#abort.abort(this.#abortReason(reason));
    const waiters = this.#stopWaiters;
    this.#stopWaiters = undefined;
    if (waiters) for (const waiter of waiters) waiter(reason);
  }

  // ─── hooks (override in subclasses) ─────────────────────────────────────────────────────────

  /** Services to add as dependencies on the first start. */
  protected onInitDependencies(): Iterable<Service<any>> {
    return [];
  }
  /** Runs on the first start only, before `onStart`. */
  protected onFirstStart(): Promise<void> | void {}
  /** Runs on every start, before the children start. */
  protected onStart(): Promise<void> | void {}
  /** Runs once the children and the work have started, before `running`. */
  protected onStarted(): Promise<void> | void {}
  /** Runs first when stopping, before the children stop. */
  protected onStop(): Promise<void> | void {}
  /** Runs last when stopping, after the children, the work and the teardowns. */
  protected onShutdown(): Promise<void> | void {}
  /** Runs between the stop and the start of `restart()`. */
  protected onRestart(): Promise<void> | void {}
  /** Runs when the service crashes, before it tears itself down. */
  protected onCrash(_error: unknown): Promise<void> | void {}
  /** The ongoing work: an async function, an Observable, or an async generator; values go to `run$`. */
  protected run?(signal: AbortSignal): ObservableInput<T> | PromiseLike<void> | void;

  /** Calls a hook, emitting a `hook` event when it is overridden; returns its promise if it has one. */
  #callHook(hook: HookName, arg?: unknown): PromiseLike<unknown> | undefined {
    const fn = (this as any)[hook] as (arg?: unknown) => unknown;
    if (fn === (Service.prototype as any)[hook]) return undefined;
    const t0 = this.scheduler.now();
    const done = (error?: unknown, failed = false): void => {
      if (!this.#isObserved()) return;
      const at = this.scheduler.now();
      const event: LifecycleEvent = { type: 'hook', service: this.ref, at, hook, durationMs: at - t0 };
      if (failed) event.error = error;
      this.emitEvent(event);
    };
    let result: unknown;
    try {
      result = fn.call(this, arg);
    } catch (error) {
      done(error, true);
      throw error;
    }
    if (!isThenable(result)) {
      done();
      return undefined;
    }
    return Promise.resolve(result).then(
      () => done(),
      (error: unknown) => {
        done(error, true);
        throw error;
      },
    );
  }

  // ─── start ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Starts the service and its subtree (section 3.1 of the contract).
   *
   * @remarks Concurrent calls share one promise; on a running service it resolves at once; on a
   * stopping one it waits for the stop, then starts. A stop during start makes it resolve once that
   * stop finished. A failing step or the timeout rolls back what started, leaves the service
   * `crashed` and rejects with the error (or `StartTimeoutError`).
   * @throws TypeError for an invalid `timeout` or `signal`.
   */
  start(options?: { timeout?: Duration; signal?: AbortSignal }): Promise<void> {
    const timeoutMs =
      options?.timeout === undefined ? this.#opts.startTimeoutMs : parseDuration(options.timeout, 'timeout');
    const signal = options?.signal;
    if (
      signal !== undefined &&
      (typeof signal !== 'object' || typeof signal?.addEventListener !== 'function')
    ) {
      throw new TypeError(`signal must be an AbortSignal; received ${show(signal)}`);
    }
    const state = this.state;
    if (state === 'running') return RESOLVED;
    if (state === 'starting') return this.#startPromise ?? this.waitFor('running');
    if (state === 'stopping' || (state === 'crashed' && this.#tearingDown)) {
      const again = (): Promise<void> => this.start(options);
      return (this.#stopPromise ?? RESOLVED).then(again, again);
    }
    this.#startPromise = undefined;
    if (
      timeoutMs === undefined &&
      signal === undefined &&
      this.#children.length === 0 &&
      !hasStartHooks(this, Service.prototype)
    ) {
      return this.#startLeaf();
    }
    const promise = this.#start(timeoutMs, signal);
    if (this.state === 'starting') this.#startPromise = promise;
    return promise;
  }

  /** Starts from `init`, `stopped` or `crashed` (true); false when already starting or running. */
  async maybeStart(): Promise<boolean> {
    const state = this.state;
    if (state === 'starting' || state === 'running') return false;
    await this.start();
    return true;
  }

  /** Resets the per-run fields and enters `starting`. */
  #beginStart(): void {
    if (this.#firstStartBegun) this.#restartCount++;
    else flushDecorated(this);
    this.#abort = undefined;
    this.#stopReason = undefined;
    this.#crashReason = undefined;
    this.#startDurationMs = undefined;
    this.#teardownsTaken = false;
    this.#setState('starting');
    this.#startedAt = this.#since;
  }

  /**
   * The start of a service with no children and no start hooks: synchronous, so a large tree of
   * leaves costs no promise per leaf. Only a failure of its work makes it asynchronous.
   */
  #startLeaf(): Promise<void> {
    this.#beginStart();
    if (this.state === 'starting') {
      this.#firstStartBegun = true;
      this.#startPhase = 'run';
      try {
        this.#startWork();
      } catch (error) {
        this.crash(error);
      }
    }
    if (this.state === 'starting') {
      // no user code ran since `starting` unless there is work: the same clock reading will do
      this.#setState('running', undefined, this.#work || this.#runHandle ? undefined : this.#since);
      this.#startDurationMs = this.#since - this.#startedAt;
      return RESOLVED;
    }
    return this.#settleStart(false, undefined);
  }

  async #start(timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.#beginStart();
    const timer = timeoutMs === undefined ? undefined : this.#startTimer(timeoutMs);
    let aborted = false;
    const onAbort = signal
      ? (): void => {
          aborted = true;
          this.stop().catch(noop);
        }
      : undefined;
    if (onAbort) signal!.addEventListener('abort', onAbort, { once: true });
    let offStop: (() => void) | undefined;
    try {
      // The steps end, or a stop or crash begins (a hung hook must not hold start() past the rollback).
      await new Promise<void>((resolve) => {
        offStop = this.#onStopBegin(() => resolve());
        this.#startSteps().then(resolve, (error: unknown) => {
          this.crash(error);
          resolve();
        });
      });
    } finally {
      offStop?.();
      this.#startHook = undefined;
      timer?.unsubscribe();
      if (onAbort) signal!.removeEventListener('abort', onAbort);
      if (this.#startPromise && this.state !== 'starting') this.#startPromise = undefined;
    }
    return this.#settleStart(aborted, signal);
  }

  /** What `start()` resolves or rejects with once the start steps ended. */
  async #settleStart(aborted: boolean, signal: AbortSignal | undefined): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'crashed') {
      await this.#stopPromise;
      throw this.#crashReason;
    }
    // A stop interrupted the start: resolve once it finished (its errors go to its own caller).
    if (this.#stopPromise) await this.#stopPromise.then(noop, noop);
    if (aborted) throw signal!.reason;
  }

  #startTimer(timeoutMs: number): Subscription {
    const error = new StartTimeoutError(this.ref, 'onStart', timeoutMs);
    return this.scheduler.schedule(() => {
      if (this.state !== 'starting') return;
      error.setPhase(this.#startPhase);
      this.crash(error);
    }, timeoutMs);
  }

  /** Awaits a start hook in flight, so that a stop during start can let it finish first. */
  #awaitStartHook(pending: PromiseLike<unknown>): PromiseLike<unknown> {
    this.#startHook = pending;
    return pending;
  }

  async #startSteps(): Promise<void> {
    let pending: PromiseLike<unknown> | undefined;
    if (!this.#firstStartBegun) {
      this.#firstStartBegun = true;
      this.#startPhase = 'onInitDependencies';
      for (const child of this.onInitDependencies()) this.addDependency(child);
      this.#startPhase = 'onFirstStart';
      if ((pending = this.#callHook('onFirstStart'))) await this.#awaitStartHook(pending);
      if (this.state !== 'starting') return;
    }
    this.#startPhase = 'onStart';
    if ((pending = this.#callHook('onStart'))) await this.#awaitStartHook(pending);
    if (this.state !== 'starting') return;
    this.#startHook = undefined;
    this.#startPhase = 'children';
    const children = this.#children;
    if (children.length > 0) {
      // A child that started synchronously returns RESOLVED: no await, no microtask hop.
      if (this.#opts.parallelStart) {
        let starts: Promise<void>[] | undefined;
        for (const child of children.slice()) {
          const started = child.start();
          if (started !== RESOLVED) (starts ??= []).push(started);
        }
        if (starts) await Promise.all(starts);
      } else {
        for (const child of children.slice()) {
          const started = child.start();
          if (started !== RESOLVED) await started;
          if (this.state !== 'starting') return;
        }
      }
      if (this.state !== 'starting') return;
    }
    this.#startPhase = 'run';
    this.#startWork();
    if (this.state !== 'starting') return;
    this.#startPhase = 'onStarted';
    if ((pending = this.#callHook('onStarted'))) await this.#awaitStartHook(pending);
    if (this.state !== 'starting') return;
    this.#setState('running');
    this.#startDurationMs = this.#since - this.#startedAt;
  }

  #startWork(): void {
    this.#workStarted = true;
    const hasRun = typeof this.run === 'function';
    if (!hasRun && (!this.#work || this.#work.isEmpty)) return;
    const host = this.#workHost();
    if (hasRun) {
      const result = this.run!(host.signal);
      if (result !== undefined && !isObservableInput(result)) throw new InvalidRunError(this.ref, result);
      this.#runHandle = consumeRun(result, {
        signal: host.signal,
        publish: (value) => this.#run$?.next(value),
        fail: host.fail,
      });
    }
    this.#work?.startAll(host);
  }

  #workHost(): WorkHost {
    return {
      signal: this.signal,
      scheduler: this.scheduler,
      fail: (error) => this.#workFailed(error),
      tickEvent: (type, timer, driftMs) =>
        this.emitEvent({ type, service: this.ref, at: this.scheduler.now(), timer, driftMs }),
      isPaused: () => isWorkPaused(this),
    };
  }

  /** A task, timer, cron body or `run()` failed: crash while running; after a stop began, collect it. */
  #workFailed(error: unknown): void {
    if (!this.shouldStop) {
      this.crash(error);
      return;
    }
    const signal = this.#abort?.signal;
    const isAbort =
      (signal?.aborted && error === signal.reason) || (error instanceof Error && error.name === 'AbortError');
    if (isAbort) return;
    if (this.#stopRun) this.#stopRun.fail(error);
    else this.logger.error({ service: this.path, err: error }, 'work failed after the service stopped');
  }

  // ─── stop ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Stops the service and its subtree (section 3.2 of the contract) within `stopTimeout`.
   *
   * @remarks Every step runs even when an earlier one threw; the errors come back together as a
   * `ServiceStopError` once the state is `stopped`. At the deadline whatever is pending is abandoned
   * and named in a `stop-timeout` event and a `StopTimeoutError`. On `init` it moves straight to
   * `stopped`; on `crashed` it waits for the crash teardown and resolves.
   * @throws TypeError when `reason` is not a StopReason.
   */
  stop(reason: StopReason = { type: 'manual' }): Promise<void> {
    if (typeof reason !== 'object' || reason === null || typeof reason.type !== 'string') {
      throw new TypeError(`reason must be a StopReason such as { type: 'manual' }; received ${show(reason)}`);
    }
    return this.#stop(reason, undefined);
  }

  /** `stop()`, so `await using service = …` stops it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  #stop(reason: StopReason, parentRun: StopRun | undefined): Promise<void> {
    switch (this.state) {
      case 'init':
        this.#stopFromInit(reason);
        return RESOLVED;
      case 'stopped':
        return RESOLVED;
      case 'crashed':
        return this.#tearingDown && this.#stopPromise ? this.#stopPromise.then(noop, noop) : RESOLVED;
      case 'stopping':
        return this.#stopPromise ?? RESOLVED;
      default: {
        this.#stopByParent = parentRun !== undefined;
        this.#setState('stopping', reason);
        this.#announceStop(reason);
        if (
          this.#children.length === 0 &&
          !this.#work &&
          !this.#runHandle &&
          !this.#teardowns &&
          !this.#startHook &&
          !hasStopHooks(this, Service.prototype)
        ) {
          return this.#stopLeaf(reason);
        }
        const promise = this.#teardown(reason, parentRun, false);
        this.#stopPromise = promise;
        return promise;
      }
    }
  }

  /** The stop of a service with nothing to stop but itself: synchronous (see `#startLeaf`). */
  #stopLeaf(reason: StopReason): Promise<void> {
    const t0 = this.#since;
    this.#teardownsTaken = true;
    this.#setState('stopped', reason, t0); // nothing to wait for: stopped as it began
    this.#stopDurationMs = 0;
    const byParent = this.#stopByParent;
    this.#stopByParent = false;
    if (!byParent && reason.type !== 'parent') this.#parent?.[childStopped](this, reason);
    return RESOLVED;
  }

  #stopFromInit(reason: StopReason): void {
    this.#setState('stopped', reason);
    this.#announceStop(reason);
    const parentReason: StopReason = { type: 'parent', parent: this.path };
    for (const child of this.#children) if (child.state === 'init') child.#stopFromInit(parentReason);
  }

  /**
   * The stop phases (steps 2–6), for a stop or a crash teardown. The root of a stop owns the
   * deadline; a parent's run is passed down so that its expiry abandons the whole subtree.
   */
  async #teardown(reason: StopReason, parentRun: StopRun | undefined, crashing: boolean): Promise<void> {
    const run = new StopRun(parentRun?.abandoned ?? false);
    this.#stopRun = run;
    this.#tearingDown = true;
    const scheduler = this.scheduler;
    const t0 = this.#since;
    // The root of a stop arms its deadline before the first await (a synchronous stop needs none).
    let deadline: Subscription | undefined;
    const arm = (): void => {
      if (!parentRun && !deadline)
        deadline = scheduler.schedule(() => this.#expire(run), this.#opts.stopTimeoutMs);
    };
    let pending: Promise<void> | undefined;
    try {
      if (crashing) {
        try {
          const crashHook = this.#callHook('onCrash', this.#crashReason);
          if (crashHook) {
            arm();
            await run.await('onCrash', crashHook, scheduler).catch(noop);
          }
        } catch {
          // reported as a `hook` event with `error`; changes nothing else
        }
      } else if (this.#startHook) {
        // a stop during start lets the start hook in flight finish first (within the budget)
        arm();
        await this.#awaitPhase(run, this.#startPhase, this.#startHook);
      }
      if ((pending = this.#hookPhase(run, 'onStop'))) {
        arm();
        await pending;
      }
      const before = this[beforeChildrenStop]?.();
      if (before) {
        arm();
        await this.#awaitPhase(run, 'onStop', before);
      }
      if (this.#children.length > 0 && (pending = this.#stopChildren(run))) {
        arm();
        await pending;
      }
      if (this.#runHandle || this.#work) {
        const waits = this.#stopWork();
        if (waits.length > 0) {
          arm();
          await Promise.all(waits.map((work) => this.#awaitPhase(run, work.phase, work.pending)));
        }
        this.#work?.releaseDrained();
      }
      this.#workStarted = false;
      if (this.#teardowns) {
        arm();
        await this.#runTeardowns(run);
      }
      this.#teardownsTaken = true;
      if ((pending = this.#hookPhase(run, 'onShutdown'))) {
        arm();
        await pending;
      }
    } finally {
      deadline?.unsubscribe();
      this.#stopRun = undefined;
      this.#tearingDown = false;
      if (!crashing) this.#setState('stopped', reason);
      this.#stopDurationMs = (crashing ? scheduler.now() : this.#since) - t0;
    }
    const byParent = this.#stopByParent;
    this.#stopByParent = false;
    if (!crashing && !byParent && reason.type !== 'parent') this.#parent?.[childStopped](this, reason);
    if (run.stuck) throw new StopTimeoutError(this.ref, run.stuck, run.errors ?? []);
    if (run.errors) {
      if (crashing) {
        for (const error of run.errors) {
          this.logger.error({ service: this.path, err: error }, 'crash teardown failed');
        }
        return;
      }
      throw new ServiceStopError(this.ref, run.errors);
    }
  }

  /** Runs a stop hook; returns a promise only when it is async. Failures are collected in `run`. */
  #hookPhase(run: StopRun, hook: HookName): Promise<void> | undefined {
    let pending: PromiseLike<unknown> | undefined;
    try {
      pending = this.#callHook(hook);
    } catch (error) {
      run.fail(error);
      return undefined;
    }
    return pending ? this.#awaitPhase(run, hook, pending) : undefined;
  }

  async #awaitPhase(run: StopRun, phase: string, pending: PromiseLike<unknown>): Promise<void> {
    try {
      await run.await(phase, pending, this.scheduler);
    } catch (error) {
      run.fail(error);
    }
  }

  /** Stops the children (reverse order, or all at once); a promise only when one of them is async. */
  #stopChildren(run: StopRun): Promise<void> | undefined {
    const children = this.#children.slice();
    const reason: StopReason = { type: 'parent', parent: this.path };
    if (this.#opts.parallelStop) {
      let stops: Promise<void>[] | undefined;
      for (const child of children) {
        const stopped = child.#stop(reason, run);
        if (stopped !== RESOLVED) (stops ??= []).push(stopped.catch((e: unknown) => run.failChild(e)));
      }
      return stops ? Promise.all(stops).then(noop) : undefined;
    }
    for (let i = children.length - 1; i >= 0; i--) {
      const stopped = children[i]!.#stop(reason, run);
      if (stopped !== RESOLVED) return this.#stopChildrenAfter(run, reason, children, i, stopped);
    }
    return undefined;
  }

  /** The rest of a sequential stop of the children, once child `index` turned out to be async. */
  async #stopChildrenAfter(
    run: StopRun,
    reason: StopReason,
    children: readonly Service<any>[],
    index: number,
    stopping: Promise<void>,
  ): Promise<void> {
    try {
      await stopping;
    } catch (error) {
      run.failChild(error);
    }
    for (let i = index - 1; i >= 0; i--) {
      try {
        await children[i]!.#stop(reason, run);
      } catch (error) {
        run.failChild(error);
      }
    }
  }

  #stopWork(): { phase: string; pending: PromiseLike<unknown> }[] {
    const waits = this.#work?.stopAll() ?? [];
    const handle = this.#runHandle;
    this.#runHandle = undefined;
    if (handle) {
      handle.subscription?.unsubscribe();
      const pending = handle.pending();
      if (pending) waits.unshift({ phase: 'run', pending });
    }
    return waits;
  }

  async #runTeardowns(run: StopRun): Promise<void> {
    for (const teardown of this.#teardowns!.takeForStop()) {
      try {
        const result = runTeardown(teardown);
        if (isThenable(result)) await this.#awaitPhase(run, 'teardown', result);
      } catch (error) {
        run.fail(error);
      }
    }
  }

  /** The stop budget of `run` (a root of a stop) ran out: name what is stuck, abandon the subtree. */
  #expire(run: StopRun): void {
    const stuck: StuckPhase[] = [];
    const now = this.scheduler.now();
    const runs: StopRun[] = [];
    const visit = (service: Service<any>): void => {
      const r = service.#stopRun;
      if (r) {
        runs.push(r);
        for (const { phase, since } of r.pending ?? []) {
          stuck.push({ path: service.path, phase, elapsedMs: now - since });
        }
      }
      for (const child of service.#children) visit(child);
    };
    visit(this);
    run.stuck = stuck;
    this.emitEvent({ type: 'stop-timeout', service: this.ref, at: now, stuck });
    this.logger.error({ service: this.path, stuck }, 'stop timed out');
    for (const r of runs) r.abandon();
  }

  // ─── restart and crash ──────────────────────────────────────────────────────────────────────

  /**
   * `stop()` with reason `restart`, `onRestart()`, then `start()`; the same children are reused.
   *
   * @throws InvalidStateError while stopping.
   */
  async restart(): Promise<void> {
    if (this.state === 'stopping') throw new InvalidStateError(this.ref, 'stopping', 'restart');
    if (this.state === 'starting') await this.start().catch(noop);
    await this.#stop({ type: 'restart' }, undefined);
    const pending = this.#callHook('onRestart');
    if (pending) await pending;
    await this.start();
  }

  /**
   * Crashes the service: state `crashed` at once, `onCrash(error)`, then a teardown as in `stop()`.
   *
   * @remarks A no-op unless the service is starting or running (the first reason is kept). The crash
   * escalates to the parent, or goes to its supervisor.
   */
  crash(error: unknown): void {
    const state = this.state;
    if (state !== 'starting' && state !== 'running') return;
    this.#crashReason = error;
    const reason: StopReason = { type: 'crash', error };
    this.#setState('crashed', reason);
    this.emitEvent({ type: 'crash', service: this.ref, at: this.#since, error });
    if (typeof error === 'object' && error !== null) {
      if (!reported.has(error)) {
        reported.add(error);
        this.logger.error({ service: this.path, err: error }, 'crashed');
      }
    } else {
      this.logger.error({ service: this.path, err: error }, 'crashed');
    }
    this.#announceStop(reason);
    this.#stopPromise = this.#teardown(reason, undefined, true).catch((err: unknown) => {
      // a crash teardown that timed out: already reported as a stop-timeout event and logged
      void err;
    });
    this.#parent?.[childCrashed](this, error);
  }

  /** @internal A child crashed: by default the crash escalates. Supervisors override this. */
  protected [childCrashed](_child: Service<any>, error: unknown): void {
    this.crash(error);
  }

  /** @internal Work between `onStop` and the stop of the children (supervisors settle restarts here). */
  protected [beforeChildrenStop]?(): PromiseLike<unknown> | void;

  /** @internal A child stopped on its own (not by this parent). Supervisors override this. */
  protected [childStopped](_child: Service<any>, _reason: StopReason): void {}

  // ─── waiting ────────────────────────────────────────────────────────────────────────────────

  /** Resolves once the service is stopped, or crashed and torn down. */
  async waitUntilStopped(): Promise<void> {
    await firstValueFrom(this.#state$.pipe(filter((state) => state === 'stopped' || state === 'crashed')));
    if (this.#tearingDown && this.#stopPromise) await this.#stopPromise.then(noop, noop);
  }

  /**
   * Resolves when the service reaches `state` (for `crashed` and `stopped`: once torn down).
   *
   * @throws WaitTimeoutError on timeout; ServiceCrashedError when it crashes first (unless waiting for
   * `crashed`); `signal.reason` when aborted.
   */
  waitFor(state: ServiceState, options?: { timeout?: Duration; signal?: AbortSignal }): Promise<void> {
    const valid: readonly string[] = ['init', 'starting', 'running', 'stopping', 'stopped', 'crashed'];
    if (!valid.includes(state)) throw new TypeError(`state must be a ServiceState; received ${show(state)}`);
    const timeoutMs = options?.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeout');
    const signal = options?.signal;
    const timeoutError =
      timeoutMs === undefined ? undefined : new WaitTimeoutError(this.ref, state, timeoutMs);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const cleanup = new Subscription();
      const settle = (fn: () => void): void => {
        cleanup.unsubscribe();
        fn();
      };
      if (timeoutMs !== undefined) {
        cleanup.add(this.scheduler.schedule(() => settle(() => reject(timeoutError)), timeoutMs));
      }
      if (signal) {
        const onAbort = (): void => settle(() => reject(signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
        cleanup.add(() => signal.removeEventListener('abort', onAbort));
      }
      cleanup.add(
        this.#state$.subscribe((current) => {
          if (current === state) {
            if (state === 'crashed') {
              // the crash teardown begins right after the transition: wait for it to finish
              void Promise.resolve()
                .then(() => (this.#tearingDown ? this.#stopPromise : undefined))
                .then(
                  () => settle(resolve),
                  () => settle(resolve),
                );
            } else {
              settle(resolve);
            }
          } else if (current === 'crashed') {
            settle(() => reject(new ServiceCrashedError(this.ref, this.#crashReason)));
          }
        }),
      );
    });
  }

  /**
   * Sleeps on the service's scheduler: true after `duration`, false when woken early by a stop or
   * crash (at once when already stopping). Leaves no timer behind.
   *
   * @throws TypeError for an invalid duration.
   */
  sleep(duration: Duration): Promise<boolean> {
    return sleep(this.#waitHost(), parseDuration(duration, 'duration'));
  }

  /**
   * Waits for `input` to finish (an Observable's last value when it completes, a promise's value),
   * for the service to stop, or for the timeout, whichever comes first.
   *
   * @throws the input's error (as a rejection); TypeError for an invalid timeout.
   */
  wait<V>(input: ObservableInput<V>, options?: { timeout?: Duration }): Promise<WaitResult<V>> {
    return this.waitMany([input], options).then((r) =>
      r.stopped || r.timedOut ? r : { result: r.result[0] as V, stopped: false, timedOut: false },
    );
  }

  /** Waits for every input (see {@link Service.wait}); the result lists their results in input order. */
  waitMany(
    inputs: ObservableInput<unknown>[],
    options?: { timeout?: Duration },
  ): Promise<WaitResult<unknown[]>> {
    if (!Array.isArray(inputs)) throw new TypeError(`inputs must be an array; received ${show(inputs)}`);
    const timeoutMs = options?.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeout');
    return waitMany(this.#waitHost(), inputs, timeoutMs);
  }

  /**
   * Resolves with the index and result of the first input to finish (complete, or resolve), or
   * `index: -1` when the service stops first.
   */
  waitFirst(...inputs: ObservableInput<unknown>[]): Promise<WaitFirstResult> {
    return waitFirst(this.#waitHost(), inputs);
  }

  /**
   * Fixed-rate ticks as an async iterable that ends when the service stops; a tick that comes
   * while the loop body still runs is skipped (counted in `overlaps`).
   *
   * @throws TypeError for a non-positive interval.
   */
  itertimer(interval: Duration, options?: TimerOptions): AsyncIterable<TimerTick> {
    const intervalMs = parseInterval(interval);
    const execFirst = options?.execFirst ?? false;
    return { [Symbol.asyncIterator]: () => ticks(this.#waitHost(), intervalMs, execFirst) };
  }

  #waitHost(): WaitHost {
    return {
      scheduler: this.scheduler,
      shouldStop: () => this.shouldStop,
      onStopBegin: (waiter) => this.#onStopBegin(waiter),
    };
  }

  /** `takeUntil(stop$)`, safe for subscribers that arrive after the stop began. */
  untilStopped<V>(): MonoTypeOperatorFunction<V> {
    return takeUntil<V>(this.stop$);
  }

  // ─── work and teardown registration ─────────────────────────────────────────────────────────

  /** True while a registration belongs to the current run rather than the definition. */
  #inRun(): boolean {
    const state = this.state;
    return (
      state === 'starting' ||
      state === 'running' ||
      state === 'stopping' ||
      (state === 'crashed' && this.#tearingDown)
    );
  }

  #addWork(def: Parameters<WorkSet['add']>[0]): void {
    const work = (this.#work ??= new WorkSet());
    if (!this.#inRun()) {
      work.add(def, false);
      return;
    }
    if (this.shouldStop) return; // the run is ending: nothing new starts
    work.add(def, true, this.#workStarted ? this.#workHost() : undefined);
  }

  /**
   * Adds a task: `fn(signal)` is subscribed on every start (after the children run) and unsubscribed
   * at stop, or awaited with `drain: true`. A failure crashes the service.
   *
   * @throws TypeError for a non-function `fn` or invalid options.
   */
  addTask(fn: (signal: AbortSignal) => ObservableInput<unknown>, options?: TaskOptions): void {
    if (typeof fn !== 'function') throw new TypeError(`fn must be a function; received ${show(fn)}`);
    const name = checkName(options?.name);
    if (options?.drain !== undefined && typeof options.drain !== 'boolean') {
      throw new TypeError(`drain must be a boolean; received ${show(options.drain)}`);
    }
    const work = (this.#work ??= new WorkSet());
    this.#addWork({ kind: 'task', name: name ?? work.nextName('task'), fn, drain: options?.drain ?? false });
  }

  /**
   * Adds a fixed-rate timer: `fn(tick)` runs every `interval` (first after one interval, or at once
   * with `execFirst`); a tick that comes while the body still runs is skipped and counted.
   *
   * @throws TypeError for a non-positive interval or a non-function `fn`.
   */
  addTimer(interval: Duration, fn: (tick: TimerTick) => unknown, options?: TimerOptions): void {
    const intervalMs = parseInterval(interval);
    if (typeof fn !== 'function') throw new TypeError(`fn must be a function; received ${show(fn)}`);
    const name = checkName(options?.name);
    const work = (this.#work ??= new WorkSet());
    this.#addWork({
      kind: 'timer',
      name: name ?? work.nextName('timer'),
      fn,
      intervalMs,
      execFirst: options?.execFirst ?? false,
    });
  }

  /**
   * Adds a cron job (5 or 6 fields, parsed by croner) run on the service's scheduler.
   *
   * @throws TypeError for an invalid expression or time zone.
   */
  addCron(expression: string, fn: () => unknown, options?: CronOptions): void {
    const schedule = parseCron(expression, options?.timezone);
    if (typeof fn !== 'function') throw new TypeError(`fn must be a function; received ${show(fn)}`);
    const name = checkName(options?.name);
    const work = (this.#work ??= new WorkSet());
    this.#addWork({ kind: 'cron', name: name ?? work.nextName('cron'), fn, schedule });
  }

  /**
   * Adds teardown logic run at stop, last in first out (Mode's `add_context`). Added while the
   * teardowns of the current stop already ran, it runs at once.
   */
  addTeardown(teardown: Teardown): void {
    assertTeardown(teardown);
    if (
      this.#teardownsTaken &&
      (this.state === 'stopping' || (this.state === 'crashed' && this.#tearingDown))
    ) {
      try {
        const result = runTeardown(teardown);
        if (isThenable(result)) Promise.resolve(result).catch((error: unknown) => this.#workFailed(error));
      } catch (error) {
        this.#workFailed(error);
      }
      return;
    }
    (this.#teardowns ??= new TeardownStack()).add(teardown, this.#inRun());
  }

  // ─── dependencies ───────────────────────────────────────────────────────────────────────────

  /**
   * Adds a child: started with this service (after `onStart`), stopped before it (after `onStop`).
   *
   * @remarks Adding the same child again is a no-op; a stopped or idle child moves from another
   * parent; a running one cannot.
   * @throws TypeError when `child` is not a Service or is this service or one of its ancestors;
   * InvalidStateError when it runs under another parent.
   */
  addDependency<S extends Service<any>>(child: S): S {
    return this[insertChild](this.#children.length, child);
  }

  /** @internal Adds a child at `index` (supervisors keep a crashed child's slot for its replacement). */
  protected [insertChild]<S extends Service<any>>(index: number, child: S): S {
    if (!(child instanceof Service)) throw new TypeError(`child must be a Service; received ${show(child)}`);
    if (child.#parent === this) return child;
    if ((child as Service<any>) === this) throw new TypeError(`${this.path} cannot depend on itself`);
    for (let s = this.#parent; s; s = s.#parent) {
      if (s === child)
        throw new TypeError(`child ${child.path} cannot be added to its own descendant ${this.path}`);
    }
    const old = child.#parent;
    if (old) {
      const state = child.state;
      if (state === 'starting' || state === 'running' || state === 'stopping') {
        throw new InvalidStateError(child.ref, state, `move to another parent (${this.path})`);
      }
      old.#detach(child);
    }
    if (this.#children === NO_CHILDREN) this.#children = [];
    if (index >= this.#children.length) this.#children.push(child);
    else this.#children.splice(Math.max(0, index), 0, child);
    child.#parent = this;
    if (this.#isObserved()) {
      this.emitEvent({
        type: 'child',
        service: this.ref,
        at: this.scheduler.now(),
        child: child.ref,
        op: 'added',
      });
    }
    return child;
  }

  /** Adds a child and, when this service is running, starts it now. */
  async addRuntimeDependency<S extends Service<any>>(child: S): Promise<S> {
    const state = this.state;
    if (state === 'stopping') throw new InvalidStateError(this.ref, state, 'add a runtime dependency');
    this.addDependency(child);
    if (state === 'running' || (state === 'starting' && this.#workStarted)) await child.start();
    return child;
  }

  /** Stops a child, then detaches it. */
  async removeDependency(child: Service<any>): Promise<void> {
    if (!(child instanceof Service)) throw new TypeError(`child must be a Service; received ${show(child)}`);
    if (child.#parent !== this) return;
    try {
      await child.#stop({ type: 'parent', parent: this.path }, undefined);
    } finally {
      if (child.#parent === this) this.#detach(child);
    }
  }

  #detach(child: Service<any>): void {
    const index = this.#children.indexOf(child);
    if (index < 0) return;
    const ref = child.ref;
    this.#children.splice(index, 1);
    child.#parent = undefined;
    if (this.#isObserved()) {
      this.emitEvent({
        type: 'child',
        service: this.ref,
        at: this.scheduler.now(),
        child: ref,
        op: 'removed',
      });
    }
  }

  // ─── inspection ─────────────────────────────────────────────────────────────────────────────

  /** A snapshot of the subtree (section 8 of the contract). */
  toJSON(): ServiceSnapshot {
    return snapshotOf(this, {
      since: this.#since,
      startDurationMs: this.#startDurationMs,
      stopDurationMs: this.#stopDurationMs,
      flags: this.#diag ? [...this.#diag.flags] : [],
      pending: this.#pendingWork(),
    });
  }

  /** Phase names of what is under way: the start step, awaited stop phases, running work. */
  #pendingWork(): string[] {
    const pending: string[] = [];
    if (this.state === 'starting') pending.push(this.#startPhase);
    if (this.#stopRun?.pending) for (const { phase } of this.#stopRun.pending) pending.push(phase);
    if (
      this.#runHandle?.pending() ||
      (this.#runHandle?.subscription && !this.#runHandle.subscription.closed)
    ) {
      pending.push('run');
    }
    if (this.#work) pending.push(...this.#work.active());
    return pending;
  }
}
