/**
 * The service tree of an Angular injector: the SERVICE_TREE token, how a tree is started once and
 * stopped with its injector, and how its failures reach Angular's ErrorHandler.
 */
import { DestroyRef, ErrorHandler, InjectionToken, inject, type Type } from '@angular/core';
import { show } from '../internal/format.js';
import { Service } from '../service.js';

/**
 * The root {@link Service} of the nearest injector that has `provideServices` (an environment
 * injector: the application, a route, `createEnvironmentInjector`) or `provideComponentServices`
 * (a component). The provided services are its children, in the order given. The root is a plain
 * Service named `app` in the application's injector, `environment` in other environment
 * injectors and `component` in a component's, so paths read `app/clock`, `environment/feed`.
 *
 * @remarks Each injector with its own `provideServices` gets its own tree: a route's services are
 * not children of the application's tree, so a crash in one tree never stops the other. Inject it
 * to watch the whole tree (`events$`, `toJSON()`) or to bind it to the page (`bindPageLifecycle`).
 * @example
 * ```ts
 * const tree = inject(SERVICE_TREE);
 * tree.events$.subscribe((event) => console.debug(event.type, event.service.path));
 * ```
 */
export const SERVICE_TREE = new InjectionToken<Service<any>>('rxmode SERVICE_TREE');

/** A Service subclass Angular can provide. */
export type ServiceClass = Type<Service<any>>;

/** @internal Throws a TypeError unless every item is a Service subclass. */
export function assertServiceClasses(
  fn: string,
  classes: readonly unknown[],
): asserts classes is ServiceClass[] {
  for (const c of classes) {
    if (typeof c !== 'function' || !(c === Service || c.prototype instanceof Service)) {
      throw new TypeError(`${fn}() takes Service classes; received ${show(c)}`);
    }
  }
}

const starts = new WeakMap<Service<any>, Promise<void>>();

/** @internal Starts a tree the first time it is asked to; later calls share that start. */
export function startOnce(tree: Service<any>): Promise<void> {
  let started = starts.get(tree);
  if (!started) {
    // A tree whose injector was destroyed before its start stays stopped.
    started = tree.state === 'init' ? tree.start() : Promise.resolve();
    starts.set(tree, started);
  }
  return started;
}

/**
 * @internal Ties a new tree to the current injection context: stopped when its DestroyRef fires,
 * and a crash of a running tree reported to Angular's ErrorHandler. Call in an injection context.
 */
export function bindTreeToInjector(tree: Service<any>): void {
  const errorHandler = inject(ErrorHandler);
  let previous = tree.state;
  const watch = tree.state$.subscribe((state) => {
    if (state === 'crashed' && previous === 'running') errorHandler.handleError(tree.crashReason);
    previous = state;
  });
  inject(DestroyRef).onDestroy(() => {
    watch.unsubscribe();
    tree
      .stop({ type: 'signal', signal: 'destroy' })
      .catch((error: unknown) => errorHandler.handleError(error));
  });
}

/** @internal The tree's start, with a failure reported to Angular's ErrorHandler instead of thrown. */
export function startReported(tree: Service<any>, errorHandler: ErrorHandler): void {
  startOnce(tree).catch((error: unknown) => errorHandler.handleError(error));
}
