/**
 * Which lifecycle hooks a Service subclass overrides, computed once per class: base no-ops are
 * neither called nor reported, and a service without start or stop hooks starts and stops synchronously.
 */

/** The lifecycle hooks that run as phases. */
export type HookName =
  'onFirstStart' | 'onStart' | 'onStarted' | 'onStop' | 'onShutdown' | 'onRestart' | 'onCrash';

/** One bit per overridable hook. */
export const HOOK_BITS: Readonly<Record<HookName | 'onInitDependencies', number>> = {
  onFirstStart: 1,
  onStart: 2,
  onStarted: 4,
  onStop: 8,
  onShutdown: 16,
  onRestart: 32,
  onCrash: 64,
  onInitDependencies: 128,
};

/** Hooks that make a start asynchronous (or add children). */
export const START_HOOKS = 1 | 2 | 4 | 128;
/** Hooks that make a stop asynchronous. */
export const STOP_HOOKS = 8 | 16;

const masks = new WeakMap<object, number>();

/** The bits of the hooks `prototype` defines differently from `base`. */
export function overriddenHooks(prototype: object, base: object): number {
  let mask = masks.get(prototype);
  if (mask === undefined) {
    mask = 0;
    const b = base as Record<string, unknown>;
    const p = prototype as Record<string, unknown>;
    for (const [hook, bit] of Object.entries(HOOK_BITS)) if (p[hook] !== b[hook]) mask |= bit;
    masks.set(prototype, mask);
  }
  return mask;
}
