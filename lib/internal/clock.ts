/**
 * The one clock module: how periodic work reads time and re-arms itself. Every loop reschedules
 * flat (each step is a fresh action of the scheduler, never a child of the previous one), and the
 * default scheduler gets a sub-millisecond monotonic clock armed with the host's `setTimeout`, one
 * host timer for all the loops due at the same instant.
 */
import { Subscription, asyncScheduler, type SchedulerLike } from 'rxjs';

/** What a loop step returns: the delay in ms before the next step, or `undefined` to end the loop. */
export type LoopStep = () => number | undefined;

/**
 * Runs `step` on `scheduler` after `delay` ms, then again after each delay it returns, until it
 * returns `undefined` or the returned subscription is unsubscribed.
 *
 * @remarks Each step is scheduled from the scheduler, not from the action that ran the previous one:
 * rxjs nests an action rescheduled from inside itself in the one before it (virtual time), so a long
 * loop would build a chain as long as its step count and overflow the stack when unsubscribed.
 */
export function scheduleLoop(scheduler: SchedulerLike, delay: number, step: LoopStep): Subscription {
  let current: Subscription | undefined;
  const loop = new Subscription(() => current?.unsubscribe());
  const run = (): void => {
    current = undefined;
    const next = step();
    if (next !== undefined && !loop.closed) current = scheduler.schedule(run, next);
  };
  current = scheduler.schedule(run, delay);
  return loop;
}

/** What a step at a due instant returns: the next due instant, or `undefined` to end the loop. */
export type DueStep = () => number | undefined;

/** Reads time and runs loops for one piece of periodic work; times are in the scheduler's ms. */
export interface LoopClock {
  /** The instant the work started (its origin), on this clock. */
  readonly start: number;
  now(): number;
  /** Runs `step` at instant `at` of this clock, then at each instant it returns (never before now). */
  loopAt(at: number, step: DueStep): Subscription;
}

/**
 * An instant read once and shared by the loops that start together (the work of one run), so that
 * their grids line up and the time spent arming the first does not delay the last.
 */
export interface ClockOrigin {
  readonly scheduler: SchedulerLike;
  /** `scheduler.now()` when read. */
  readonly at: number;
  /** `performance.now()` when read, if the loops may be timed on it. */
  readonly precise: number | undefined;
}

type Host = {
  setTimeout: (callback: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
  performance?: { now(): number };
};

const host = globalThis as unknown as Host;
/** The host's own clock and timer, as found when this module loaded. */
const original = { dateNow: Date.now, setTimeout: host.setTimeout };

/**
 * The host's `performance` and its own `now`, found on first use rather than at import: Node defines
 * `globalThis.performance` as a getter that loads perf_hooks (about a millisecond) on first read.
 */
let real: { readonly performance: object; readonly now: () => number } | undefined;

function realPerformance(): typeof real {
  if (real) return real;
  const performance = host.performance;
  if (performance === undefined) return undefined;
  // `now` lives on the prototype of a real Performance; fake timers hand out an object of their own
  const now = (Object.getPrototypeOf(performance) as { now?: unknown } | null)?.now;
  if (typeof now !== 'function') return undefined;
  return (real = { performance, now: now as () => number });
}

/** The host's own `performance.now()`, whatever fake timers replaced since (after a true hostClockIsReal). */
const preciseNow = (): number => real!.now.call(real!.performance);

/**
 * True while `Date.now`, `performance.now` and `setTimeout` are the host's own: then they agree, and
 * a loop can be timed on `performance.now()`. Fake timers replace some of them; loops then stay on
 * the scheduler, which reads the fakes.
 */
function hostClockIsReal(): boolean {
  return (
    Date.now === original.dateNow &&
    host.setTimeout === original.setTimeout &&
    realPerformance() !== undefined &&
    host.performance?.now === real!.now
  );
}

/** A loop waiting in a {@link Batch}: a link of the batch's list. */
interface Waiting {
  readonly step: DueStep;
  batch: Batch | undefined;
  previous: Waiting | undefined;
  next: Waiting | undefined;
  /** Set on unsubscription, so that a loop ended from inside its own step is not re-armed. */
  ended: boolean;
}

/**
 * The loops due at one instant of `performance.now()`, woken by one host timer, in a linked list (in
 * the order they joined) so that a tick allocates nothing per loop.
 */
interface Batch {
  readonly at: number;
  first: Waiting | undefined;
  last: Waiting | undefined;
  readonly clear: Host['clearTimeout'];
  handle: unknown;
}

/**
 * Host batches by due instant. Loops that share an origin and an interval (the timers of one run) fall
 * due at the same instants, so one `setTimeout` wakes them all: a host timer per loop would be armed
 * a few microseconds apart, and those armed after the host's millisecond clock turned fire a whole
 * millisecond later than the rest.
 */
const batches = new Map<number, Batch>();

function join(waiting: Waiting, at: number): void {
  let batch = batches.get(at);
  if (!batch) {
    const created: Batch = { at, first: undefined, last: undefined, clear: host.clearTimeout, handle: 0 };
    created.handle = host.setTimeout(() => wake(created), Math.max(0, at - preciseNow()));
    batches.set(at, (batch = created));
  }
  waiting.batch = batch;
  waiting.previous = batch.last;
  waiting.next = undefined;
  if (batch.last) batch.last.next = waiting;
  else batch.first = waiting;
  batch.last = waiting;
}

/** Unlinks `waiting` from its batch; the host timer of a batch left empty is cleared. */
function leave(waiting: Waiting): void {
  const batch = waiting.batch;
  if (!batch) return;
  const { previous, next } = waiting;
  if (previous) previous.next = next;
  else batch.first = next;
  if (next) next.previous = previous;
  else batch.last = previous;
  waiting.batch = waiting.previous = waiting.next = undefined;
  if (!batch.first && batches.get(batch.at) === batch) {
    batches.delete(batch.at);
    const clear = batch.clear; // called as a plain function: browsers refuse another `this`
    clear(batch.handle);
  }
}

/** Runs the steps of `batch`, in the order they joined; one that throws stops only its loop. */
function wake(batch: Batch): void {
  if (batches.get(batch.at) !== batch) return;
  batches.delete(batch.at);
  // always the current first: a step may end loops of this batch that have not run yet
  for (let waiting = batch.first; waiting; waiting = batch.first) {
    leave(waiting);
    let next: number | undefined;
    try {
      next = waiting.step();
    } catch (error) {
      // as a host timer of its own would have: reported as uncaught, the other loops unaffected
      queueMicrotask(() => {
        throw error;
      });
    }
    if (next !== undefined && !waiting.ended) join(waiting, next);
  }
}

/** Runs `step` at instant `at` of `performance.now()`, then at each instant it returns. */
function hostLoop(at: number, step: DueStep): Subscription {
  const waiting: Waiting = { step, batch: undefined, previous: undefined, next: undefined, ended: false };
  join(waiting, at);
  return new Subscription(() => {
    waiting.ended = true;
    leave(waiting);
  });
}

/** Reads the current instant of `scheduler`, to hand to {@link clockFor} for each loop started now. */
export function readOrigin(scheduler: SchedulerLike): ClockOrigin {
  const precise = scheduler === asyncScheduler && hostClockIsReal() ? preciseNow() : undefined;
  return { scheduler, at: scheduler.now(), precise };
}

/**
 * The clock of one periodic loop on `scheduler`, starting at `origin` (read now when not given).
 *
 * @remarks With rxjs `asyncScheduler` (the default of every service) and the host's own timers, time
 * is the scheduler's (`Date.now()`) at the origin, advanced from then on by `performance.now()`:
 * epoch ms with sub-millisecond precision that wall-clock steps do not move, and the loop is armed
 * with `setTimeout` for each step. Any other scheduler (virtual time, a test scheduler) or faked
 * host timers keep the scheduler's own clock and actions.
 */
export function clockFor(scheduler: SchedulerLike, origin?: ClockOrigin): LoopClock {
  const from = origin?.scheduler === scheduler ? origin : readOrigin(scheduler);
  const precise = from.precise;
  if (precise === undefined || !hostClockIsReal()) {
    const start = precise === undefined ? from.at : scheduler.now();
    const now = (): number => scheduler.now();
    const loopAt = (at: number, step: DueStep): Subscription =>
      scheduleLoop(scheduler, Math.max(0, at - now()), () => {
        const next = step();
        return next === undefined ? undefined : Math.max(0, next - now());
      });
    return { start, now, loopAt };
  }
  // the loops of one origin compute the same host instants, so they share batches
  const offset = precise - from.at;
  return {
    start: from.at,
    now: () => preciseNow() - offset,
    loopAt: (at, step) =>
      hostLoop(at + offset, () => {
        const next = step();
        return next === undefined ? undefined : next + offset;
      }),
  };
}
