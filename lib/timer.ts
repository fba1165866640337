/**
 * Fixed-rate ticks on an injected scheduler: the tick source behind `addTimer` and `itertimer`,
 * with drift and overlap accounting. Ticks fall at start + k × interval; missed ticks are not replayed.
 */
import { Observable, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { parseDuration, type Duration } from './duration.js';
import { clockFor, type ClockOrigin } from './internal/clock.js';

/**
 * One tick of a timer. All times are in ms on the scheduler's clock: virtual time under a test
 * scheduler; with the default `asyncScheduler`, epoch ms (`Date.now()`) read when the timer started
 * and advanced by the monotonic `performance.now()` since, so they have sub-millisecond precision.
 */
export interface TimerTick {
  /** Body runs so far in this run, from 0 (the `execFirst` run, when set); skipped ticks take none. */
  readonly index: number;
  /** When the tick was due. */
  readonly scheduledAt: number;
  /** When it fired. */
  readonly firedAt: number;
  /**
   * `firedAt - scheduledAt`. Negative when the tick fired early: with the default scheduler the
   * host may fire it up to 1 ms before its slot (Node's timers fall on whole milliseconds), and never
   * earlier than halfway from the previous slot (intervals under 2 ms); virtual time and fake timers
   * fire it on time or late.
   */
  readonly driftMs: number;
  /** Ticks skipped so far in this run because the body was still running. */
  readonly overlaps: number;
}

/** Options of a timer. */
export interface TimerOptions {
  /**
   * Also run once at once, before the first interval has passed.
   * @defaultValue false
   */
  execFirst?: boolean;
  /** Name shown in events and stuck reports; `timer-N` by default. */
  name?: string;
}

/** @internal What the tick loop reports to its owner. */
export interface TickHandlers {
  /** Runs the body for a due tick. */
  fire(tick: TimerTick): void;
  /** True while the previous body still runs: the tick is then skipped. */
  isBusy?(): boolean;
  /** Called once per skipped tick. */
  skipped?(scheduledAt: number, firedAt: number): void;
}

/** @internal Validates an interval option: a positive duration. */
export function parseInterval(interval: Duration, option = 'interval'): number {
  const ms = parseDuration(interval, option);
  if (ms <= 0) throw new TypeError(`${option} must be greater than 0; received ${ms}`);
  return ms;
}

/**
 * @internal Starts a fixed-rate tick loop; unsubscribing the returned subscription stops it. Loops
 * started together (the timers of one run) pass one `origin` (`readOrigin`) and share its grid.
 *
 * @remarks Each tick is re-armed for the next slot of the ideal schedule (start + k × interval) on
 * the clock of `scheduler` (see `clockFor`): with rxjs `asyncScheduler` a sub-millisecond monotonic
 * clock and the host's `setTimeout`, one host timer for all the loops due at the same instant, which
 * runs them when the host fires it but never more than `EARLY_MS` (1 ms) before the slot;
 * otherwise the scheduler's own time and actions.
 */
export function scheduleTicks(
  intervalMs: number,
  scheduler: SchedulerLike,
  execFirst: boolean,
  handlers: TickHandlers,
  origin?: ClockOrigin,
): Subscription {
  const clock = clockFor(scheduler, origin);
  const start = clock.start;
  let slot = 1;
  let index = 0;
  let overlaps = 0;
  const fire = (scheduledAt: number, firedAt: number): void => {
    if (handlers.isBusy?.()) {
      overlaps++;
      handlers.skipped?.(scheduledAt, firedAt);
    } else {
      handlers.fire({ index: index++, scheduledAt, firedAt, driftMs: firedAt - scheduledAt, overlaps });
    }
  };
  const tick = (): number => {
    const now = clock.now();
    fire(start + slot * intervalMs, now);
    // Slots that passed while the body (or the event loop) held us up are skipped, not replayed.
    const due = Math.floor((now - start) / intervalMs) + 1;
    if (due > slot + 1) {
      for (let missed = slot + 1; missed < due; missed++) {
        overlaps++;
        handlers.skipped?.(start + missed * intervalMs, now);
      }
    }
    slot = Math.max(slot + 1, due);
    return start + slot * intervalMs;
  };
  const subscription = clock.loopAt(start + intervalMs, tick);
  if (execFirst) fire(start, start);
  return subscription;
}

/**
 * A cold Observable of fixed-rate {@link TimerTick}s: each subscriber gets its own schedule from the
 * moment it subscribes.
 *
 * @remarks When a subscriber blocks past several ticks, the first tick due is delivered late (its
 * `driftMs` says how late) and the others are skipped (counted in `overlaps`), never replayed. Every
 * tick goes through the scheduler, so virtual time drives it. On the default scheduler a tick can
 * also come up to 1 ms early (a negative `driftMs`, at most 1 ms early): Node fires timers on whole
 * milliseconds of its loop clock, and waiting for the exact instant would make every tick late instead.
 * @throws TypeError when `interval` is not a positive duration.
 * @example
 * ```ts
 * new Timer('1s', { execFirst: true }).pipe(take(3)).subscribe((t) => console.log(t.index, t.driftMs));
 * ```
 */
export class Timer extends Observable<TimerTick> {
  /** The interval in ms. */
  readonly intervalMs: number;

  constructor(interval: Duration, options: TimerOptions & { scheduler?: SchedulerLike } = {}) {
    const intervalMs = parseInterval(interval);
    const scheduler = options.scheduler ?? asyncScheduler;
    const execFirst = options.execFirst ?? false;
    super((subscriber) =>
      scheduleTicks(intervalMs, scheduler, execFirst, { fire: (tick) => subscriber.next(tick) }),
    );
    this.intervalMs = intervalMs;
  }
}
