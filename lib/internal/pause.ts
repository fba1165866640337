/**
 * Paused subtrees: while a service holds a pause, the timer and cron ticks of every service below
 * it (itself included) are skipped and counted as overlaps. `bindPageLifecycle` holds one while the
 * page is hidden; the work loop asks `isWorkPaused` on each tick.
 */

/** Number of pauses held per service; a WeakMap so a forgotten tree is still collected. */
const pauses = new WeakMap<object, number>();

/** A service seen only through its parent link (keeps this module free of a Service import). */
export interface HasParent {
  readonly parent: HasParent | undefined;
}

/**
 * @internal Pauses the ticks of a subtree until the returned function is called (once; later calls
 * do nothing). Pauses from several holders add up: the subtree runs again when all are released.
 */
export function pauseWork(service: object): () => void {
  pauses.set(service, (pauses.get(service) ?? 0) + 1);
  let isHeld = true;
  return () => {
    if (!isHeld) return;
    isHeld = false;
    const left = (pauses.get(service) ?? 1) - 1;
    if (left > 0) pauses.set(service, left);
    else pauses.delete(service);
  };
}

/** @internal True when the service or one of its ancestors is paused. */
export function isWorkPaused(service: HasParent): boolean {
  for (let s: HasParent | undefined = service; s; s = s.parent) if (pauses.has(s)) return true;
  return false;
}
