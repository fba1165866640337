/**
 * Bookkeeping behind the `@task`, `@timer` and `@crontab` decorators, shared by standard decorators
 * (per-instance initializers) and `experimentalDecorators` (per-prototype lists). The work is
 * registered at the first start, so a subclass that decorates an override replaces the base entry.
 */
import type { Duration } from '../duration.js';
import type { TimerOptions } from '../timer.js';

/** One decorated method. */
export type DecoratedSpec =
  | { kind: 'task'; method: string | symbol; drain?: boolean }
  | { kind: 'timer'; method: string | symbol; interval: Duration; options?: TimerOptions }
  | { kind: 'cron'; method: string | symbol; expression: string; options?: { timezone?: string } };

/** What registration needs from a service (kept structural to avoid an import cycle). */
interface Registrar {
  addTask(fn: (signal: AbortSignal) => any, options?: { name?: string; drain?: boolean }): void;
  addTimer(interval: Duration, fn: (tick: any) => unknown, options?: TimerOptions): void;
  addCron(expression: string, fn: () => unknown, options?: { timezone?: string; name?: string }): void;
}

const byPrototype = new WeakMap<object, DecoratedSpec[]>();
const byInstance = new WeakMap<object, Map<string | symbol, DecoratedSpec>>();

/** `experimentalDecorators`: remembers a spec on the class prototype. */
export function addPrototypeSpec(prototype: object, spec: DecoratedSpec): void {
  let list = byPrototype.get(prototype);
  if (!list) byPrototype.set(prototype, (list = []));
  list.push(spec);
}

/** Standard decorators: remembers a spec on the instance; a later (subclass) spec replaces an earlier one. */
export function addInstanceSpec(instance: object, spec: DecoratedSpec): void {
  let map = byInstance.get(instance);
  if (!map) byInstance.set(instance, (map = new Map()));
  map.set(spec.method, spec);
}

/** Called by the Service constructor: gathers prototype specs, most derived first. */
export function registerDecorated(instance: object, prototype: object): void {
  let map: Map<string | symbol, DecoratedSpec> | undefined;
  for (
    let p: object | null = prototype;
    p && p !== Object.prototype;
    p = Object.getPrototypeOf(p) as object | null
  ) {
    const list = byPrototype.get(p);
    if (!list) continue;
    map ??= byInstance.get(instance) ?? new Map();
    for (const spec of list) if (!map.has(spec.method)) map.set(spec.method, spec);
  }
  if (map) byInstance.set(instance, map);
}

/** Registers the decorated work of an instance, once (at its first start). */
export function flushDecorated(instance: Registrar): void {
  const map = byInstance.get(instance);
  if (!map) return;
  byInstance.delete(instance);
  const self = instance as unknown as Record<string | symbol, (...args: unknown[]) => unknown>;
  for (const spec of map.values()) {
    const name = String(spec.method);
    const call = (...args: unknown[]): unknown =>
      (self[spec.method] as (...a: unknown[]) => unknown).apply(instance, args);
    switch (spec.kind) {
      case 'task':
        instance.addTask((signal) => call(signal), { name, drain: spec.drain ?? false });
        break;
      case 'timer':
        instance.addTimer(spec.interval, (tick) => call(tick), { ...spec.options, name });
        break;
      case 'cron':
        instance.addCron(spec.expression, () => call(), { ...spec.options, name });
        break;
    }
  }
}
