/**
 * The one clock module: how periodic work reads time and re-arms itself. Every loop reschedules
 * flat (each step is a fresh action of the scheduler, never a child of the previous one), and the
 * default scheduler gets a sub-millisecond monotonic clock armed with the host's `setTimeout`.
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

/** Reads time and runs loops for one piece of periodic work; times are in the scheduler's ms. */
export interface LoopClock {
  /** The instant the work started (its origin), on this clock. */
  readonly start: number;
  now(): number;
  loop(delay: number, step: LoopStep): Subscription;
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
/** The host's own clocks and timer, as found when this module loaded. */
const original = { dateNow: Date.now, perfNow: host.performance?.now, setTimeout: host.setTimeout };

/**
 * True while `Date.now`, `performance.now` and `setTimeout` are the ones found when this module
 * loaded: then they agree, and a loop can be timed on `performance.now()`. Fake timers installed
 * since replace some of them; loops then stay on the scheduler, which reads the fakes.
 */
function hostClockIsReal(): boolean {
  return (
    original.perfNow !== undefined &&
    Date.now === original.dateNow &&
    host.performance?.now === original.perfNow &&
    host.setTimeout === original.setTimeout
  );
}

/** Runs `step` on the host's `setTimeout`, looked up at each arming; unsubscribing clears it. */
function hostLoop(delay: number, step: LoopStep): Subscription {
  let handle: unknown;
  let clear: Host['clearTimeout'] | undefined;
  const loop = new Subscription(() => {
    clear?.(handle);
    clear = undefined;
  });
  const arm = (ms: number): void => {
    clear = host.clearTimeout;
    handle = host.setTimeout(fire, ms);
  };
  const fire = (): void => {
    clear = undefined;
    const next = step();
    if (next !== undefined && !loop.closed) arm(next);
  };
  arm(delay);
  return loop;
}

/** Reads the current instant of `scheduler`, to hand to {@link clockFor} for each loop started now. */
export function readOrigin(scheduler: SchedulerLike): ClockOrigin {
  const precise = scheduler === asyncScheduler && hostClockIsReal() ? host.performance!.now() : undefined;
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
    return { start, now: () => scheduler.now(), loop: (delay, step) => scheduleLoop(scheduler, delay, step) };
  }
  const performance = host.performance!;
  return { start: from.at, now: () => from.at + (performance.now() - precise), loop: hostLoop };
}
