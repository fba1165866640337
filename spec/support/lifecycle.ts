/**
 * Shared helpers for the lifecycle specs: a Probe service whose hooks log their calls and can be
 * told to throw, hang or wait, an events recorder, deferred promises, fake timers, and a flush.
 */
import sinon from 'sinon';
import { expect } from 'chai';
import { Service, type LifecycleEvent, type ServiceOptions, type ServiceState } from '../../lib/index.js';

/** The hooks a Probe logs. */
export type HookName =
  'onFirstStart' | 'onStart' | 'onStarted' | 'onStop' | 'onShutdown' | 'onRestart' | 'onCrash';

/** What a Probe hook does after logging its call: its return value becomes the hook's result. */
export type HookBehaviour = (service: Probe, arg?: unknown) => unknown;

/** Options of a Probe: the usual service options plus per-hook behaviours. */
export interface ProbeOptions extends ServiceOptions {
  /** Behaviour per hook; a hook without one returns undefined (synchronous). */
  hooks?: Partial<Record<HookName, HookBehaviour>>;
  /** Children returned by `onInitDependencies()`. */
  initDependencies?: Service<any>[];
}

/**
 * A service that logs `<name>.<hook>` into a shared array on every hook call and then does what its
 * options say.
 */
export class Probe extends Service {
  /** The shared log of hook calls. */
  readonly log: string[];
  /** What each hook does after logging its call. */
  readonly hooks: Partial<Record<HookName, HookBehaviour>>;
  readonly #initDependencies: Service<any>[];

  constructor(log: string[], options: ProbeOptions = {}) {
    const { hooks = {}, initDependencies = [], ...serviceOptions } = options;
    super(serviceOptions);
    this.log = log;
    this.hooks = hooks;
    this.#initDependencies = initDependencies;
  }

  #call(hook: HookName, arg?: unknown): unknown {
    this.log.push(`${this.name}.${hook}`);
    return this.hooks[hook]?.(this, arg);
  }

  protected override onInitDependencies(): Iterable<Service<any>> {
    this.log.push(`${this.name}.onInitDependencies`);
    return this.#initDependencies;
  }
  protected override onFirstStart(): any {
    return this.#call('onFirstStart');
  }
  protected override onStart(): any {
    return this.#call('onStart');
  }
  protected override onStarted(): any {
    return this.#call('onStarted');
  }
  protected override onStop(): any {
    return this.#call('onStop');
  }
  protected override onShutdown(): any {
    return this.#call('onShutdown');
  }
  protected override onRestart(): any {
    return this.#call('onRestart');
  }
  protected override onCrash(error: unknown): any {
    return this.#call('onCrash', error);
  }
}

/** Makes a Probe named `name` logging into `log`. */
export function probe(log: string[], name: string, options: Omit<ProbeOptions, 'name'> = {}): Probe {
  return new Probe(log, { ...options, name });
}

/** A behaviour that throws `error`. */
export const throws =
  (error: unknown): HookBehaviour =>
  () => {
    throw error;
  };

/** A behaviour that returns a promise rejecting with `error`. */
export const rejects =
  (error: unknown): HookBehaviour =>
  () =>
    Promise.reject(error);

/** A behaviour that never settles. */
export const hangs = (): HookBehaviour => () => new Promise<void>(() => {});

/** A behaviour that resolves after `ms` of (possibly fake) `setTimeout` time. */
export const waits =
  (ms: number): HookBehaviour =>
  () =>
    new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A promise with its resolve and reject functions. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Makes a {@link Deferred}. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run (one macrotask turn; setImmediate is never faked here). */
export async function flush(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Settles `promise` into a value to assert on: `{ ok: true, value }` or `{ ok: false, error }`. */
export async function outcome<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** What {@link outcome} resolves to. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: any };

/** A promise watched without awaiting it: `outcome` is set once it settles. */
export interface Tracked<T> {
  readonly settled: boolean;
  readonly outcome: Outcome<T> | undefined;
  /** The error it rejected with (undefined while pending or when it resolved). */
  readonly error: any;
}

/** Watches `promise` so a test can assert whether it settled without hanging when it does not. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const state: { outcome: Outcome<T> | undefined } = { outcome: undefined };
  void outcome(promise).then((o) => (state.outcome = o));
  return {
    get settled() {
      return state.outcome !== undefined;
    },
    get outcome() {
      return state.outcome;
    },
    get error() {
      return state.outcome && !state.outcome.ok ? state.outcome.error : undefined;
    },
  };
}

/** Records `events$` of a service. */
export interface EventLog {
  readonly events: LifecycleEvent[];
  /** State events as `path:from>to`. */
  transitions(): string[];
  /** Hook events as `path.hook` (with `!` when the hook failed). */
  hooks(): string[];
  /** Events of one type. */
  ofType<K extends LifecycleEvent['type']>(type: K): Extract<LifecycleEvent, { type: K }>[];
  stop(): void;
}

/** Subscribes to `service.events$` and keeps every event. */
export function recordEvents(service: Service<any>): EventLog {
  const events: LifecycleEvent[] = [];
  const subscription = service.events$.subscribe((event) => events.push(event));
  return {
    events,
    transitions: () =>
      events.flatMap((e) => (e.type === 'state' ? [`${e.service.path}:${e.from}>${e.to}`] : [])),
    hooks: () =>
      events.flatMap((e) =>
        e.type === 'hook' ? [`${e.service.path}.${e.hook}${e.error === undefined ? '' : '!'}`] : [],
      ),
    ofType: <K extends LifecycleEvent['type']>(type: K) =>
      events.filter((e): e is Extract<LifecycleEvent, { type: K }> => e.type === type),
    stop: () => subscription.unsubscribe(),
  };
}

/** Records the values of `state$`. */
export function recordStates(service: Service<any>): { states: string[]; stop(): void } {
  const states: string[] = [];
  const subscription = service.state$.subscribe((state) => states.push(state));
  return { states, stop: () => subscription.unsubscribe() };
}

/**
 * Installs sinon fake timers (setTimeout, setInterval, Date) for each test of the enclosing
 * `describe`; `setImmediate` and microtasks stay real so {@link flush} works.
 */
export function useFakeClock(): { readonly clock: sinon.SinonFakeTimers } {
  const holder = {} as { clock: sinon.SinonFakeTimers };
  beforeEach(() => {
    holder.clock = sinon.useFakeTimers({
      now: 0,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
  });
  afterEach(() => holder.clock.restore());
  return holder;
}

/** The contract's table of allowed transitions (API.md section 2), written out independently of lib/. */
export const ALLOWED_TRANSITIONS: Readonly<Record<ServiceState, readonly ServiceState[]>> = {
  init: ['starting', 'stopped'],
  starting: ['running', 'stopping', 'crashed'],
  running: ['stopping', 'crashed'],
  stopping: ['stopped'],
  stopped: ['starting'],
  crashed: ['starting'],
};

/**
 * Asserts that every state event is an allowed transition and starts where the previous event of
 * the same service ended (so none was skipped or reordered).
 */
export function expectOnlyAllowedTransitions(events: readonly LifecycleEvent[]): void {
  const last = new Map<string, ServiceState>();
  for (const event of events) {
    if (event.type !== 'state') continue;
    const where = `${event.service.path}: ${event.from} → ${event.to}`;
    expect(ALLOWED_TRANSITIONS[event.from], where).to.include(event.to);
    expect(event.from, `${where} (previous state)`).to.equal(last.get(event.service.id) ?? 'init');
    last.set(event.service.id, event.to);
  }
}
