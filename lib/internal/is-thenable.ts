/**
 * The one promise test of the library: hooks, work bodies, teardowns, signal receivers and route
 * handlers may each return a promise (any thenable), and only then are they awaited.
 */

/** True for any thenable: a Promise, or an object or function with a `then` method. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
