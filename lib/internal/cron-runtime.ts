/**
 * The part of `addCron` that needs croner: building croner's schedule and firing a job at its times.
 * Loaded by a dynamic import with croner the first time a cron job is declared, so a bundler puts it
 * in croner's chunk; the synchronous checks stay in cron.ts. Imports nothing of the core at run time.
 */
import { Cron } from 'croner';
import { Subscription, type SchedulerLike } from 'rxjs';
import type { scheduleLoop } from './clock.js';

/** setTimeout cannot wait longer than this; longer waits re-check on wake-up. */
const MAX_DELAY = 2_147_483_647;

/**
 * croner's schedule of an expression that passed the structural check.
 *
 * @throws TypeError naming the expression when croner rejects it.
 */
export function createCron(expression: string, timezone: string | undefined): Cron {
  try {
    return new Cron(expression, { paused: true, ...(timezone === undefined ? {} : { timezone }) });
  } catch (err) {
    // the expression is a string here, so JSON renders it as `show()` does
    throw new TypeError(
      `expression must be a valid cron expression; received ${JSON.stringify(expression)} (${(err as Error).message})`,
      { cause: err },
    );
  }
}

/**
 * Fires `fire(scheduledAt, firedAt)` at each time of `cron` after `startedAt`, on `scheduler`, until
 * unsubscribed; a time already passed fires at once. `loop` is the clock's `scheduleLoop`, passed in
 * so that this module shares no code with the core.
 */
export function startCron(
  cron: Cron,
  scheduler: SchedulerLike,
  startedAt: number,
  fire: (scheduledAt: number, firedAt: number) => void,
  loop: typeof scheduleLoop,
): Subscription {
  const next = (afterMs: number): number | undefined => cron.nextRun(new Date(afterMs))?.getTime();
  let due = next(startedAt);
  const wait = (at: number): number => Math.min(MAX_DELAY, Math.max(0, at - scheduler.now()));
  return due === undefined
    ? Subscription.EMPTY
    : loop(scheduler, wait(due), () => {
        const now = scheduler.now();
        if (now >= due!) {
          fire(due!, now);
          due = next(Math.max(now, due!));
        }
        return due === undefined ? undefined : wait(due);
      });
}
