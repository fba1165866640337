/**
 * The one do-nothing function: a settled-promise handler (`promise.then(noop, noop)`), a silent
 * logger method, a teardown with nothing to undo.
 */

/** Does nothing and returns `undefined`. */
export const noop = (): void => {};
