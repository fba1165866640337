/**
 * Cron schedules for `addCron`: the checks made when a job is declared (the expression's structure,
 * the time zone), and the hand-over to cron-runtime.ts, which croner's chunk loads on first use
 * (a dynamic import); the waiting itself goes through the service's scheduler.
 */
import { Subscription, type SchedulerLike } from 'rxjs';
import type { Cron } from 'croner';
import { scheduleLoop } from './clock.js';
import { cronSyntaxError } from './cron-syntax.js';
import { mustBe } from './format.js';
import { lazy } from './lazy.js';
import { noop } from './noop.js';

/** A validated cron expression that tells its firing times once croner is loaded. */
export interface CronSchedule {
  /** Settles once `cron` is there; `undefined` when it already is. */
  ready(): Promise<void> | undefined;
  /** croner's schedule, once ready. */
  cron?: Cron;
}

let runtime: typeof import('./cron-runtime.js') | undefined;
const load = lazy(() => import('./cron-runtime.js').then((module) => void (runtime = module)));

/**
 * Parses and validates a cron expression (5, 6 or 7 fields, or a nickname) and an optional IANA
 * time zone, and starts loading croner.
 *
 * @throws TypeError naming the value for a malformed expression or an unknown time zone (and for
 * any expression croner rejects, once croner is loaded).
 */
export function parseCron(expression: string, timezone?: string): CronSchedule {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw mustBe('expression', "a cron expression such as '*/5 * * * *'", expression);
  }
  const syntax = cronSyntaxError(expression);
  if (syntax !== undefined) {
    throw mustBe('expression', 'a valid cron expression', expression, ` (${syntax})`);
  }
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      throw mustBe('timezone', "an IANA time zone such as 'Europe/Paris'", timezone);
    }
  }
  const create = (): undefined => void (schedule.cron ??= runtime!.createCron(expression, timezone));
  const schedule: CronSchedule = { ready: () => (runtime ? create() : load().then(create)) };
  // A failed load is reported to the loop that waits for it; nothing else must see it unhandled.
  if (runtime) create();
  else load().catch(noop);
  return schedule;
}

/**
 * Fires `fire(scheduledAt, firedAt)` at each time of the schedule, on `scheduler`, until
 * unsubscribed.
 *
 * @remarks When croner is still loading, the first firing is the first time of the schedule after
 * the call, fired as soon as croner is there if that time has already passed. A load that fails, or
 * an expression croner rejects after the structural check let it through, goes to `fail` (thrown
 * into the promise chain when there is none).
 */
export function scheduleCron(
  schedule: CronSchedule,
  scheduler: SchedulerLike,
  fire: (scheduledAt: number, firedAt: number) => void,
  fail?: (error: unknown) => void,
): Subscription {
  const startedAt = scheduler.now();
  const begin = (): Subscription =>
    runtime!.startCron(schedule.cron!, scheduler, startedAt, fire, scheduleLoop);
  const ready = schedule.ready();
  if (!ready) return begin();
  const holder = new Subscription();
  ready
    .then(() => {
      if (!holder.closed) holder.add(begin());
    })
    .catch((error: unknown) => {
      if (holder.closed) return;
      if (!fail) throw error;
      fail(error);
    });
  return holder;
}
