/**
 * The one clock module: how periodic work reads time and re-arms itself. Every loop reschedules
 * flat (each step is a fresh action of the scheduler, never a child of the previous one), and the
 * default scheduler gets a sub-millisecond monotonic clock armed with the host's `setTimeout`, one
 * host timer for all the loops due at the same instant, never run more than {@link EARLY_MS} early.
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
  /**
   * Runs `step` at instant `at` of this clock, then at each instant it returns: on the host's timers
   * up to {@link EARLY_MS} before each instant (never before halfway from the previous one), on any
   * other scheduler when its action runs.
   */
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

/**
 * How early (in ms of `performance.now()`) a host timer may wake its loops: Node's timer granularity.
 *
 * @remarks Node arms a `setTimeout` on its loop clock, which counts whole milliseconds: it truncates
 * the delay and counts it from the millisecond the loop clock last turned, so the timer is due on a
 * millisecond boundary up to 2 ms before the instant asked for. A batch woken in the last millisecond
 * before its instant runs at once, as a plain `setTimeout` re-armed for each slot would (waiting for
 * the instant itself would make every tick late by the rest of that millisecond). Woken earlier, it
 * is armed again for the rest, which Node fires on its next millisecond: never a busy wait. So a step
 * runs no earlier than `EARLY_MS` before its instant, nor earlier than halfway from its previous
 * instant (for loops shorter than 2 ms); how late it runs is up to the host.
 */
export const EARLY_MS = 1;

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
  /** The instant before which the batch does not run (see {@link EARLY_MS}), the latest of its loops'. */
  notBefore: number;
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

/** Arms `batch`'s host timer for what is left until its instant, at least 1 ms when it woke early. */
function arm(batch: Batch, now: number, early: boolean): void {
  const left = batch.at - now;
  // woken early, the whole rest and never under 1 ms: Node rounds a shorter delay up to its next
  // millisecond anyway, a browser rounds it down to 0, which would wake again at once
  batch.handle = host.setTimeout(() => wake(batch), early ? Math.max(1, left) : Math.max(0, left));
}

/** Adds `waiting` to the batch of instant `at`; `from` is its previous instant (or when it began). */
function join(waiting: Waiting, at: number, from: number): void {
  const notBefore = Math.max(at - EARLY_MS, (from + at) / 2);
  let batch = batches.get(at);
  if (!batch) {
    const created: Batch = {
      at,
      notBefore,
      first: undefined,
      last: undefined,
      clear: host.clearTimeout,
      handle: 0,
    };
    arm(created, preciseNow(), false);
    batches.set(at, (batch = created));
  } else if (notBefore > batch.notBefore) {
    batch.notBefore = notBefore;
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

/**
 * Runs the steps of `batch`, in the order they joined; one that throws stops only its loop. Woken
 * before the batch's `notBefore`, it only arms the host timer again.
 */
function wake(batch: Batch): void {
  if (batches.get(batch.at) !== batch) return;
  const now = preciseNow();
  if (now < batch.notBefore) return arm(batch, now, true);
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
    if (next !== undefined && !waiting.ended) join(waiting, next, batch.at);
  }
}

/** Runs `step` at instant `at` of `performance.now()`, then at each instant it returns. */
function hostLoop(at: number, step: DueStep): Subscription {
  const waiting: Waiting = { step, batch: undefined, previous: undefined, next: undefined, ended: false };
  join(waiting, at, preciseNow());
  return new Subscription(() => {
    waiting.ended = true;
    leave(waiting);
  });
}

/** Reads the current instant of `scheduler`, to hand to {@link clockFor} for each loop started now. */
export function readOrigin(scheduler: SchedulerLike): ClockOrigin {
  if (scheduler !== asyncScheduler) return { scheduler, at: scheduler.now(), precise: undefined };
  // the precise instant first: the loops' grid starts there, not after the checks
  const precise = realPerformance() && preciseNow();
  const at = scheduler.now();
  return { scheduler, at, precise: hostClockIsReal() ? precise : undefined };
}

/**
 * The clock of one periodic loop on `scheduler`, starting at `origin` (read now when not given).
 *
 * @remarks With rxjs `asyncScheduler` (the default of every service) and the host's own timers, time
 * is the scheduler's (`Date.now()`) at the origin, advanced from then on by `performance.now()`:
 * epoch ms with sub-millisecond precision that wall-clock steps do not move, and the loop is armed
 * with `setTimeout` for each step, which may run it up to {@link EARLY_MS} early (Node's timers are
 * due on whole milliseconds). Any other scheduler (virtual time, a test scheduler) or faked host
 * timers keep the scheduler's own clock and actions.
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
