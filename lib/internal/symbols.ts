/**
 * Internal hooks between a service and its parent (supervisors override them). Not exported from
 * any entry point.
 */

/** `parent[childCrashed](child, error)`: a child crashed; the default escalates (the parent crashes). */
export const childCrashed: unique symbol = Symbol('rxmode.childCrashed');

/** `parent[insertChild](index, child)`: adds a child at a position (supervisors keep slots). */
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

/** `service[takeTeardowns]()`: the teardowns to run at this stop, last in first out (step 5). */
export const takeTeardowns: unique symbol = Symbol('rxmode.takeTeardowns');

/** `child[stopAsChild](reason, parentRun)`: a stop asked by the parent, under the parent's deadline. */
export const stopAsChild: unique symbol = Symbol('rxmode.stopAsChild');

/** `service[startPhase]`: the step the start in flight is in (`onStart`, `children`, …), if starting. */
export const startPhase: unique symbol = Symbol('rxmode.startPhase');

/** `service[concurrency]`: whether its children start and stop one by one or all at once. */
export const concurrency: unique symbol = Symbol('rxmode.concurrency');
