/**
 * Cron schedules for `addCron`, on top of croner (a maintained, dependency-free parser with time-zone
 * support); the waiting itself goes through the service's scheduler.
 */
import { Cron } from 'croner';
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { show } from '../duration.js';

/** A validated cron expression that tells its next firing time. */
export interface CronSchedule {
  next(afterMs: number): number | undefined;
}

/** Parses and validates a cron expression (5 or 6 fields) and an optional IANA time zone. */
export function parseCron(expression: string, timezone?: string): CronSchedule {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw new TypeError(
      `expression must be a cron expression such as '*/5 * * * *'; received ${show(expression)}`,
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
  let cron: Cron;
  try {
    cron = new Cron(expression, { paused: true, ...(timezone === undefined ? {} : { timezone }) });
  } catch (err) {
    throw new TypeError(
      `expression must be a valid cron expression; received ${show(expression)} (${(err as Error).message})`,
      { cause: err },
    );
  }
  return {
    next(afterMs) {
      const date = cron.nextRun(new Date(afterMs));
      return date ? date.getTime() : undefined;
    },
  };
}

/** Fires `fire(scheduledAt)` at each time of the schedule, on `scheduler`, until unsubscribed. */
/** setTimeout cannot wait longer than this; longer waits re-check on wake-up. */
const MAX_DELAY = 2_147_483_647;

export function scheduleCron(
  schedule: CronSchedule,
  scheduler: SchedulerLike,
  fire: (scheduledAt: number, firedAt: number) => void,
): Subscription {
  let due = schedule.next(scheduler.now());
  function tick(this: SchedulerAction<void>): void {
    const now = scheduler.now();
    if (due !== undefined && now >= due) {
      fire(due, now);
      due = schedule.next(Math.max(now, due));
    }
    if (due !== undefined) this.schedule(undefined, Math.min(MAX_DELAY, Math.max(0, due - scheduler.now())));
  }
  return scheduler.schedule(
    tick,
    due === undefined ? 0 : Math.min(MAX_DELAY, Math.max(0, due - scheduler.now())),
  );
}
