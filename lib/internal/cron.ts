/**
 * Cron schedules for `addCron`, on top of croner (a maintained, dependency-free parser with time-zone
 * support), loaded by a dynamic import the first time a cron job is declared; the waiting itself
 * goes through the service's scheduler.
 */
import { Subscription, type SchedulerLike } from 'rxjs';
import type { Cron } from 'croner';
import { scheduleLoop } from './clock.js';
import { cronSyntaxError } from './cron-syntax.js';
import { show } from './format.js';
import { lazy } from './lazy.js';

/** A validated cron expression that tells its next firing time once croner is loaded. */
export interface CronSchedule {
  /** Settles once the schedule can answer `next()`; `undefined` when it already can. */
  ready(): Promise<void> | undefined;
  /** The first firing time after `afterMs`, or `undefined` when there is none. */
  next(afterMs: number): number | undefined;
}

let CronClass: typeof Cron | undefined;
const loadCroner = lazy(() =>
  import('croner').then((module) => {
    CronClass = module.Cron;
  }),
);

function createCron(expression: string, timezone: string | undefined): Cron {
  try {
    return new CronClass!(expression, { paused: true, ...(timezone === undefined ? {} : { timezone }) });
  } catch (err) {
    throw new TypeError(
      `expression must be a valid cron expression; received ${show(expression)} (${(err as Error).message})`,
      { cause: err },
    );
  }
}

/**
 * Parses and validates a cron expression (5, 6 or 7 fields, or a nickname) and an optional IANA
 * time zone, and starts loading croner.
 *
 * @throws TypeError naming the value for a malformed expression or an unknown time zone (and for
 * any expression croner rejects, once croner is loaded).
 */
export function parseCron(expression: string, timezone?: string): CronSchedule {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw new TypeError(
      `expression must be a cron expression such as '*/5 * * * *'; received ${show(expression)}`,
    );
  }
  const syntax = cronSyntaxError(expression);
  if (syntax !== undefined) {
    throw new TypeError(
      `expression must be a valid cron expression; received ${show(expression)} (${syntax})`,
    );
  }
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      throw new TypeError(
        `timezone must be an IANA time zone such as 'Europe/Paris'; received ${show(timezone)}`,
      );
    }
  }
  let cron = CronClass && createCron(expression, timezone);
  const loading = cron ? undefined : loadCroner();
  // A failed load is reported to the loop that waits for it; nothing else must see it unhandled.
  loading?.catch(() => {});
  return {
    ready() {
      if (!cron && CronClass) cron = createCron(expression, timezone);
      return cron ? undefined : loading!.then(() => void (cron ??= createCron(expression, timezone)));
    },
    next(afterMs) {
      if (!cron) throw new Error('the cron schedule is used before croner was loaded');
      const date = cron.nextRun(new Date(afterMs));
      return date ? date.getTime() : undefined;
    },
  };
}

/** setTimeout cannot wait longer than this; longer waits re-check on wake-up. */
const MAX_DELAY = 2_147_483_647;

const waitFor = (ms: number): number => Math.min(MAX_DELAY, Math.max(0, ms));

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
  let due: number | undefined;
  const step = (): number | undefined => {
    const now = scheduler.now();
    if (due !== undefined && now >= due) {
      fire(due, now);
      due = schedule.next(Math.max(now, due));
    }
    return due === undefined ? undefined : waitFor(due - scheduler.now());
  };
  const begin = (): Subscription => {
    due = schedule.next(startedAt);
    return due === undefined
      ? Subscription.EMPTY
      : scheduleLoop(scheduler, waitFor(due - scheduler.now()), step);
  };
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
