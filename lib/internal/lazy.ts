/**
 * Modules loaded on first use (croner for `addCron`): one memoized load each, and the loads still in
 * flight, which the virtual clock waits for so that virtual time never runs ahead of a load.
 */

const inFlight = new Set<Promise<unknown>>();

/** Returns a function that loads once with `load` and hands back the same promise every time. */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => {
    if (promise) return promise;
    const loading = load();
    promise = loading;
    inFlight.add(loading);
    const done = (): void => void inFlight.delete(loading);
    loading.then(done, done);
    return loading;
  };
}

/** Settles once every load in flight settled (failures included); `undefined` when none is. */
export function loadsInFlight(): Promise<void> | undefined {
  if (inFlight.size === 0) return undefined;
  return Promise.allSettled([...inFlight]).then(() => undefined);
}
