/**
 * A service's state for templates: `serviceState` as an Angular Signal, `serviceState$` as an
 * Observable for the async pipe. Both end with the injection context that created them and stay
 * quiet when used after it was destroyed.
 */
import {
  DestroyRef,
  assertInInjectionContext,
  inject,
  signal,
  type Injector,
  type Signal,
} from '@angular/core';
import { Observable } from 'rxjs';
import { show } from '../internal/format.js';
import { Service } from '../service.js';
import type { ServiceState } from '../state.js';

/** Options of {@link serviceState} and {@link serviceState$}. */
export interface ServiceStateOptions {
  /**
   * The injector whose DestroyRef ends the subscription; lets the function be called outside an
   * injection context.
   * @defaultValue the current injection context's
   */
  injector?: Injector;
}

/** Stands for the DestroyRef of a context that is already gone. */
const DESTROYED = {
  destroyed: true,
  onDestroy: () => () => {},
} as unknown as DestroyRef;

/** The DestroyRef to end with, checking the arguments and the injection context. */
function destroyRefFor(
  fn: (...args: any[]) => unknown,
  service: unknown,
  options?: ServiceStateOptions,
): DestroyRef {
  if (!(service instanceof Service)) {
    throw new TypeError(`${fn.name}() takes a Service; received ${show(service)}`);
  }
  if (options?.injector) {
    // A destroyed environment injector refuses every get() (NG0205): it counts as destroyed.
    if ((options.injector as { destroyed?: boolean }).destroyed === true) return DESTROYED;
    return options.injector.get(DestroyRef);
  }
  assertInInjectionContext(fn);
  return inject(DestroyRef);
}

/**
 * Registers `callback` for when `destroyRef` fires; returns a remover, or `undefined` when it has
 * already fired (then nothing is registered).
 */
function whenDestroyed(destroyRef: DestroyRef, callback: () => void): (() => void) | undefined {
  if ((destroyRef as { destroyed?: boolean }).destroyed === true) return undefined;
  try {
    return destroyRef.onDestroy(callback);
  } catch {
    // Angular < 19.1 has no `destroyed` flag and throws NG0205/NG0911 here instead.
    return undefined;
  }
}

/**
 * The state of a service as a read-only Angular Signal, updated on every transition until the
 * current injection context (component, service, injector) is destroyed.
 *
 * @remarks
 * - Holds the current state at once (`state$` is a BehaviorSubject), so templates never see
 *   `undefined`. Zoneless apps re-render when it changes; so do zone.js apps (Angular schedules
 *   change detection for signal writes).
 * - The subscription ends with the DestroyRef of the injection context: no leak. Called after that
 *   context was destroyed, it returns a signal frozen at the current state instead of throwing
 *   (Angular's NG0911) or subscribing forever.
 * @param service - any Service (usually one provided by `provideServices`).
 * @param options - {@link ServiceStateOptions}.
 * @throws Angular's NG0203 error outside an injection context when no `injector` is given;
 * TypeError when `service` is not a Service.
 * @example
 * ```ts
 * @Component({ template: `Clock: {{ clockState() }}` })
 * export class ClockComponent {
 *   readonly clockState = serviceState(inject(Clock));
 * }
 * ```
 */
export function serviceState(service: Service<any>, options?: ServiceStateOptions): Signal<ServiceState> {
  const destroyRef = destroyRefFor(serviceState, service, options);
  const state = signal<ServiceState>(service.state);
  if ((destroyRef as { destroyed?: boolean }).destroyed === true) return state.asReadonly();
  const subscription = service.state$.subscribe((value) => state.set(value));
  if (!whenDestroyed(destroyRef, () => subscription.unsubscribe())) subscription.unsubscribe();
  return state.asReadonly();
}

/**
 * The state of a service as an Observable for the async pipe: the current state at once, then each
 * transition; it completes when the current injection context is destroyed.
 *
 * @remarks Each subscription follows `state$` until the DestroyRef fires (then it completes) or it
 * is unsubscribed. A subscription made after the context was destroyed gets the current state and
 * completes at once, quietly.
 * @param service - any Service.
 * @param options - {@link ServiceStateOptions}.
 * @throws Angular's NG0203 error outside an injection context when no `injector` is given;
 * TypeError when `service` is not a Service.
 * @example
 * ```ts
 * @Component({ imports: [AsyncPipe], template: `Feed: {{ feedState$ | async }}` })
 * export class FeedComponent {
 *   readonly feedState$ = serviceState$(inject(Feed));
 * }
 * ```
 */
export function serviceState$(
  service: Service<any>,
  options?: ServiceStateOptions,
): Observable<ServiceState> {
  const destroyRef = destroyRefFor(serviceState$, service, options);
  return new Observable<ServiceState>((subscriber) => {
    let isDestroyed = false;
    const remove = whenDestroyed(destroyRef, () => {
      isDestroyed = true;
      subscriber.complete();
    });
    if (!remove) {
      subscriber.next(service.state);
      subscriber.complete();
      return undefined;
    }
    const subscription = service.state$.subscribe(subscriber);
    return () => {
      subscription.unsubscribe();
      // Removing a destroy callback while Angular runs them could skip the next one.
      if (!isDestroyed) remove();
    };
  });
}
