/**
 * The parallel modes with edges between siblings (section 3.6 of the contract): each child starts
 * as soon as every sibling it names in `after` runs, and stops as soon as every sibling naming it
 * has stopped. A child whose prerequisite failed to start is never started.
 */
import type { StopReason } from '../events.js';
import type { LifecycleHost } from './host.js';
import { noop } from './noop.js';
import type { StopRun } from './stop-run.js';
import { prerequisites, stopAsChild } from './symbols.js';

/** A start or stop that finished synchronously. */
type Settled = Promise<void>;

/** True when some child of `children` names a sibling in `after`. */
export function hasEdges(children: readonly LifecycleHost[]): boolean {
  return children.some((child) => child[prerequisites].length > 0);
}

/**
 * @internal Starts `batch` (children of `parent`) along the edges: a child without prerequisites at
 * once, the others when theirs run. Returns the starts that did not finish synchronously.
 */
export function startAlongEdges(
  parent: LifecycleHost,
  batch: readonly LifecycleHost[],
  isLive: () => boolean,
  resolved: Settled,
): Promise<void>[] | undefined {
  const inFlight = new Map<LifecycleHost, Promise<void>>();
  let starts: Promise<void>[] | undefined;
  for (const child of batch) {
    if (child.parent !== parent) continue;
    const waits: Promise<void>[] = [];
    for (const prerequisite of child[prerequisites]) {
      const starting = inFlight.get(prerequisite);
      if (starting) waits.push(starting);
    }
    const started =
      waits.length === 0
        ? startIfReady(parent, child, isLive, resolved)
        : Promise.all(waits).then(() => startIfReady(parent, child, isLive, resolved));
    if (started === resolved) continue;
    inFlight.set(child, started);
    (starts ??= []).push(started);
  }
  return starts;
}

/**
 * @internal True when every prerequisite of `child` that is still a sibling runs. A parent's start
 * (in either mode) starts a child only then; one whose prerequisite was stopped meanwhile is left
 * idle, and the parent logs why.
 */
export function hasPrerequisitesRunning(parent: LifecycleHost, child: LifecycleHost): boolean {
  const list = child[prerequisites];
  if (list.length === 0) return true;
  const waiting = list.find((p) => p.parent === parent && p.state !== 'running');
  if (!waiting) return true;
  parent.logger.warn(
    { service: parent.path, child: child.path, prerequisite: waiting.path, state: waiting.state },
    `not starting ${child.path}: its prerequisite ${waiting.path} is ${waiting.state}`,
  );
  return false;
}

/** Starts `child` when the start goes on, it is still a child and its prerequisites run. */
function startIfReady(
  parent: LifecycleHost,
  child: LifecycleHost,
  isLive: () => boolean,
  resolved: Settled,
): Promise<void> {
  if (!isLive() || child.parent !== parent) return resolved;
  return hasPrerequisitesRunning(parent, child) ? child.start() : resolved;
}

/**
 * @internal Stops `children` along the edges, under `run`: a child as soon as every sibling naming it
 * in `after` has stopped (so dependents first). Failures are collected in `run`. Returns a promise
 * only when a stop did not finish synchronously.
 */
export function stopAlongEdges(
  children: readonly LifecycleHost[],
  reason: StopReason,
  run: StopRun,
  resolved: Settled,
): Promise<void> | undefined {
  const dependents = new Map<LifecycleHost, LifecycleHost[]>();
  for (const child of children) {
    for (const prerequisite of child[prerequisites]) {
      const list = dependents.get(prerequisite);
      if (list) list.push(child);
      else dependents.set(prerequisite, [child]);
    }
  }
  const inFlight = new Map<LifecycleHost, Promise<void>>();
  let stops: Promise<void>[] | undefined;
  for (let i = children.length - 1; i >= 0; i--) {
    const child = children[i]!;
    const waits: Promise<void>[] = [];
    for (const dependent of dependents.get(child) ?? []) {
      const stopping = inFlight.get(dependent);
      if (stopping) waits.push(stopping);
    }
    const stopped =
      waits.length === 0
        ? child[stopAsChild](reason, run)
        : Promise.all(waits).then(() => child[stopAsChild](reason, run));
    if (stopped === resolved) continue;
    const settled = stopped.catch((error: unknown) => run.failChild(error));
    inFlight.set(child, settled);
    (stops ??= []).push(settled);
  }
  return stops ? Promise.all(stops).then(noop) : undefined;
}
