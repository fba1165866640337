/**
 * What synchronous work of rxmode is running right now (a hook, a task or `run()` being called, a
 * timer or cron body, a signal receiver), for a watchdog that looks while the event loop is blocked.
 * Nothing is marked until a marker is installed (the Node BlockingDetector installs one): each call
 * site then costs one check of {@link runningMarker}.
 */

/**
 * Receives the marks. `enter` is called right before the synchronous part of a piece of work runs,
 * with its label (`<service path>:<phase>`, such as `Worker/Db:onStart` or `Worker/Db:timer:flush`,
 * or `signal:<signal name>:<receiver name>`); it returns a token that `leave` gets back once that
 * part returned or threw. Calls nest: a receiver called from a hook enters inside the hook's mark.
 */
export interface RunningMarker {
  enter(label: string): number;
  leave(token: number): void;
}

/**
 * @internal The installed marker, or undefined (nothing is marked). Read once per call site:
 * `const marker = runningMarker; if (marker === undefined) fn(); else …`.
 */
export let runningMarker: RunningMarker | undefined;

/**
 * @internal Installs `marker` (or removes the current one with `undefined`). One marker serves the
 * whole process: the Node side shares it between every detector.
 */
export function setRunningMarker(marker: RunningMarker | undefined): void {
  runningMarker = marker;
}

/**
 * @internal Calls `fn` on `thisArg` with `arg`, marked as `label` for as long as it runs
 * synchronously (a returned promise is not followed: what runs after an `await` is not marked).
 * Call sites read {@link runningMarker} first and call `fn` plainly when it is undefined, so no
 * label string is built while nothing is marked.
 */
export function callMarked<T, A, R>(
  marker: RunningMarker,
  label: string,
  fn: (this: T, arg: A) => R,
  thisArg: T,
  arg: A,
): R {
  const token = marker.enter(label);
  try {
    return fn.call(thisArg, arg);
  } finally {
    marker.leave(token);
  }
}
