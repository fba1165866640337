/**
 * The Service façade: the one state in one BehaviorSubject, the public methods, the state
 * transitions and the synchronous paths of a leaf. It extends `ServiceWaits` (service-waits.ts),
 * which extends `ServiceNode` (service-node.ts: identity, tree, dependencies, events). The start and
 * stop sequences (`internal/start-run.ts`, `internal/stop-sequence.ts`), the children (`children.ts`,
 * `internal/dependencies.ts`), the work (`internal/service-work.ts`) and `stop$`
 * (`internal/stop-signal.ts`) live beside it.
 */
import { BehaviorSubject, Subject, type Observable, type ObservableInput } from 'rxjs';
import { RESOLVED, startChildren } from './children.js';
import { DiagFlags, type Diag } from './diag.js';
import { parseDuration, type Duration } from './duration.js';
import { InvalidRunError, InvalidStateError } from './errors.js';
import type { LifecycleEvent, StopReason } from './events.js';
import { flushDecorated, registerDecorated } from './internal/decorated.js';
import { deliverEvents, queueEvent } from './internal/event-queue.js';
import { show } from './internal/format.js';
import { callHook, hasStartHooks, hasStopHooks, type HookName } from './internal/hooks.js';
import type { WorkStop } from './internal/host.js';
import { noop } from './internal/noop.js';
import { checkSignal, restart, runStart, startAfter, startEnded, StartRun } from './internal/start-run.js';
import { crashTeardownOf, StopRun } from './internal/stop-run.js';
import { beginStop, reportCrash, runStop, stopAgain } from './internal/stop-sequence.js';
import { ServiceWork } from './internal/service-work.js';
import { StopSignal, stopNotice } from './internal/stop-signal.js';
import * as $ from './internal/symbols.js';
import { cronDef, taskDef, timerDef } from './internal/work-defs.js';
import { isObservableInput, type WorkDef } from './internal/work.js';
import type { CronOptions, ServiceOptions, TaskOptions } from './options.js';
import { ServiceWaits } from './service-waits.js';
import { snapshotOf, type ServiceSnapshot } from './snapshot.js';
import { canTransition, isShouldStop, type ServiceState } from './state.js';
import { assertTeardown, type Teardown } from './teardown.js';
import type { TimerOptions, TimerTick } from './timer.js';

/** A BehaviorSubject seen read-only: subscribe, `value`, `getValue()`. */
export type ReadonlyBehaviorSubject<V> = Observable<V> & { readonly value: V; getValue(): V };

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
export class Service<T = never> extends ServiceWaits<Service<any>> implements AsyncDisposable {
  /** The state, as a BehaviorSubject. */
  readonly state$: ReadonlyBehaviorSubject<ServiceState>;

  #state$: BehaviorSubject<ServiceState>;
  /** Scheduler time the current state was entered. */
  #since: number;
  #firstStartBegun = false;
  #restartCount = 0;
  #crashReason: unknown;
  #stopReason: StopReason | undefined;
  /** Of the last start and stop; -1 for none (a field that only ever holds numbers is updated in place). */
  #startDurationMs = -1;
  #stopDurationMs = -1;
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
    super(options, new.target === Service);
    this.#state$ = new BehaviorSubject<ServiceState>('init');
    this.state$ = this.#state$;
    this.#since = this.scheduler.now();
    registerDecorated(this, new.target.prototype as object);
  }

  // ─── state ──────────────────────────────────────────────────────────────────────────────────

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
  /**
   * Emits the reason once when a stop or crash begins, then completes. A subscriber that arrives
   * while the service is stopping, stopped or crashed gets the last reason at once.
   */
  get stop$(): Observable<StopReason> {
    return (this.#stop$ ??= stopNotice(this));
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

  /** Moves to `to`; `at` defaults to the scheduler's now (a synchronous burst may reuse one reading). */
  #setState(to: ServiceState, reason?: StopReason, at: number = this.scheduler.now()): void {
    const from = this.#state$.value;
    if (!canTransition(from, to)) throw new InvalidStateError(this.ref, from, `move to ${to}`);
    if (to === 'running') this.#startDurationMs = at - this.#since;
    if (to === 'stopped' && from === 'stopping') this.#stopDurationMs = at - this.#since;
    this.#since = at;
    if (!this[$.isObserved]()) {
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

  /** @internal Calls a hook, emitting a `hook` event when it is overridden; its promise, if any. */
  [$.callHook](hook: HookName, arg?: unknown): PromiseLike<unknown> | undefined {
    return callHook(this, Service.prototype, hook, arg);
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
      options?.timeout === undefined
        ? this[$.settings].startTimeoutMs
        : parseDuration(options.timeout, 'timeout');
    const signal = options?.signal;
    if (signal !== undefined) checkSignal(signal);
    const state = this.state;
    if (state === 'running') return RESOLVED;
    if (state === 'starting') return this.#startRun?.promise ?? this.waitFor('running');
    if (state === 'stopping' || crashTeardownOf(this)) {
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
    if (this.children.length > 0 && this.state === 'starting') {
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
      this.#setState('running', undefined, this.#work || this.children.length > 0 ? undefined : t0);
      return RESOLVED;
    }
    return startEnded(this, this.#stopRun?.promise); // the work failed (a crash) or stopped it at once
  }

  /** @internal The last step of a start. */
  [$.enterRunning](): void {
    this.#startRun = undefined;
    this.#setState('running');
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
    if (isHookless && this.children.length === 0) {
      // nothing to stop but itself: synchronous, stopped as it began
      this.#setState('stopped', reason, this.#since);
      if (!parentRun && reason.type !== 'parent') this.parent?.[$.childStopped](this, reason);
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
    if (run.isRoot && run.reason.type !== 'parent') this.parent?.[$.childStopped](this, run.reason);
  }

  #stopFromInit(reason: StopReason): void {
    this.#setState('stopped', reason);
    this.#announceStop(reason);
    const parentReason: StopReason = { type: 'parent', parent: this.path };
    for (const child of this.children) if (child.state === 'init') child.#stopFromInit(parentReason);
  }

  /** @internal */
  get [$.stopCalls](): number {
    return this.#stopCalls;
  }

  /** @internal */
  get [$.startRun](): StartRun | undefined {
    return this.#startRun;
  }

  /** @internal */
  get [$.stopRun](): StopRun | undefined {
    return this.#stopRun;
  }

  /** @internal */
  get [$.work](): ServiceWork | undefined {
    return this.#work;
  }

  /** @internal Unsubscribes the work (stop step 4); what the stop must still await. */
  [$.stopWork](): WorkStop | undefined {
    return this.#work?.stop();
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
    this.parent?.[$.childCrashed](this, error);
  }

  /** @internal A child crashed: by default the crash escalates. Supervisors override this. */
  protected [$.childCrashed](_child: Service<any>, error: unknown): void {
    this.crash(error);
  }

  /** @internal Work between `onStop` and the stop of the children (supervisors settle restarts here). */
  [$.beforeChildrenStop]?(): PromiseLike<unknown> | void;

  /** @internal A child stopped on its own (not by this parent). Supervisors override this. */
  protected [$.childStopped](_child: Service<any>, _reason: StopReason): void {}

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

  // ─── inspection ─────────────────────────────────────────────────────────────────────────────

  /** A snapshot of the subtree (section 8 of the contract). */
  toJSON(): ServiceSnapshot {
    return snapshotOf(this, {
      since: this.#since,
      startDurationMs: this.#startDurationMs < 0 ? undefined : this.#startDurationMs,
      stopDurationMs: this.#stopDurationMs < 0 ? undefined : this.#stopDurationMs,
      flags: this.#diag ? [...this.#diag.flags] : [],
    });
  }
}
