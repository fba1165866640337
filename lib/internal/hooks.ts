/**
 * Which lifecycle hooks a service defines. The base hooks are no-ops that are neither called nor
 * reported; a service without start (or stop) hooks and without children starts (stops) synchronously.
 * Hooks are looked up on the instance, so class fields and test stubs count too.
 */
import type { SchedulerLike } from 'rxjs';
import type { LifecycleEvent, ServiceRef } from '../events.js';
import { isThenable } from './is-thenable.js';
import { callMarked, runningMarker, type RunningMarker } from './running.js';
import { emit, isObserved } from './symbols.js';

/** The lifecycle hooks that run as phases. */
export type HookName =
  'onFirstStart' | 'onStart' | 'onStarted' | 'onStop' | 'onShutdown' | 'onRestart' | 'onCrash';

type Hooks = Record<HookName | 'onInitDependencies', unknown>;

/** True when `service` defines a start hook (or `onInitDependencies`) other than the base no-op. */
export function hasStartHooks(service: object, base: object): boolean {
  const s = service as Hooks;
  const b = base as Hooks;
  return (
    s.onStart !== b.onStart ||
    s.onFirstStart !== b.onFirstStart ||
    s.onStarted !== b.onStarted ||
    s.onInitDependencies !== b.onInitDependencies
  );
}

/** True when `service` defines `onStop` or `onShutdown`. */
export function hasStopHooks(service: object, base: object): boolean {
  const s = service as Hooks;
  const b = base as Hooks;
  return s.onStop !== b.onStop || s.onShutdown !== b.onShutdown;
}

/** What calling a hook needs from its service. */
interface HookHost {
  readonly ref: ServiceRef;
  readonly scheduler: SchedulerLike;
  [isObserved](): boolean;
  [emit](event: LifecycleEvent): void;
}

/** Calls a hook marked as running (for a BlockingDetector) as `<path>:<hook>`, apart to keep callHook small. */
function callMarkedHook(
  marker: RunningMarker,
  service: HookHost,
  hook: HookName,
  fn: (arg?: unknown) => unknown,
  arg: unknown,
): unknown {
  return callMarked(marker, `${service.ref.path}:${hook}`, fn, service, arg);
}

/**
 * @internal Calls `hook` on `service` unless it is the base no-op of `base`, reporting a `hook` event
 * (with `error` when it failed) once it settles; returns its promise, if it returned one. Its
 * synchronous part is marked as running (`<path>:<hook>`) while a marker is installed.
 */
export function callHook(
  service: HookHost,
  base: object,
  hook: HookName,
  arg?: unknown,
): PromiseLike<unknown> | undefined {
  const fn = (service as unknown as Record<string, (arg?: unknown) => unknown>)[hook];
  if (fn === (base as Record<string, unknown>)[hook]) return undefined;
  const t0 = service.scheduler.now();
  const done = (error?: unknown, failed = false): void => {
    if (!service[isObserved]()) return;
    const at = service.scheduler.now();
    const event: LifecycleEvent = { type: 'hook', service: service.ref, at, hook, durationMs: at - t0 };
    if (failed) event.error = error;
    service[emit](event);
  };
  let result: unknown;
  const marker = runningMarker;
  try {
    result = marker === undefined ? fn!.call(service, arg) : callMarkedHook(marker, service, hook, fn!, arg);
  } catch (error) {
    done(error, true);
    throw error;
  }
  if (!isThenable(result)) return void done();
  return Promise.resolve(result).then(
    () => done(),
    (error: unknown) => {
      done(error, true);
      throw error;
    },
  );
}
