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
