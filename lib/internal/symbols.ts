/**
 * Internal hooks between a service and its parent (supervisors override them). Not exported from
 * any entry point.
 */

/** `parent[childCrashed](child, error)`: a child crashed; the default escalates (the parent crashes). */
export const childCrashed: unique symbol = Symbol('rxmode.childCrashed');

/** `parent[insertChild](index, child, after)`: adds a child at a position (supervisors keep slots). */
export const insertChild: unique symbol = Symbol('rxmode.insertChild');

/** `service[beforeChildrenStop]()`: runs during a stop after `onStop`, before the children stop. */
export const beforeChildrenStop: unique symbol = Symbol('rxmode.beforeChildrenStop');

/** `parent[childStopped](child, reason)`: a child finished a stop it was not asked for by this parent. */
export const childStopped: unique symbol = Symbol('rxmode.childStopped');

/** `service[deliverEvent](event)`: hands an event to this service's own `events$` subscribers. */
export const deliverEvent: unique symbol = Symbol('rxmode.deliverEvent');

/** `service[callHook](hook, arg)`: calls a lifecycle hook with its `hook` event; its promise, if any. */
export const callHook: unique symbol = Symbol('rxmode.callHook');

/** `service[beginFirstStart]()`: true on the first start, after adding `onInitDependencies()`. */
export const beginFirstStart: unique symbol = Symbol('rxmode.beginFirstStart');

/** `service[startWork]()`: subscribes `run()`, tasks, timers and cron jobs (start step 5). */
export const startWork: unique symbol = Symbol('rxmode.startWork');

/** `service[stopWork]()`: unsubscribes the work; returns what the stop must still await (step 4). */
export const stopWork: unique symbol = Symbol('rxmode.stopWork');

/** `child[stopAsChild](reason, parentRun)`: a stop asked by the parent, under the parent's deadline. */
export const stopAsChild: unique symbol = Symbol('rxmode.stopAsChild');

/** `service[settings]`: how its children start and stop, and its stop budget. */
export const settings: unique symbol = Symbol('rxmode.settings');

/** `service[emit](event)`: emits a lifecycle event on its and every ancestor's `events$`. */
export const emit: unique symbol = Symbol('rxmode.emit');

/** `service[isObserved]()`: true when it or an ancestor has an `events$` subscriber. */
export const isObserved: unique symbol = Symbol('rxmode.isObserved');

/** `service[onStopBegin](waiter)`: calls `waiter` once when a stop or crash begins; returns a remover. */
export const onStopBegin: unique symbol = Symbol('rxmode.onStopBegin');

/** `service[enterRunning]()`: the last step of a start, `starting → running`. */
export const enterRunning: unique symbol = Symbol('rxmode.enterRunning');

/** `service[startRun]`: the start under way, unless it is a leaf's synchronous one. */
export const startRun: unique symbol = Symbol('rxmode.startRun');

/** `service[stopRun]`: the stop or crash teardown under way, unless it is a leaf's synchronous one. */
export const stopRun: unique symbol = Symbol('rxmode.stopRun');

/** `service[work]`: its tasks, timers, cron jobs, `run()` and teardowns, once it has any. */
export const work: unique symbol = Symbol('rxmode.work');

/** `service[finishStop](run)`: the end of a stop, `stopping → stopped` (a crash teardown stays `crashed`). */
export const finishStop: unique symbol = Symbol('rxmode.finishStop');

/**
 * `service[onTransition](from, to)`: a subclass hook called right after each state change (after
 * `state$` emitted), so subclasses need not subscribe to their own `state$`.
 */
export const onTransition: unique symbol = Symbol('rxmode.onTransition');

/** `service[stopReason]`: the reason of the stop or crash under way or last done, if any. */
export const stopReason: unique symbol = Symbol('rxmode.stopReason');

/**
 * `service[onStopBegun](stopping)`: a subclass hook called when a stop begins, with the promise that
 * settles when it ends (the one `stop()` returns), so subclasses need not catch their own stop.
 */
export const onStopBegun: unique symbol = Symbol('rxmode.onStopBegun');

/** `child[prerequisites]`: the siblings it needs running first (`after`; section 3.6). */
export const prerequisites: unique symbol = Symbol('rxmode.prerequisites');

/**
 * `parent[holdsChildren]()`: true while the parent keeps its children stopped although it runs (a
 * `LeaderService` that follows): its start skips them and `addRuntimeDependency` does not start them.
 */
export const holdsChildren: unique symbol = Symbol('rxmode.holdsChildren');

/**
 * `parent[link](child, index, after)`: puts `child` among the children at `index` with the
 * prerequisites `after` (`index` undefined: takes it out, without them); the checks and events are
 * the caller's (`internal/dependencies.ts`).
 */
export const link: unique symbol = Symbol('rxmode.link');

/** `service[stopCalls]`: how many times `stop()` was called on it (a waiting start gives way to a later call). */
export const stopCalls: unique symbol = Symbol('rxmode.stopCalls');
