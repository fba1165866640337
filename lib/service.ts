/**
 * The Service façade: identity, the one state in one BehaviorSubject, the public methods, the state
 * transitions and the synchronous paths of a leaf. The start and stop sequences (`internal/start-run.ts`,
 * `internal/stop-sequence.ts`), the children (`children.ts`, `internal/dependencies.ts`), the work
 * (`internal/service-work.ts`), the waits (`internal/waits.ts`) and `stop$` (`internal/stop-signal.ts`)
 * live beside it.
 */
import { BehaviorSubject, Subject, asyncScheduler, takeUntil, type Observable } from 'rxjs';
import type { MonoTypeOperatorFunction, ObservableInput, SchedulerLike } from 'rxjs';
import { RESOLVED, startChildren } from './children.js';
import { DiagFlags, type Diag } from './diag.js';
import { parseDuration, type Duration } from './duration.js';
import { InvalidRunError, InvalidStateError } from './errors.js';
import type { LifecycleEvent, ServiceRef, StopReason } from './events.js';
import { flushDecorated, registerDecorated } from './internal/decorated.js';
import { adopt, checkAfter, isDueToStart, removeChild, warnIdle } from './internal/dependencies.js';
import { EventHub } from './internal/event-hub.js';
import { deliverEvents, publishEvent, queueEvent } from './internal/event-queue.js';
import { show } from './internal/format.js';
import { callHook, hasStartHooks, hasStopHooks, type HookName } from './internal/hooks.js';
import type { LifecycleSettings, WorkStop } from './internal/host.js';
import { noop } from './internal/noop.js';
import { checkSignal, restart, runStart, startAfter, startEnded, StartRun } from './internal/start-run.js';
import { StopRun, type StopStep } from './internal/stop-run.js';
import { beginStop, reportCrash, runStop, stopAgain } from './internal/stop-sequence.js';
import { ServiceWork, type Registration } from './internal/service-work.js';
import { StopSignal, stopNotice } from './internal/stop-signal.js';
import * as $ from './internal/symbols.js';
import * as waits from './internal/waits.js';
import type { WaitFirstResult, WaitResult } from './internal/waits.js';
import { cronDef, taskDef, timerDef } from './internal/work-defs.js';
import { isObservableInput, type WorkDef } from './internal/work.js';
import { silentLogger, type Logger } from './logger.js';
import { resolveServiceOptions, type ResolvedOptions } from './options.js';
import type { CronOptions, ServiceOptions, TaskOptions } from './options.js';
import { snapshotOf, type ServiceSnapshot } from './snapshot.js';
import { canTransition, isShouldStop, type ServiceState } from './state.js';
import { assertTeardown, type Teardown } from './teardown.js';
import type { TimerOptions, TimerTick } from './timer.js';

/** Options of `addDependency` and `addRuntimeDependency`. */
export interface DependencyOptions {
  /**
   * Siblings (children already added to the same parent) this child needs running first: with
   * `startConcurrency: 'parallel'` it starts once they run; with `stopConcurrency: 'parallel'` they
   * stop once it has stopped (section 3.6 of the contract).
   * @defaultValue none
   */
  after?: Service<any> | readonly Service<any>[];
}

/** A BehaviorSubject seen read-only: subscribe, `value`, `getValue()`. */
export type ReadonlyBehaviorSubject<V> = Observable<V> & { readonly value: V; getValue(): V };

/** The children of a childless service: shared, so frozen (it is replaced on the first add). */
const NO_CHILDREN = Object.freeze([]) as unknown as Service<any>[];
let nextId = 0;
/** Bumped whenever a service is attached or detached: cached paths are stale then. */
let treeEpoch = 0;

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
  /** Scheduler time the current state was entered. */
  #since: number;
  #firstStartBegun = false;
  #restartCount = 0;
  #crashReason: unknown;
  #stopReason: StopReason | undefined;
  #ref: { epoch: number; ref: ServiceRef } | undefined;
  /** The siblings this service needs running first (`after`), when it has any. */
  #after: Service<any>[] | undefined;
  /** Of the last start and stop; -1 for none (a field that only ever holds numbers is updated in place). */
  #startDurationMs = -1;
  #stopDurationMs = -1;
  #events: EventHub<LifecycleEvent> | undefined;
  #run$: Subject<any> | undefined; // `any`: a Service<never> must stay assignable to Service<any>
  #stop$: Observable<StopReason> | undefined;
  #stopSignal: StopSignal | undefined;
  #diag: DiagFlags | undefined;
  #work: ServiceWork | undefined;
  /** The start under way (not a leaf's synchronous one). */
  #startRun: StartRun | undefined;
  /** The stop or crash teardown under way (not a leaf's synchronous one). */
  #stopRun: StopRun | undefined;
  /** Calls of `stop()` so far: a start or restart waiting on a stop gives way to a later `stop()` call. */
  #stopCalls = 0;

  /**
   * @throws TypeError naming the first invalid option and the value received, or an unknown one: on
   * a plain `Service` every unknown key; on a subclass (which may take options of its own) a key that
   * looks like a misspelled option, such as `startConcurency`.
   */
  constructor(options?: ServiceOptions) {
    const { name, resolved } = resolveServiceOptions(options, new.target === Service);
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
    return this.ref.path;
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
    if (this.#opts.scheduler) return this.#opts.scheduler;
    for (let s = this.#parent; s; s = s.#parent) if (s.#opts.scheduler) return s.#opts.scheduler;
    return asyncScheduler;
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
    const stopped = this.shouldStop ? (this.#stopReason ?? { type: 'manual' }) : undefined;
    return (this.#stopSignal ??= new StopSignal(this)).signal(stopped);
  }
  /** Values produced by `run()`; the same Observable across restarts; never errors. */
  get run$(): Observable<T> {
    return (this.#run$ ??= new Subject<T>());
  }
  /** Lifecycle events of this service and every descendant, in order. */
  get events$(): Observable<LifecycleEvent> {
    return (this.#events ??= new EventHub<LifecycleEvent>());
  }
  /**
   * Emits the reason once when a stop or crash begins, then completes. A subscriber that arrives
   * while the service is stopping, stopped or crashed gets the last reason at once.
   */
  get stop$(): Observable<StopReason> {
    return (this.#stop$ ??= stopNotice(this));
  }
  /** The service as it appears in events and errors. */
  get ref(): ServiceRef {
    // kept until some service of any tree moves (paths change only then); shared by events, so frozen
    if (this.#ref?.epoch !== treeEpoch) {
      const path = this.#parent ? `${this.#parent.path}/${this.name}` : this.name;
      this.#ref = { epoch: treeEpoch, ref: Object.freeze({ id: this.id, name: this.name, path }) };
    }
    return this.#ref.ref;
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

  // ─── events and state ───────────────────────────────────────────────────────────────────────

  /** True when this service or an ancestor has an `events$` subscriber. */
  #isObserved(): boolean {
    if (this.#events?.observed) return true;
    for (let s = this.#parent; s; s = s.#parent) if (s.#events?.observed) return true;
    return false;
  }

  /** @internal */
  [$.deliverEvent](event: LifecycleEvent): void {
    if (this.#events?.observed) this.#events.next(event);
  }

  /** Moves to `to`; `at` defaults to the scheduler's now (a synchronous burst may reuse one reading). */
  #setState(to: ServiceState, reason?: StopReason, at: number = this.scheduler.now()): void {
    const from = this.#state$.value;
    if (!canTransition(from, to)) throw new InvalidStateError(this.ref, from, `move to ${to}`);
    if (to === 'running') this.#startDurationMs = at - this.#since;
    if (to === 'stopped' && from === 'stopping') this.#stopDurationMs = at - this.#since;
    this.#since = at;
    if (!this.#isObserved()) {
      this.#state$.next(to);
    } else {
      const event: LifecycleEvent = { type: 'state', service: this.ref, at, from, to };
      if (reason) event.reason = reason;
      queueEvent(this, event);
      this.#state$.next(to);
      deliverEvents();
    }
    this[$.onTransition]?.(from, to);
  }

  /** @internal */
  [$.onStopBegin](waiter: (reason: StopReason) => void): () => void {
    return (this.#stopSignal ??= new StopSignal(this)).onStopBegin(waiter);
  }

  /** stop$ emits, `signal` aborts: the first thing every stop and crash does. */
  #announceStop(reason: StopReason): void {
    this.#stopReason = reason;
    this.#stopSignal?.announce(reason);
  }

  /** True while a crash teardown is still under way (the state already says `crashed`). */
  #isCrashTearingDown(): boolean {
    return this.#stopRun !== undefined && this.#state$.value === 'crashed';
  }

  /** @internal */
  [$.crashTeardown](): Promise<void> | undefined {
    return this.#isCrashTearingDown() ? this.#stopRun!.promise : undefined;
  }

  /** @internal Calls a hook, emitting a `hook` event when it is overridden; its promise, if any. */
  [$.callHook](hook: HookName, arg?: unknown): PromiseLike<unknown> | undefined {
    return callHook(this, Service.prototype, hook, arg);
  }

  /** @internal */
  [$.isObserved](): boolean {
    return this.#isObserved();
  }

  /** @internal Emits an event on this service's and every ancestor's `events$` (subclasses: supervisor, blocked, …). */
  [$.emit](event: LifecycleEvent): void {
    if (this.#isObserved()) publishEvent(this, event);
  }

  /** @internal A subclass hook called right after each state change. */
  protected [$.onTransition]?(from: ServiceState, to: ServiceState): void;

  /** @internal The reason of the stop or crash under way or last done. */
  get [$.stopReason](): StopReason | undefined {
    return this.#stopReason;
  }

  /** @internal A subclass hook called when a stop begins, with the promise `stop()` returns for it. */
  protected [$.onStopBegun]?(stopping: Promise<void>): void;

  /** @internal True while it keeps its children stopped although it runs (a following leader). */
  [$.holdsChildren]?(): boolean;

  // ─── start ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Starts the service and its subtree (section 3.1 of the contract).
   *
   * @remarks Concurrent calls share one promise; on a running service it resolves at once; on a
   * stopping one it waits for the stop, then starts. A stop during start makes it resolve once that
   * stop finished. A failing step or the timeout rolls back what started, leaves the service
   * `crashed` and rejects with the error (or `StartTimeoutError`, naming the service that was stuck).
   * @throws TypeError for an invalid `timeout` or `signal`.
   */
  start(options?: { timeout?: Duration; signal?: AbortSignal }): Promise<void> {
    const timeoutMs =
      options?.timeout === undefined ? this.#opts.startTimeoutMs : parseDuration(options.timeout, 'timeout');
    const signal = options?.signal;
    if (signal !== undefined) checkSignal(signal);
    const state = this.state;
    if (state === 'running') return RESOLVED;
    if (state === 'starting') return this.#startRun?.promise ?? this.waitFor('running');
    if (state === 'stopping' || this.#isCrashTearingDown()) {
      return startAfter(this, this.#stopRun!.promise!, options, true);
    }
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const loading = this.#work?.ready(); // croner, when a cron job is the first to need it
    if (loading) return startAfter(this, loading, options, false);
    if (timeoutMs === undefined && signal === undefined && !hasStartHooks(this, Service.prototype)) {
      return this.#startSync();
    }
    const run = (this.#startRun = new StartRun());
    this.#beginStart();
    return (run.promise = runStart(this, run, timeoutMs, signal));
  }

  /** Starts from `init`, `stopped` or `crashed` (true); false when already starting or running. */
  async maybeStart(): Promise<boolean> {
    const state = this.state;
    if (state === 'starting' || state === 'running') return false;
    await this.start();
    return true;
  }

  #beginStart(): void {
    if (this.#firstStartBegun) this.#restartCount++;
    else flushDecorated(this);
    this.#stopSignal?.reset();
    this.#stopReason = undefined;
    this.#crashReason = undefined;
    this.#startDurationMs = -1;
    this.#setState('starting');
  }

  /**
   * A start without hooks, timeout or signal is synchronous as long as its children's are (a hookless
   * subtree starts without a single promise); the first child that starts asynchronously hands the
   * rest of the start to a start run.
   */
  #startSync(): Promise<void> {
    this.#beginStart();
    this.#firstStartBegun = true;
    const t0 = this.#since;
    if (this.#children.length > 0 && this.state === 'starting') {
      const run = (this.#startRun = new StartRun());
      run.phase = 'children';
      const pending = startChildren(this, run);
      if (pending) return (run.promise = runStart(this, run, undefined, undefined, pending));
      if (this.#startRun === run) this.#startRun = undefined;
    }
    try {
      if (this.state === 'starting') this[$.startWork]();
    } catch (error) {
      this.crash(error);
    }
    if (this.state === 'starting') {
      // no user code ran since `starting` unless there is work or a subtree: the same clock reading will do
      this.#setState('running', undefined, this.#work || this.#children.length > 0 ? undefined : t0);
      return RESOLVED;
    }
    return startEnded(this, this.#stopRun?.promise); // the work failed (a crash) or stopped it at once
  }

  /** @internal The last step of a start. */
  [$.enterRunning](): void {
    this.#startRun = undefined;
    this.#setState('running');
  }

  /** @internal The step of the start in flight. */
  get [$.startPhase](): string | undefined {
    return this.state === 'starting' ? (this.#startRun?.phase ?? 'run') : undefined;
  }

  /** @internal True on the first start, after adding `onInitDependencies()`. */
  [$.beginFirstStart](): boolean {
    if (this.#firstStartBegun) return false;
    this.#firstStartBegun = true;
    for (const child of this.onInitDependencies()) this.addDependency(child);
    return true;
  }

  /** @internal Subscribes `run()`, the tasks, timers and cron jobs (start step 5). */
  [$.startWork](): void {
    if (typeof this.run !== 'function') return this.#work?.start(undefined, noop);
    const run: WorkDef = { kind: 'run', name: 'run', fn: (signal) => this.run!(signal) };
    this.#workOf().start(run, (result) => {
      if (result !== undefined && !isObservableInput(result)) throw new InvalidRunError(this.ref, result);
    });
  }

  #workOf(): ServiceWork {
    return (this.#work ??= new ServiceWork(this, (value) => this.#run$?.next(value)));
  }

  /** @internal Where work or a teardown registered now belongs. */
  [$.registration](): Registration {
    const state = this.state;
    const teardownsTaken = this.#stopRun?.teardownsTaken ?? false;
    if (state !== 'starting' && state !== 'running' && state !== 'stopping' && !this.#isCrashTearingDown()) {
      return { mode: 'definition', teardownsTaken };
    }
    if (this.shouldStop) return { mode: 'ended', teardownsTaken };
    const isLive = state === 'running' || this.#startRun?.phase === 'onStarted';
    return { mode: isLive ? 'live' : 'pending', teardownsTaken };
  }

  /** @internal */
  [$.failStop](error: unknown): boolean {
    this.#stopRun?.fail(error);
    return this.#stopRun !== undefined;
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
    this.#stopCalls++;
    return this.#stop(reason, undefined);
  }

  /** `stop()`, so `await using service = …` stops it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /**
   * @internal A stop asked for by the parent: under the parent's deadline when the parent stops
   * (`parentRun`), else (`removeDependency`) under a budget of its own.
   */
  [$.stopAsChild](reason: StopReason, parentRun?: StopRun): Promise<void> {
    return this.#stop(reason, parentRun);
  }

  #stop(reason: StopReason, parentRun: StopRun | undefined): Promise<void> {
    switch (this.state) {
      case 'init':
        this.#stopFromInit(reason);
        return RESOLVED;
      case 'stopped':
      case 'crashed':
      case 'stopping':
        return stopAgain(this, this.#stopRun, parentRun);
    }
    const startRun = this.#startRun;
    this.#startRun = undefined;
    const startInFlight = startRun?.hook && { phase: startRun.phase, hook: startRun.hook };
    this.#setState('stopping', reason);
    this.#announceStop(reason);
    const isHookless =
      !startInFlight && !this.#work && !this[$.beforeChildrenStop] && !hasStopHooks(this, Service.prototype);
    if (isHookless && this.#children.length === 0) {
      // nothing to stop but itself: synchronous, stopped as it began
      this.#setState('stopped', reason, this.#since);
      if (!parentRun && reason.type !== 'parent') this.#parent?.[$.childStopped](this, reason);
      startRun?.end(RESOLVED);
      this[$.onStopBegun]?.(RESOLVED);
      return RESOLVED;
    }
    const run = (this.#stopRun = new StopRun(this, reason, parentRun, false));
    const stopping = beginStop(this, run, isHookless, startInFlight || undefined);
    startRun?.end(run.promise ?? RESOLVED);
    this[$.onStopBegun]?.(stopping);
    return stopping;
  }

  /** @internal The end of a stop: `stopped` (a crash teardown stays `crashed`), the parent told. */
  [$.finishStop](run: StopRun): void {
    this.#stopRun = undefined;
    if (run.crashing) {
      this.#stopDurationMs = this.scheduler.now() - this.#since;
      return;
    }
    this.#setState('stopped', run.reason);
    // a stop this service was not asked for by its parent is news to the parent (supervisors)
    if (run.isRoot && run.reason.type !== 'parent') this.#parent?.[$.childStopped](this, run.reason);
  }

  #stopFromInit(reason: StopReason): void {
    this.#setState('stopped', reason);
    this.#announceStop(reason);
    const parentReason: StopReason = { type: 'parent', parent: this.path };
    for (const child of this.#children) if (child.state === 'init') child.#stopFromInit(parentReason);
  }

  /** @internal */
  get [$.stopCalls](): number {
    return this.#stopCalls;
  }

  /** @internal */
  get [$.stopStep](): StopStep | undefined {
    return this.#stopRun?.step;
  }

  /** @internal True when this service or a descendant is starting, running or stopping (a crash teardown too). */
  [$.isBusy](): boolean {
    const state = this.state;
    if (state === 'starting' || state === 'running' || state === 'stopping' || this.#stopRun) return true;
    return this.#children.some((child) => child[$.isBusy]());
  }

  /** @internal Unsubscribes the work (stop step 4); what the stop must still await. */
  [$.stopWork](): WorkStop | undefined {
    return this.#work?.stop();
  }

  /** @internal The teardowns to run now, last in first out (stop step 5). */
  [$.takeTeardowns](): Teardown[] | undefined {
    return this.#work?.takeTeardowns();
  }

  // ─── restart and crash ──────────────────────────────────────────────────────────────────────

  /**
   * `stop()` with reason `restart`, `onRestart()`, then `start()`; the same children are reused. A `stop()`
   * called meanwhile, or a stop of the parent, overtakes it: it then resolves with the service stopped.
   *
   * @throws InvalidStateError while stopping.
   */
  restart(): Promise<void> {
    return restart(this, () => this.#stop({ type: 'restart' }, undefined));
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
    const startRun = this.#startRun;
    this.#startRun = undefined;
    const reason: StopReason = { type: 'crash', error };
    this.#setState('crashed', reason);
    reportCrash(this, error, this.#since);
    this.#announceStop(reason);
    const run = (this.#stopRun = new StopRun(this, reason, undefined, true));
    // a crash teardown that timed out was already reported as a stop-timeout event and logged
    run.promise = runStop(this, run, undefined).catch(noop);
    startRun?.end(run.promise, { error });
    this.#parent?.[$.childCrashed](this, error);
  }

  /** @internal A child crashed: by default the crash escalates. Supervisors override this. */
  protected [$.childCrashed](_child: Service<any>, error: unknown): void {
    this.crash(error);
  }

  /** @internal Work between `onStop` and the stop of the children (supervisors settle restarts here). */
  [$.beforeChildrenStop]?(): PromiseLike<unknown> | void;

  /** @internal A child stopped on its own (not by this parent). Supervisors override this. */
  protected [$.childStopped](_child: Service<any>, _reason: StopReason): void {}

  // ─── waiting ────────────────────────────────────────────────────────────────────────────────

  /** Resolves once the service is stopped, or crashed and torn down. */
  waitUntilStopped(): Promise<void> {
    return waits.waitUntilStopped(this);
  }

  /**
   * Resolves when the service reaches `state` (for `crashed` and `stopped`: once torn down).
   *
   * @throws WaitTimeoutError on timeout; ServiceCrashedError when it crashes first (unless waiting for
   * `crashed`); `signal.reason` when aborted; TypeError for an invalid state or timeout.
   */
  waitFor(state: ServiceState, options?: { timeout?: Duration; signal?: AbortSignal }): Promise<void> {
    return waits.waitFor(this, state, options);
  }

  /**
   * Sleeps on the service's scheduler: true after `duration`, false when woken early by a stop or
   * crash (at once when already stopping). Leaves no timer behind.
   *
   * @throws TypeError for an invalid duration.
   */
  sleep(duration: Duration): Promise<boolean> {
    return waits.sleep(this, duration);
  }

  /**
   * Waits for `input` to finish (an Observable's last value when it completes, a promise's value),
   * for the service to stop, or for the timeout, whichever comes first.
   *
   * @throws the input's error (as a rejection); TypeError for an invalid timeout.
   */
  wait<V>(input: ObservableInput<V>, options?: { timeout?: Duration }): Promise<WaitResult<V>> {
    return this.waitMany([input], options).then(waits.firstResult<V>);
  }

  /** Waits for every input (see {@link wait}); the result lists their results in input order. */
  waitMany(
    inputs: ObservableInput<unknown>[],
    options?: { timeout?: Duration },
  ): Promise<WaitResult<unknown[]>> {
    return waits.waitMany(this, inputs, options);
  }

  /** The index and result of the first input to finish (complete or resolve), or `index: -1` on a stop. */
  waitFirst(...inputs: ObservableInput<unknown>[]): Promise<WaitFirstResult> {
    return waits.waitFirst(this, inputs);
  }

  /**
   * Fixed-rate ticks as an async iterable that ends when the service stops; a tick that comes while
   * the loop body still runs is skipped (counted in `overlaps`).
   *
   * @throws TypeError for a non-positive interval.
   */
  itertimer(interval: Duration, options?: TimerOptions): AsyncIterable<TimerTick> {
    return waits.itertimer(this, interval, options);
  }

  /** `takeUntil(stop$)`, safe for subscribers that arrive after the stop began. */
  untilStopped<V>(): MonoTypeOperatorFunction<V> {
    return takeUntil<V>(this.stop$);
  }

  // ─── work and teardown registration ─────────────────────────────────────────────────────────

  /**
   * Adds a task: `fn(signal)` is subscribed on every start (after the children run) and unsubscribed
   * at stop, or awaited with `drain: true`. A failure crashes the service.
   *
   * @throws TypeError for a non-function `fn` or invalid options.
   */
  addTask(fn: (signal: AbortSignal) => ObservableInput<unknown>, options?: TaskOptions): void {
    this.#workOf().add((nextName) => taskDef(fn, options, nextName));
  }

  /**
   * Adds a fixed-rate timer: `fn(tick)` runs every `interval` (first after one interval, or at once
   * with `execFirst`); a tick that comes while the body still runs is skipped and counted.
   *
   * @throws TypeError for a non-positive interval or a non-function `fn`.
   */
  addTimer(interval: Duration, fn: (tick: TimerTick) => unknown, options?: TimerOptions): void {
    this.#workOf().add((nextName) => timerDef(interval, fn, options, nextName));
  }

  /**
   * Adds a cron job (5 or 6 fields, parsed by croner) run on the service's scheduler.
   *
   * @throws TypeError for an invalid expression or time zone.
   */
  addCron(expression: string, fn: () => unknown, options?: CronOptions): void {
    this.#workOf().add((nextName) => cronDef(expression, fn, options, nextName));
  }

  /**
   * Adds teardown logic run at stop, last in first out (Mode's `add_context`). Added while the
   * teardowns of the current stop already ran, it runs at once.
   */
  addTeardown(teardown: Teardown): void {
    assertTeardown(teardown);
    this.#workOf().addTeardown(teardown);
  }

  // ─── dependencies ───────────────────────────────────────────────────────────────────────────

  /**
   * Adds a child: started with this service (after `onStart`), stopped before it (after `onStop`).
   *
   * @remarks Adding the same child again is a no-op; a stopped or idle child moves from another
   * parent; a running one cannot. On a running parent the child stays idle (a warning is logged):
   * use {@link addRuntimeDependency} to start it too. `after` names the siblings the child needs
   * running first (see {@link DependencyOptions.after}).
   * @throws TypeError when `child` is not a Service or is this service or one of its ancestors, or
   * when `after` names anything but other children of this service; InvalidStateError when the child
   * runs under another parent.
   * @example
   * ```ts
   * const app = new Service({ startConcurrency: 'parallel', stopConcurrency: 'parallel' });
   * const db = app.addDependency(new Service({ name: 'db' }));
   * const cache = app.addDependency(new Service({ name: 'cache' }), { after: db });
   * app.addDependency(new Service({ name: 'api' }), { after: [db, cache] });
   * ```
   */
  addDependency<S extends Service<any>>(child: S, options?: DependencyOptions): S {
    const isNew = child instanceof Service && child.#parent !== this;
    this.#addChild(child, options);
    if (isNew && this.state === 'running') warnIdle(this, child);
    return child;
  }

  /** Adds a child (see {@link addDependency}) and, when this service is running, starts it now. */
  async addRuntimeDependency<S extends Service<any>>(child: S, options?: DependencyOptions): Promise<S> {
    const state = this.state;
    if (state === 'stopping') throw new InvalidStateError(this.ref, state, 'add a runtime dependency');
    this.#addChild(child, options);
    if (isDueToStart(this, child, state)) await child.start();
    return child;
  }

  /** Stops a child (and what it runs), then detaches it. */
  async removeDependency(child: Service<any>): Promise<void> {
    if (!(child instanceof Service)) throw new TypeError(`child must be a Service; received ${show(child)}`);
    return removeChild(this, child);
  }

  /** Validates `options.after` (siblings), then adds the child with those prerequisites. */
  #addChild(child: Service<any>, options: DependencyOptions | undefined): void {
    const after = options === undefined ? undefined : checkAfter(this, child, options, isService);
    this[$.insertChild](this.#children.length, child);
    if (after) child.#after = after;
  }

  /** @internal Adds a child at `index` (supervisors keep a crashed child's slot for its replacement). */
  protected [$.insertChild]<S extends Service<any>>(index: number, child: S): S {
    if (!(child instanceof Service)) throw new TypeError(`child must be a Service; received ${show(child)}`);
    if (child.#parent !== this) adopt(this, child, index);
    return child;
  }

  /** @internal */
  [$.link](child: Service<any>, index: number | undefined): void {
    const children = this.#children === NO_CHILDREN ? (this.#children = []) : this.#children;
    if (index !== undefined) {
      if (index >= children.length) children.push(child);
      else children.splice(Math.max(0, index), 0, child);
    } else {
      const at = children.indexOf(child);
      if (at < 0) return;
      children.splice(at, 1);
    }
    child.#parent = index === undefined ? undefined : this;
    child.#after = undefined; // edges belong to one set of siblings
    treeEpoch++;
  }

  /** @internal The siblings this service needs running first (`after`), in the order given. */
  get [$.prerequisites](): readonly Service<any>[] {
    return this.#after ?? NO_CHILDREN;
  }

  /** @internal How the children start and stop, and the stop budget. */
  get [$.settings](): LifecycleSettings {
    return this.#opts;
  }

  // ─── inspection ─────────────────────────────────────────────────────────────────────────────

  /** A snapshot of the subtree (section 8 of the contract). */
  toJSON(): ServiceSnapshot {
    const pending: string[] = [];
    const phase = this[$.startPhase];
    if (phase) pending.push(phase);
    for (const { phase } of this.#stopRun?.pending ?? []) pending.push(phase);
    if (this.#work) pending.push(...this.#work.active());
    return snapshotOf(this, {
      since: this.#since,
      startDurationMs: this.#startDurationMs < 0 ? undefined : this.#startDurationMs,
      stopDurationMs: this.#stopDurationMs < 0 ? undefined : this.#stopDurationMs,
      flags: this.#diag ? [...this.#diag.flags] : [],
      pending,
      after: this.#after ? this.#after.map((service) => service.id) : [],
      essential: this.#opts.essential,
    });
  }
}

/** The `instanceof Service` check, for the modules that cannot import `Service`. */
function isService(value: unknown): value is Service<any> {
  return value instanceof Service;
}
