/**
 * Angular providers for service trees: `provideServices` for environment injectors (the
 * application, routes), `provideComponentServices` for a component's injector, and `injectService`.
 * Angular builds each service (so constructors may `inject()`); the tree starts and stops with
 * the injector that holds it.
 */
import {
  ApplicationInitStatus,
  ApplicationRef,
  EnvironmentInjector,
  ErrorHandler,
  InjectionToken,
  Injector,
  inject,
  makeEnvironmentProviders,
  provideAppInitializer,
  provideEnvironmentInitializer,
  type EnvironmentProviders,
  type Provider,
  type ProviderToken,
} from '@angular/core';
import { show } from '../internal/format.js';
import { Service } from '../service.js';
import {
  SERVICE_TREE,
  assertServiceClasses,
  bindTreeToInjector,
  startOnce,
  startReported,
  type ServiceClass,
} from './tree.js';

/** Providers that let Angular build each class in the current injection context. */
function classProviders(classes: readonly ServiceClass[], afterBuild?: () => void): Provider[] {
  return classes.map((Class) => ({
    provide: Class,
    useFactory: () => {
      const service = new Class();
      afterBuild?.();
      return service;
    },
  }));
}

/** Adds the injected services to the tree, in order; one that already has a parent keeps it. */
function addToTree(tree: Service<any>, classes: readonly ServiceClass[], injector: Injector): void {
  for (const Class of classes) {
    const service = injector.get(Class);
    if (!(service instanceof Service)) {
      throw new TypeError(`the provider of ${Class.name} must give a Service; received ${show(service)}`);
    }
    if (!service.parent) tree.addDependency(service);
  }
}

/** Every class list given to `provideServices` in one injector (several calls add up). */
const ENVIRONMENT_CLASSES = new InjectionToken<ServiceClass[][]>('rxmode provideServices classes');

/**
 * Provides services in an environment injector (the application's `providers`, a route's
 * `providers`, `createEnvironmentInjector`): each class is built by Angular DI, added to the
 * injector's {@link SERVICE_TREE}, started with the application and stopped when the injector is
 * destroyed.
 *
 * @remarks
 * - Each class is provided under itself: `inject(Clock)` gives the instance in the tree. Services
 *   are built with `new Class()` in an injection context, so constructors and field initializers
 *   may call `inject()` (constructor parameters are not injected). A service that another one
 *   already added as its dependency stays under that parent.
 * - In the application injector the tree starts from `provideAppInitializer`: bootstrap waits
 *   until it runs, and a failing start fails the bootstrap. In an injector created later (a route,
 *   `createEnvironmentInjector`) it starts when the injector is created, after the application
 *   initialized; a failing start goes to Angular's `ErrorHandler`.
 * - Each environment injector with its own `provideServices` gets its own tree. Several calls in
 *   the same injector share one tree.
 * - When the injector is destroyed (application destroyed, route injector cleaned up) the tree is
 *   stopped with the reason `{ type: 'signal', signal: 'destroy' }`; the stop begins at once and
 *   finishes asynchronously. A crash of a running tree (an unsupervised service crash escalates to
 *   the root) is reported to `ErrorHandler`.
 * - Works with and without zone.js; with zone.js the services' timers run in the Angular zone.
 * @param services - Service subclasses, in start order.
 * @returns environment providers for `bootstrapApplication`, `ApplicationConfig` or a route.
 * @throws TypeError when an argument is not a Service subclass.
 * @example
 * ```ts
 * bootstrapApplication(AppComponent, {
 *   providers: [provideServices(Clock, Feed)],
 * });
 * // in a component
 * readonly clock = inject(Clock);
 * readonly clockState = serviceState(this.clock);
 * ```
 */
export function provideServices(...services: ServiceClass[]): EnvironmentProviders {
  assertServiceClasses('provideServices', services);
  return makeEnvironmentProviders([
    ...classProviders(services),
    { provide: ENVIRONMENT_CLASSES, multi: true, useValue: services },
    {
      provide: SERVICE_TREE,
      useFactory: () => {
        // 'app' for the application's injector, 'environment' for a route's or any other.
        const isApplication =
          inject(ApplicationRef, { optional: true })?.injector === inject(EnvironmentInjector);
        const tree = new Service<any>({ name: isApplication ? 'app' : 'environment' });
        const classes = inject(ENVIRONMENT_CLASSES, { self: true }).flat();
        addToTree(tree, classes, inject(Injector));
        bindTreeToInjector(tree);
        return tree;
      },
    },
    provideAppInitializer(() => startOnce(inject(SERVICE_TREE))),
    provideEnvironmentInitializer(() => {
      const tree = inject(SERVICE_TREE);
      const errorHandler = inject(ErrorHandler);
      const init = inject(ApplicationInitStatus);
      // The application injector starts its tree from the initializer above; an injector created
      // later starts its own here. Either way it starts once.
      if (init.done) startReported(tree, errorHandler);
      else
        init.donePromise.then(
          () => startReported(tree, errorHandler),
          () => {},
        );
    }),
  ]);
}

/**
 * Provides services at a component (`@Component({ providers: provideComponentServices(Poller) })`):
 * the component and its children share one tree of them, started when the component first
 * injects one of them and stopped when the component is destroyed.
 *
 * @remarks
 * - Angular builds element-injector providers lazily: the tree is built and started the first time
 *   one of its services (or {@link SERVICE_TREE}) is injected in the component or below it, which
 *   for a component that shows its services is while it is created. All the services given start
 *   together, in order, once that injection finished (a microtask later).
 * - Destroying the component (an `@if` turning false, navigating away from its route) stops the
 *   tree with the reason `{ type: 'signal', signal: 'destroy' }`; a tree destroyed before it
 *   started never starts. A failing start and a crash of the running tree are reported to
 *   Angular's `ErrorHandler`.
 * - Each component instance gets its own services and tree, separate from the application's.
 * @param services - Service subclasses, in start order.
 * @returns providers for a component's `providers` (or `viewProviders`).
 * @throws TypeError when an argument is not a Service subclass.
 * @example
 * ```ts
 * @Component({
 *   selector: 'app-feed',
 *   providers: provideComponentServices(FeedService),
 *   template: `{{ state() }}`,
 * })
 * export class FeedComponent {
 *   readonly state = serviceState(inject(FeedService));
 * }
 * ```
 */
export function provideComponentServices(...services: ServiceClass[]): Provider[] {
  assertServiceClasses('provideComponentServices', services);
  return [
    // Building any of the services also builds the tree (which then starts them all).
    ...classProviders(services, () => inject(SERVICE_TREE)),
    {
      provide: SERVICE_TREE,
      useFactory: () => {
        const tree = new Service<any>({ name: 'component' });
        const injector = inject(Injector);
        const errorHandler = inject(ErrorHandler);
        bindTreeToInjector(tree);
        // Deferred: the injection that built the tree may still be building one of its services.
        queueMicrotask(() => {
          if (tree.state !== 'init') return;
          try {
            addToTree(tree, services, injector);
          } catch (error) {
            errorHandler.handleError(error);
            return;
          }
          startReported(tree, errorHandler);
        });
        return tree;
      },
    },
  ];
}

/**
 * Injects a service provided by {@link provideServices} or {@link provideComponentServices}, with
 * a clear error when it is not provided. Same as `inject(token)` otherwise.
 *
 * @remarks Call it in an injection context (constructor, field initializer, factory).
 * @throws Error when nothing provides `token` (naming the fix); TypeError when what is provided is
 * not a Service; Angular's NG0203 outside an injection context.
 * @example
 * ```ts
 * export class ClockComponent {
 *   readonly clock = injectService(Clock);
 * }
 * ```
 */
export function injectService<S extends Service<any>>(token: ProviderToken<S>): S {
  const service = inject(token, { optional: true });
  if (service === null) {
    const name = typeof token === 'function' ? token.name : String(token);
    throw new Error(
      `${name} is not provided: add provideServices(${name}) to the application's or a route's ` +
        `providers, or provideComponentServices(${name}) to a component's`,
    );
  }
  if (!(service instanceof Service)) {
    throw new TypeError(`injectService() expects a Service; the injector gave ${show(service)}`);
  }
  return service;
}
