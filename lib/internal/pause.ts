/**
 * Paused subtrees: while a service is marked paused, the timer and cron ticks of every service
 * below it (itself included) are skipped and counted as overlaps. `bindPageLifecycle` sets the mark
 * while the page is hidden; the work loop asks `isWorkPaused` on each tick.
 */

/** The services marked paused; a WeakSet so a forgotten tree is still collected. */
const paused = new WeakSet<object>();

/** A service seen only through its parent link (keeps this module free of a Service import). */
interface HasParent {
  readonly parent: HasParent | undefined;
}

/** @internal Marks (`true`) or unmarks (`false`) a subtree as paused. */
export function setWorkPaused(service: object, isPaused: boolean): void {
  if (isPaused) paused.add(service);
  else paused.delete(service);
}

/** @internal True when the service or one of its ancestors is marked paused. */
export function isWorkPaused(service: HasParent): boolean {
  for (let s: HasParent | undefined = service; s; s = s.parent) if (paused.has(s)) return true;
  return false;
}
