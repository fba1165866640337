/**
 * Which lifecycle hooks a service defines. The base hooks are no-ops that are neither called nor
 * reported; a service without start (or stop) hooks and without children starts (stops) synchronously.
 * Hooks are looked up on the instance, so class fields and test stubs count too.
 */

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
