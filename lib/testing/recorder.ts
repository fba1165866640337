/**
 * Lifecycle recorders for tests: everything a service tree emits on `events$`, kept in order and
 * also sorted into the views tests assert on (states per path, transitions, hooks, marbles).
 */
import type { Subscription } from 'rxjs';
import type { LifecycleEvent } from '../events.js';
import { show } from '../internal/format.js';
import type { Service } from '../service.js';
import type { ServiceState } from '../state.js';
import { lifecycleMarbles } from './marbles.js';

/**
 * What {@link recordLifecycle} returns: the recorded lifecycle of a service tree.
 *
 * @remarks The arrays are live: they grow as events arrive until {@link LifecycleRecorder.stop}.
 */
export interface LifecycleRecorder extends Disposable {
  /** Path of the recorded service when recording began. */
  readonly path: string;
  /** Scheduler time (ms) when recording began: the origin of {@link LifecycleRecorder.marbles}. */
  readonly origin: number;
  /** Every event of the service and its descendants, in the order `events$` delivered them. */
  readonly events: readonly LifecycleEvent[];
  /**
   * States per service path: the state each service had when recording began (or, for a service
   * that appeared later, the state it left first), then every state it entered, in order.
   */
  readonly states: Readonly<Record<string, readonly ServiceState[]>>;
  /** Every transition of the tree in the order it happened, as `'app/db: running -> stopping'`. */
  readonly transitions: readonly string[];
  /**
   * Every hook that ran, in the order the hooks finished, as `'app/db.onStart'`; a hook that threw
   * or rejected ends with `!` (`'app/db.onStop!'`). Hooks a class does not override are not listed.
   */
  readonly hooks: readonly string[];
  /** True once {@link LifecycleRecorder.stop} was called. */
  readonly stopped: boolean;
  /**
   * The transitions of one service as lifecycle marbles, timed from {@link LifecycleRecorder.origin}:
   * `'(sr) 1s x 50ms |'` (see `lifecycleMarbles`).
   * @param path - whose transitions; @defaultValue the recorded service's path
   */
  marbles(path?: string): string;
  /** The recorded events of one type, typed. */
  ofType<K extends LifecycleEvent['type']>(type: K): Extract<LifecycleEvent, { type: K }>[];
  /** Forgets what was recorded so far; states start again from each service's current state. */
  clear(): void;
  /** Stops recording (unsubscribes from `events$`); idempotent. The data recorded stays. */
  stop(): void;
}

/** Walks a subtree, root first. */
function* subtree(service: Service<any>): Generator<Service<any>> {
  yield service;
  for (const child of service.children) yield* subtree(child);
}

/**
 * Starts recording the lifecycle of a service and all its descendants (children added later too).
 *
 * @remarks Subscribes to `service.events$` at once; call `stop()` (or `using rec = …`) when done.
 * Times come from the service's scheduler, so with a virtual clock they are virtual times.
 * @throws TypeError when `service` is not a Service.
 * @example
 * ```ts
 * const clock = createVirtualClock();
 * const app = new App({ scheduler: clock.scheduler });
 * using rec = recordLifecycle(app);
 * await clock.until(app.start());
 * await clock.advance('1s');
 * await clock.until(app.stop());
 * rec.states['App'];   // ['init', 'starting', 'running', 'stopping', 'stopped']
 * rec.marbles();       // '(sr) 1s (x|)'
 * rec.hooks;           // ['App.onStart', 'App.onStop']
 * ```
 */
export function recordLifecycle(service: Service<any>): LifecycleRecorder {
  if (
    typeof service !== 'object' ||
    service === null ||
    typeof (service as Partial<Service<any>>).events$?.subscribe !== 'function' ||
    !Array.isArray((service as Partial<Service<any>>).children)
  ) {
    throw new TypeError(`service must be a Service; received ${show(service)}`);
  }
  const events: LifecycleEvent[] = [];
  const states: Record<string, ServiceState[]> = {};
  const transitions: string[] = [];
  const hooks: string[] = [];
  let origin = 0;

  const seed = (): void => {
    origin = service.scheduler.now();
    for (const s of subtree(service)) states[s.path] = [s.state];
  };
  const record = (event: LifecycleEvent): void => {
    events.push(event);
    const path = event.service.path;
    if (event.type === 'state') {
      (states[path] ??= [event.from]).push(event.to);
      transitions.push(`${path}: ${event.from} -> ${event.to}`);
    } else if (event.type === 'hook') {
      hooks.push(`${path}.${event.hook}${event.error === undefined ? '' : '!'}`);
    }
  };

  seed();
  const path = service.path;
  let subscription: Subscription | undefined = service.events$.subscribe(record);
  const stop = (): void => {
    subscription?.unsubscribe();
    subscription = undefined;
  };

  return {
    path,
    get origin() {
      return origin;
    },
    events,
    states,
    transitions,
    hooks,
    get stopped() {
      return subscription === undefined;
    },
    marbles: (of = path) => lifecycleMarbles(events, { path: of, origin }),
    ofType: <K extends LifecycleEvent['type']>(type: K) =>
      events.filter((e): e is Extract<LifecycleEvent, { type: K }> => e.type === type),
    clear: () => {
      events.length = 0;
      transitions.length = 0;
      hooks.length = 0;
      for (const key of Object.keys(states)) delete states[key];
      seed();
    },
    stop,
    [Symbol.dispose]: stop,
  };
}
