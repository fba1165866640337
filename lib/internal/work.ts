/**
 * The ongoing work of a service: `run()`, `addTask` tasks, `addTimer` timers and `addCron` jobs, in
 * one model, and how each kind runs (an input consumed, or ticks). What a stop must await is named by
 * phase (`run`, `task:<name>`, …). The set of one service's work is `WorkSet` (work-set.ts).
 */
import {
  from,
  isObservable,
  observable as observableSymbol,
  type ObservableInput,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { TimerTick } from '../timer.js';
import { scheduleTicks } from '../timer.js';
import { isThenable } from './is-thenable.js';
import type { ClockOrigin } from './clock.js';
import { scheduleCron, type CronSchedule } from './cron.js';
import { callMarked, runningMarker } from './running.js';

/** What a piece of work needs from its service while it runs. */
export interface WorkHost {
  /** The service path, read when a body is marked as running (`<path>:timer:<name>`, see running.ts). */
  readonly path: string;
  readonly signal: AbortSignal;
  readonly scheduler: SchedulerLike;
  /**
   * A failure of the work: crashes the service while it runs. `drained` is true for a `drain` task,
   * whose failure during the stop still counts; other work that fails once the stop began ended
   * because of the abort.
   */
  fail(error: unknown, drained: boolean): void;
  /** Values produced by `run()`. */
  publish(value: unknown): void;
  /** Reports a skipped (`timer-overlap`) or late (`timer-drift`) tick. */
  tickEvent(type: 'timer-drift' | 'timer-overlap', timer: string, driftMs: number): void;
  /** True while the subtree is paused (`bindPageLifecycle`): due ticks are skipped as overlaps. */
  isPaused(): boolean;
}

/** A registered piece of work. */
export type WorkDef =
  | { kind: 'run'; name: 'run'; fn: (signal: AbortSignal) => unknown }
  | { kind: 'task'; name: string; fn: (signal: AbortSignal) => ObservableInput<unknown>; drain: boolean }
  | { kind: 'timer'; name: string; fn: (tick: TimerTick) => unknown; intervalMs: number; execFirst: boolean }
  | { kind: 'cron'; name: string; fn: () => unknown; schedule: CronSchedule };

/** A piece of work while it runs. */
export interface Running {
  readonly phase: string;
  /** Closed at stop (a draining Observable keeps its own until it completes). */
  readonly subscription: Subscription | undefined;
  /** What the stop must await (a drained input, an in-flight timer body), while it has not settled. */
  pending(): PromiseLike<unknown> | undefined;
  /** True while the work is under way (an input not finished, a timer body running). */
  active(): boolean;
  /** A draining Observable's subscription, closed once the stop stops waiting for it. */
  readonly draining?: Subscription;
}

/** How an input is consumed: whether its values are published and what the stop awaits. */
interface Consumption {
  readonly phase: string;
  /** Await a promise or an async iterable at stop. */
  readonly drainPromise: boolean;
  /** Keep an Observable subscribed at stop until it completes, and await it. */
  readonly drainObservable: boolean;
  readonly publish: ((value: unknown) => void) | undefined;
  /** A `drain` task: its failure during the stop is reported (see {@link WorkHost.fail}). */
  readonly drained: boolean;
}

const idle = (): boolean => false;
const nothing = (): undefined => undefined;

/** What a piece of work is marked as while its synchronous code runs: `<path>:<phase>`. */
function labelOf(host: WorkHost, phase: string): string {
  return `${host.path}:${phase}`;
}

/** True when `value` is something `from()` accepts (strings excluded: a string is surely a mistake). */
export function isObservableInput(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const v = value as Record<PropertyKey, unknown>;
  return (
    isObservable(value) ||
    typeof v[observableSymbol] === 'function' ||
    typeof v.then === 'function' ||
    typeof v[Symbol.asyncIterator] === 'function' ||
    typeof v[Symbol.iterator] === 'function' ||
    typeof (v as { getReader?: unknown }).getReader === 'function'
  );
}

/** Consumes what a task or `run()` returned: a promise, an async iterable or another ObservableInput. */
function consume(input: unknown, how: Consumption, host: WorkHost): Running {
  const { phase } = how;
  const fail = (error: unknown): void => host.fail(error, how.drained);
  if (input === undefined || input === null) {
    return { phase, subscription: undefined, pending: nothing, active: idle };
  }
  let done = false;
  if (isThenable(input)) {
    const settled = Promise.resolve(input).then(
      () => void (done = true),
      (error: unknown) => {
        done = true;
        fail(error);
      },
    );
    return {
      phase,
      subscription: undefined,
      pending: () => (how.drainPromise && !done ? settled : undefined),
      active: () => !done,
    };
  }
  if (typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' && !isObservable(input)) {
    const loop = pull(input as AsyncIterable<unknown>, how.publish, host, phase, fail).finally(
      () => (done = true),
    );
    return {
      phase,
      subscription: undefined,
      pending: () => (how.drainPromise && !done ? loop : undefined),
      active: () => !done,
    };
  }
  let finish: (() => void) | undefined;
  const subscription = from(input as ObservableInput<unknown>).subscribe({
    next: how.publish,
    error: (error: unknown) => {
      done = true;
      finish?.();
      fail(error);
    },
    complete: () => {
      done = true;
      finish?.();
    },
  });
  if (!how.drainObservable) {
    return { phase, subscription, pending: nothing, active: () => !done };
  }
  return {
    phase,
    subscription: undefined,
    draining: subscription,
    pending: () => (done ? undefined : new Promise<void>((resolve) => (finish = resolve))),
    active: () => !done,
  };
}

/**
 * Pulls an async iterable until it ends or the signal aborts (then it is told to return). Each
 * `next()` call is marked as running: an async generator's body runs inside it up to its first
 * `await` or `yield`.
 */
async function pull(
  iterable: AsyncIterable<unknown>,
  publish: ((value: unknown) => void) | undefined,
  host: WorkHost,
  phase: string,
  fail: (error: unknown) => void,
): Promise<void> {
  const signal = host.signal;
  const iterator = iterable[Symbol.asyncIterator]();
  try {
    for (;;) {
      const marker = runningMarker;
      const step = await (marker === undefined
        ? iterator.next()
        : callMarked(marker, labelOf(host, phase), iterator.next, iterator, undefined));
      if (step.done) return;
      publish?.(step.value);
      if (signal.aborted) {
        await iterator.return?.();
        return;
      }
    }
  } catch (error) {
    fail(error);
  }
}

/**
 * Runs a body that may return a promise; reports a failure once; tracks the promise while in flight.
 * Its synchronous part is marked as running under `phase`.
 */
function runBody(
  call: () => unknown,
  host: WorkHost,
  onSettled: () => void,
  phase: string,
): PromiseLike<unknown> | undefined {
  let result: unknown;
  const marker = runningMarker;
  try {
    result =
      marker === undefined ? call() : callMarked(marker, labelOf(host, phase), call, undefined, undefined);
  } catch (error) {
    host.fail(error, false);
    return undefined;
  }
  if (!isThenable(result)) return undefined;
  return Promise.resolve(result).then(onSettled, (error: unknown) => {
    onSettled();
    host.fail(error, false);
  });
}

/** Calls a task's or `run()`'s function and consumes what it returned. */
function startInput(
  def: Extract<WorkDef, { kind: 'run' | 'task' }>,
  host: WorkHost,
  check: ((result: unknown) => void) | undefined,
): Running {
  const how: Consumption =
    def.kind === 'run'
      ? { phase: 'run', drainPromise: true, drainObservable: false, publish: host.publish, drained: false }
      : {
          phase: `task:${def.name}`,
          drainPromise: def.drain,
          drainObservable: def.drain,
          publish: undefined,
          drained: def.drain,
        };
  let input: unknown;
  const marker = runningMarker;
  try {
    input =
      marker === undefined
        ? def.fn(host.signal)
        : callMarked(marker, labelOf(host, how.phase), def.fn, def, host.signal);
    check?.(input);
  } catch (error) {
    if (def.kind === 'run') throw error; // a failing run() fails the start step that called it
    host.fail(error, how.drained);
    return { phase: how.phase, subscription: undefined, pending: nothing, active: idle };
  }
  return consume(input, how, host);
}

/** Starts a timer or a cron job: bodies never overlap; a due tick while one runs is skipped. */
function startTicking(
  def: Extract<WorkDef, { kind: 'timer' | 'cron' }>,
  host: WorkHost,
  origin: ClockOrigin | undefined,
): Running {
  let inFlight: PromiseLike<unknown> | undefined;
  const phase = `${def.kind}:${def.name}`;
  const settle = (): void => void (inFlight = undefined);
  const isBusy = (): boolean => inFlight !== undefined || host.isPaused();
  let subscription: Subscription;
  if (def.kind === 'timer') {
    const quarter = def.intervalMs / 4;
    subscription = scheduleTicks(
      def.intervalMs,
      host.scheduler,
      def.execFirst,
      {
        isBusy,
        skipped: (scheduledAt, firedAt) => host.tickEvent('timer-overlap', def.name, firedAt - scheduledAt),
        fire: (tick) => {
          if (tick.driftMs > quarter) host.tickEvent('timer-drift', def.name, tick.driftMs);
          inFlight = runBody(() => def.fn(tick), host, settle, phase);
        },
      },
      origin,
    );
  } else {
    subscription = scheduleCron(
      def.schedule,
      host.scheduler,
      (scheduledAt, firedAt) => {
        if (isBusy()) host.tickEvent('timer-overlap', def.name, firedAt - scheduledAt);
        else inFlight = runBody(() => def.fn(), host, settle, phase);
      },
      (error) => host.fail(error, false),
    );
  }
  return {
    phase,
    subscription,
    pending: () => inFlight,
    active: () => inFlight !== undefined,
  };
}

/** @internal Starts one piece of work: a task or `run()` as an input, a timer or cron job as ticks. */
export function startWork(
  def: WorkDef,
  host: WorkHost,
  check?: (result: unknown) => void,
  origin?: ClockOrigin,
): Running {
  return def.kind === 'run' || def.kind === 'task'
    ? startInput(def, host, check)
    : startTicking(def, host, origin);
}
