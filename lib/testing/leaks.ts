/**
 * The leak check for users' tests: run a lifecycle of a service tree (start, work, stop) and fail,
 * naming each one, on what outlived the stop: actions still due on the tree's scheduler, extra
 * subscribers of the services' streams, live AbortSignal listeners, services left running.
 */
import { VirtualTimeScheduler, asyncScheduler, type SchedulerLike } from 'rxjs';
import { show } from '../internal/format.js';
import { Service } from '../service.js';
import { hostTurn } from './host-turn.js';
import { ListenerTracker } from './listener-tracker.js';
import { TrackingScheduler } from './tracking-scheduler.js';

/** Options of {@link expectNoLeaks}. */
export interface NoLeaksOptions {
  /**
   * The scheduler the tree's time really runs on, when `root` is a factory: the factory gets a
   * tracking scheduler that forwards to this one. Pass a virtual clock's `scheduler` to run the
   * lifecycle in virtual time (and drive the clock in `fn`).
   *
   * @defaultValue rxjs `asyncScheduler`
   */
  scheduler?: SchedulerLike;
}

/** One thing that outlived the lifecycle, as {@link LeakError.leftovers} lists it. */
export interface Leftover {
  /** What it is: a service not stopped, an action due, an extra subscriber, a live listener. */
  readonly kind: 'service' | 'timer' | 'subscription' | 'listener';
  /** The service path, the stream or the place in the code it comes from, in one line. */
  readonly description: string;
}

/** The Error {@link expectNoLeaks} rejects with: its message lists every leftover, one a line. */
export interface LeakError extends Error {
  readonly leftovers: readonly Leftover[];
}

/** A virtual scheduler (`createVirtualClock().scheduler`, an rxjs TestScheduler): its due actions. */
interface VirtualActions {
  readonly actions: readonly { readonly delay: number; readonly closed: boolean }[];
  readonly frame: number;
}

/** Also true for a VirtualTimeScheduler of another copy of rxjs (`asyncScheduler` has no `frame`). */
const isVirtual = (scheduler: SchedulerLike): scheduler is SchedulerLike & VirtualActions =>
  scheduler instanceof VirtualTimeScheduler ||
  (Array.isArray((scheduler as Partial<VirtualActions>).actions) &&
    typeof (scheduler as Partial<VirtualActions>).frame === 'number');

const STREAMS = ['state$', 'events$', 'run$'] as const;

/** The subscribers of a service stream (a Subject): rxjs 7 lists them, later versions say if any. */
function subscribersOf(stream: unknown): number {
  const observers = (stream as { observers?: unknown }).observers;
  if (Array.isArray(observers)) return observers.length;
  return (stream as { observed?: unknown }).observed === true ? 1 : 0;
}

/** `root` and every descendant, parents first. */
function treeOf(root: Service<any>): Service<any>[] {
  const all: Service<any>[] = [];
  const visit = (service: Service<any>): void => {
    all.push(service);
    for (const child of service.children) visit(child);
  };
  visit(root);
  return all;
}

/** What is due on the tree's scheduler: every tracked action, or the virtual actions added since. */
function timersOf(root: Service<any>, tracking: TrackingScheduler | undefined): () => string[] {
  if (tracking) return () => tracking.due();
  const scheduler = root.scheduler;
  if (!isVirtual(scheduler)) {
    throw new TypeError(
      `expectNoLeaks() cannot see the timers of ${root.path}: pass a factory ` +
        '`(scheduler) => root` instead of the root, or build the root on a virtual clock ' +
        '(`createVirtualClock().scheduler`)',
    );
  }
  const before = new Set(scheduler.actions);
  return () =>
    scheduler.actions
      .filter((action) => !before.has(action) && !action.closed)
      .map(
        (action) => `an action due at ${action.delay} ms on the virtual clock (now ${scheduler.now()} ms)`,
      );
}

/**
 * Runs `fn`, a whole lifecycle of a service tree (start, work, stop), then rejects with a
 * {@link LeakError} naming everything that outlived it.
 *
 * @remarks
 * Give `root` as a factory, `(scheduler) => new App({ scheduler })`: the tree then runs on a
 * tracking scheduler that forwards to `options.scheduler` and remembers where each action was
 * scheduled from. (rxmode runs every timer of a tree through any scheduler that is not rxjs's own
 * `asyncScheduler`, so timers, `sleep()`, `itertimer()` and wait timeouts are all seen.) A built
 * root is accepted when its scheduler is a virtual clock's: the actions added to it are seen, but
 * not where they come from.
 *
 * After `fn` settles and one task turn, these are leftovers:
 * - `service`: a service of the tree (before or after `fn`) that is not `init`, `stopped` or
 *   `crashed`: the lifecycle must end with a stop;
 * - `timer`: an action still due on the tree's scheduler (scheduled or rescheduled, neither run
 *   nor unsubscribed), such as `this.scheduler.schedule(…)` never cancelled or an
 *   `interval(1000, this.scheduler)` subscribed outside `untilStopped()`;
 * - `subscription`: more subscribers on a service's `state$`, `events$` or `run$` than before
 *   `fn`, whoever subscribed (rxmode's supervisors and waits, a service watching another, the test);
 * - `listener`: an AbortSignal listener added during `fn` (by rxmode, the services or the test) and
 *   still registered on a signal that has not aborted (`AbortSignal.prototype` is wrapped while
 *   `fn` runs). A listener left on an aborted signal can never fire and is not counted.
 *
 * It cannot see: work off the tree's scheduler (`setTimeout`, an rxjs operator on its default
 * scheduler, I/O, sockets, a promise never settled), subscriptions to any other observable (an
 * outside Subject, `stop$`), listeners on other targets (`window`, `document`, Node emitters), or
 * anything started after `fn` settled. Subscribe what the test itself keeps before calling
 * `expectNoLeaks()`, or unsubscribe it in `fn`. When `fn` throws, its error is rethrown unchanged.
 * @param root - the tree's root, or a factory that builds it on the scheduler it is given
 * @param fn - the lifecycle to check; may be async
 * @param options - see {@link NoLeaksOptions}
 * @returns the root, once the check passed
 * @throws TypeError for an invalid argument, or a built root whose scheduler is not virtual.
 * @example
 * ```ts
 * import { Service } from 'rxmode';
 * import { expectNoLeaks } from 'rxmode/testing';
 *
 * class Poller extends Service {
 *   constructor(options = {}) {
 *     super({ name: 'Poller', ...options });
 *     this.addTimer('1s', () => {});
 *   }
 * }
 *
 * await expectNoLeaks(
 *   (scheduler) => new Poller({ scheduler }),
 *   async (poller) => {
 *     await poller.start();
 *     await poller.sleep(10);
 *     await poller.stop();
 *   },
 * );
 * ```
 */
export async function expectNoLeaks<S extends Service<any>>(
  root: S | ((scheduler: SchedulerLike) => S),
  fn: (root: S) => unknown,
  options: NoLeaksOptions = {},
): Promise<S> {
  if (!(root instanceof Service) && typeof root !== 'function') {
    throw new TypeError(`root must be a Service or a function building one; received ${show(root)}`);
  }
  if (typeof fn !== 'function') throw new TypeError(`fn must be a function; received ${show(fn)}`);
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object; received ${show(options)}`);
  }
  const { scheduler = asyncScheduler } = options;
  if (typeof scheduler?.schedule !== 'function' || typeof scheduler.now !== 'function') {
    throw new TypeError(`scheduler must be an rxjs SchedulerLike; received ${show(scheduler)}`);
  }
  if (root instanceof Service && options.scheduler !== undefined) {
    throw new TypeError('scheduler applies to a factory root only: build the root on it instead');
  }

  const listeners = new ListenerTracker();
  listeners.open();
  let tree: S;
  let services: Set<Service<any>>;
  const streams = new Map<unknown, number>();
  let timers: () => string[];
  try {
    const tracking = root instanceof Service ? undefined : new TrackingScheduler(scheduler);
    tree = tracking ? (root as (scheduler: SchedulerLike) => S)(tracking) : (root as S);
    if (!(tree instanceof Service)) {
      throw new TypeError(`root() must return a Service; it returned ${show(tree)}`);
    }
    timers = timersOf(tree, tracking);
    services = new Set(treeOf(tree));
    for (const service of services) {
      for (const name of STREAMS) streams.set(service[name], subscribersOf(service[name]));
    }
    await fn(tree);
    await hostTurn(); // `finally` blocks and removals queued by the stop
  } finally {
    listeners.close();
  }

  for (const service of treeOf(tree)) services.add(service);
  const leftovers: Leftover[] = [];
  for (const service of services) {
    const state = service.state;
    if (state !== 'init' && state !== 'stopped' && state !== 'crashed') {
      leftovers.push({ kind: 'service', description: `${service.path} is ${state}` });
    }
  }
  for (const description of timers()) leftovers.push({ kind: 'timer', description });
  for (const service of services) {
    for (const name of STREAMS) {
      const before = streams.get(service[name]) ?? 0;
      const after = subscribersOf(service[name]);
      if (after > before) {
        const description = `${after - before} more subscriber(s) on ${service.path}.${name} (${before} before)`;
        leftovers.push({ kind: 'subscription', description });
      }
    }
  }
  for (const description of listeners.live()) leftovers.push({ kind: 'listener', description });

  if (leftovers.length > 0) {
    const lines = leftovers.map((leftover) => `  - ${leftover.kind}: ${leftover.description}`);
    const error = new Error(
      `expectNoLeaks(): the lifecycle of ${tree.path} left ${leftovers.length} thing(s) behind:\n` +
        lines.join('\n'),
    );
    throw Object.assign(error, { leftovers }) as LeakError;
  }
  return tree;
}
