/**
 * Starting and stopping the children of a service: in insertion order one by one, or all at once;
 * stopped in reverse, or all at once. A child that is removed while its parent starts is skipped.
 */
import { ServiceStopError, StopTimeoutError } from './errors.js';
import type { StopReason } from './events.js';
import type { LifecycleHost } from './internal/host.js';
import { noop } from './internal/noop.js';
import { StopRun } from './internal/stop-run.js';
import {
  hasEdges,
  hasPrerequisitesRunning,
  startAlongEdges,
  stopAlongEdges,
} from './internal/sibling-graph.js';
import { holdsChildren, settings, stopAsChild, stopRun } from './internal/symbols.js';

/** The promise of a start or stop that finished synchronously: nothing to await. */
export const RESOLVED: Promise<void> = Promise.resolve();

/** The start the children are started for. */
interface LiveRun {
  isLive(host: LifecycleHost): boolean;
}

/**
 * @internal Starts the children of `parent` (start step 4). Returns a promise only when a child
 * starts asynchronously. `run.isLive(parent)` turns false once a stop or crash ended the start.
 */
export function startChildren(parent: LifecycleHost, run: LiveRun): Promise<void> | undefined {
  if (parent[holdsChildren]?.()) return undefined;
  return startBatch(parent, parent.children.slice(), [], run);
}

/**
 * Starts `batch`; then the children added meanwhile (`addDependency` during the start), which are
 * not in `batch` or `before`. A child removed meanwhile is skipped.
 */
function startBatch(
  parent: LifecycleHost,
  batch: readonly LifecycleHost[],
  before: readonly LifecycleHost[],
  run: LiveRun,
): Promise<void> | undefined {
  const seen = before.length === 0 ? batch : [...before, ...batch];
  if (parent[settings].parallelStart) {
    let starts: Promise<void>[] | undefined;
    if (hasEdges(batch)) {
      starts = startAlongEdges(parent, batch, () => run.isLive(parent), RESOLVED);
    } else {
      for (const child of batch) {
        if (child.parent !== parent) continue;
        const started = child.start();
        if (started !== RESOLVED) (starts ??= []).push(started);
      }
    }
    if (starts) return Promise.all(starts).then(() => startLate(parent, seen, run));
    return startLate(parent, seen, run);
  }
  for (let i = 0; i < batch.length; i++) {
    const child = batch[i]!;
    if (child.parent !== parent || !hasPrerequisitesRunning(parent, child)) continue;
    const started = child.start();
    if (started !== RESOLVED) return startRest(parent, batch, i + 1, started, seen, run);
    if (!run.isLive(parent)) return undefined;
  }
  return startLate(parent, seen, run);
}

/** The rest of a sequential start, once child `from - 1` turned out to be asynchronous. */
async function startRest(
  parent: LifecycleHost,
  batch: readonly LifecycleHost[],
  from: number,
  starting: Promise<void>,
  seen: readonly LifecycleHost[],
  run: LiveRun,
): Promise<void> {
  await starting;
  for (let i = from; i < batch.length && run.isLive(parent); i++) {
    const child = batch[i]!;
    if (child.parent === parent && hasPrerequisitesRunning(parent, child)) await child.start();
  }
  await startLate(parent, seen, run);
}

/** Starts the children added since `seen` was taken, if any. */
function startLate(
  parent: LifecycleHost,
  seen: readonly LifecycleHost[],
  run: LiveRun,
): Promise<void> | undefined {
  const now = parent.children;
  if (!run.isLive(parent)) return undefined;
  if (now.length === seen.length && now.every((child, i) => child === seen[i])) return undefined;
  const known = new Set(seen);
  const late = now.filter((child) => !known.has(child));
  return late.length === 0 ? undefined : startBatch(parent, late, seen, run);
}

/**
 * @internal Stops the children of the service whose stop is `run` (stop step 3), under its deadline.
 * Returns a promise only when a child stops asynchronously; failures are collected in `run`.
 */
export function stopChildren(
  parent: LifecycleHost,
  run: StopRun,
  reason: StopReason = { type: 'parent', parent: parent.path },
): Promise<void> | undefined {
  const children = parent.children.slice();
  if (parent[settings].parallelStop) {
    if (hasEdges(children)) return stopAlongEdges(children, reason, run, RESOLVED);
    let stops: Promise<void>[] | undefined;
    for (const child of children) {
      const stopped = child[stopAsChild](reason, run);
      if (stopped !== RESOLVED) (stops ??= []).push(stopped.catch((e: unknown) => run.failChild(e)));
    }
    return stops ? Promise.all(stops).then(noop) : undefined;
  }
  for (let i = children.length - 1; i >= 0; i--) {
    const stopped = children[i]![stopAsChild](reason, run);
    if (stopped !== RESOLVED) return stopRest(run, reason, children, i, stopped);
  }
  return undefined;
}

/** The rest of a sequential stop, once child `index` turned out to be asynchronous. */
async function stopRest(
  run: StopRun,
  reason: StopReason,
  children: readonly LifecycleHost[],
  index: number,
  stopping: Promise<void>,
): Promise<void> {
  try {
    await stopping;
  } catch (error) {
    run.failChild(error);
  }
  for (let i = index - 1; i >= 0; i--) {
    try {
      await children[i]![stopAsChild](reason, run);
    } catch (error) {
      run.failChild(error);
    }
  }
}

/**
 * @internal Stops the children of a parent that is already stopped or crashed: someone started them
 * since (`child.start()` under an idle parent), or of a parent that keeps running without them (a
 * `LeaderService` whose term ended, with `reason`). Runs under `parentRun`'s deadline, else under a
 * budget of its own (`arm` arms it), like any stop.
 */
export function sweepChildren(
  parent: LifecycleHost,
  parentRun: StopRun | undefined,
  arm: (run: StopRun) => void,
  reason: StopReason = { type: 'parent', parent: parent.path },
): Promise<void> {
  if (!parent.children.some(isBusy)) return RESOLVED;
  const run = new StopRun(parent, reason, parentRun, false);
  const stopping = stopChildren(parent, run, reason);
  if (!stopping) return RESOLVED;
  arm(run);
  return stopping
    .finally(() => run.disarm())
    .then(() => {
      if (run.stuck) throw new StopTimeoutError(parent.ref, run.stuck, run.errors ?? []);
      if (run.errors) throw new ServiceStopError(parent.ref, run.errors);
    });
}

/**
 * @internal True when `host` or a descendant is starting, running or stopping, or tearing down
 * after a crash: something a stop would still have to end.
 */
export function isBusy(host: LifecycleHost): boolean {
  const state = host.state;
  if (state === 'starting' || state === 'running' || state === 'stopping' || host[stopRun]) return true;
  return host.children.some(isBusy);
}
