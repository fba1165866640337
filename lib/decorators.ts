/**
 * Method decorators: `@task`, `@timer(interval)`, `@crontab(expr)` register work on every start;
 * `@transitionsTo(flag)` sets a diag flag while the method runs. They work with standard decorators
 * and with `experimentalDecorators: true` (as Angular projects use).
 */
import { parseDuration, type Duration } from './duration.js';
import type { Diag } from './diag.js';
import { parseCron } from './internal/cron.js';
import { show } from './internal/format.js';
import { isThenable } from './internal/is-thenable.js';
import { addInstanceSpec, addPrototypeSpec, type DecoratedSpec } from './internal/decorated.js';
import type { TimerOptions } from './timer.js';

/** A decorator usable under both decorator modes. */
export interface MethodDecorator {
  (value: (...args: any[]) => any, context: ClassMethodDecoratorContext): void;
  (target: object, key: string | symbol, descriptor: PropertyDescriptor): void;
}

function isStandard(args: unknown[]): args is [unknown, ClassMethodDecoratorContext] {
  return args.length === 2 && typeof args[1] === 'object' && args[1] !== null && 'kind' in args[1];
}

function decorate(make: (method: string | symbol) => DecoratedSpec): MethodDecorator {
  return ((...args: unknown[]) => {
    if (isStandard(args)) {
      const context = args[1];
      if (context.kind !== 'method' || context.static)
        throw new TypeError('rxmode decorators apply to instance methods');
      const spec = make(context.name);
      context.addInitializer(function (this: unknown) {
        addInstanceSpec(this as object, spec);
      });
      return;
    }
    const [target, key] = args as [object, string | symbol];
    addPrototypeSpec(target, make(key));
  }) as MethodDecorator;
}

/**
 * Runs the method as a task on every start: `method(signal)`, unsubscribed (or awaited, with
 * `drain`) at stop. Usable bare (`@task`) or with options (`@task({ drain: true })`).
 *
 * @example
 * ```ts
 * class Consumer extends Service {
 *   @task async consume(signal: AbortSignal) { while (!signal.aborted) await this.sleep('1s'); }
 * }
 * ```
 */
export function task(value: (...args: any[]) => any, context: ClassMethodDecoratorContext): void;
export function task(target: object, key: string | symbol, descriptor: PropertyDescriptor): void;
export function task(options?: { drain?: boolean }): MethodDecorator;
export function task(...args: unknown[]): void | MethodDecorator {
  if (args.length <= 1) {
    const options = args[0] as { drain?: boolean } | undefined;
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new TypeError(`task options must be an object; received ${show(options)}`);
    }
    return decorate((method) => ({ kind: 'task', method, drain: options?.drain ?? false }));
  }
  (decorate((method) => ({ kind: 'task', method })) as (...a: unknown[]) => void)(...args);
}

/**
 * Runs the method as a fixed-rate timer (`addTimer`) on every start.
 *
 * @throws TypeError for an invalid interval.
 * @example
 * ```ts
 * class Poller extends Service {
 *   @timer('5s') async poll(tick: TimerTick) { … }
 * }
 * ```
 */
export function timer(interval: Duration, options?: Omit<TimerOptions, 'name'>): MethodDecorator {
  if (parseDuration(interval, 'interval') <= 0)
    throw new TypeError(`interval must be greater than 0; received ${show(interval)}`);
  return decorate((method) => ({ kind: 'timer', method, interval, ...(options ? { options } : {}) }));
}

/**
 * Runs the method on a cron schedule (`addCron`) on every start.
 *
 * @throws TypeError for an invalid expression or time zone.
 */
export function crontab(expression: string, options?: { timezone?: string }): MethodDecorator {
  parseCron(expression, options?.timezone);
  return decorate((method) => ({ kind: 'cron', method, expression, ...(options ? { options } : {}) }));
}

function withFlag(self: { diag: Diag }, flag: string, call: () => unknown): unknown {
  self.diag.setFlag(flag);
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    self.diag.unsetFlag(flag);
    throw error;
  }
  if (isThenable(result)) {
    return Promise.resolve(result).finally(() => self.diag.unsetFlag(flag));
  }
  self.diag.unsetFlag(flag);
  return result;
}

/**
 * Sets diag flag `flag` while the method runs (until its promise settles), as Mode's
 * `@Service.transitions_to` does; `diag.lastTransition` keeps the times.
 */
export function transitionsTo(flag: string): MethodDecorator {
  if (typeof flag !== 'string' || flag === '')
    throw new TypeError(`flag must be a non-empty string; received ${show(flag)}`);
  return ((...args: unknown[]) => {
    if (isStandard(args)) {
      const original = args[0] as (...a: unknown[]) => unknown;
      return function (this: { diag: Diag }, ...callArgs: unknown[]) {
        return withFlag(this, flag, () => original.apply(this, callArgs));
      };
    }
    const descriptor = args[2] as PropertyDescriptor;
    const original = descriptor.value as (...a: unknown[]) => unknown;
    descriptor.value = function (this: { diag: Diag }, ...callArgs: unknown[]) {
      return withFlag(this, flag, () => original.apply(this, callArgs));
    };
    return descriptor;
  }) as MethodDecorator;
}
