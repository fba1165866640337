/**
 * The arguments of `addTask`, `addTimer` and `addCron`, checked when they are called and turned into
 * work definitions (named `task-1`, `timer-1`, `cron-1`, … in registration order when unnamed).
 */
import type { ObservableInput } from 'rxjs';
import type { Duration } from '../duration.js';
import { mustBe } from './format.js';
import { checkName, type CronOptions, type TaskOptions } from '../options.js';
import { parseInterval, type TimerOptions, type TimerTick } from '../timer.js';
import { parseCron } from './cron.js';
import type { WorkDef } from './work.js';

type Namer = (kind: 'task' | 'timer' | 'cron') => string;

function checkFn(fn: unknown): void {
  if (typeof fn !== 'function') throw mustBe('fn', 'a function', fn);
}

/** @internal A task definition, or a TypeError naming the bad argument. */
export function taskDef(
  fn: (signal: AbortSignal) => ObservableInput<unknown>,
  options: TaskOptions | undefined,
  nextName: Namer,
): WorkDef {
  checkFn(fn);
  const name = checkName(options?.name);
  if (options?.drain !== undefined && typeof options.drain !== 'boolean') {
    throw mustBe('drain', 'a boolean', options.drain);
  }
  return { kind: 'task', name: name ?? nextName('task'), fn, drain: options?.drain ?? false };
}

/** @internal A timer definition, or a TypeError naming the bad argument. */
export function timerDef(
  interval: Duration,
  fn: (tick: TimerTick) => unknown,
  options: TimerOptions | undefined,
  nextName: Namer,
): WorkDef {
  const intervalMs = parseInterval(interval);
  checkFn(fn);
  const name = checkName(options?.name);
  return {
    kind: 'timer',
    name: name ?? nextName('timer'),
    fn,
    intervalMs,
    execFirst: options?.execFirst ?? false,
  };
}

/** @internal A cron definition, or a TypeError naming the bad argument. */
export function cronDef(
  expression: string,
  fn: () => unknown,
  options: CronOptions | undefined,
  nextName: Namer,
): WorkDef {
  const schedule = parseCron(expression, options?.timezone);
  checkFn(fn);
  const name = checkName(options?.name);
  return { kind: 'cron', name: name ?? nextName('cron'), fn, schedule };
}
