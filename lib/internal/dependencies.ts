/**
 * The bookkeeping behind `addDependency`, `addRuntimeDependency` and `removeDependency`: the checks
 * on a new child and its `after`, the move from another parent, the removal (stop, then detach) and
 * the `child` events. The service itself only links and unlinks (`[link]`).
 */
import { isBusy } from '../children.js';
import { InvalidStateError } from '../errors.js';
import type { ServiceRef, StopReason } from '../events.js';
import { prerequisitesOption } from '../options.js';
import type { LifecycleHost } from './host.js';
import { hasPrerequisitesRunning } from './sibling-graph.js';
import type { StopRun } from './stop-run.js';
import { startPhaseOf } from './start-run.js';
import { emit, holdsChildren, isObserved, link, prerequisites, stopAsChild } from './symbols.js';

/** A service as the bookkeeping of its children sees it. */
export interface TreeHost extends LifecycleHost {
  readonly parent: TreeHost | undefined;
  readonly children: readonly TreeHost[];
  readonly [prerequisites]: readonly TreeHost[];
  /** Puts `child` among the children at `index` with the prerequisites `after` (`index` undefined: takes it out). */
  [link](child: TreeHost, index: number | undefined, after?: TreeHost[]): void;
  /** A stop asked for by this parent: under `parentRun`'s deadline, else under its own budget. */
  [stopAsChild](reason: StopReason, parentRun?: StopRun): Promise<void>;
}

/**
 * @internal The prerequisites `options.after` names for `child` of `parent` (undefined for none).
 * @throws TypeError for invalid options, for `after` naming anything but other children of
 * `parent`, or for an `after` given for a child that `parent` already has.
 */
export function checkAfter<S extends TreeHost>(
  parent: TreeHost,
  child: unknown,
  options: unknown,
  isService: (value: unknown) => value is S,
): S[] | undefined {
  const after = prerequisitesOption(options, child, (s): s is S => isService(s) && s.parent === parent);
  if (after.length === 0) return undefined;
  if (isService(child) && child.parent === parent) {
    throw new TypeError(
      `${child.path} is already a child of ${parent.path}: its after is set when it is added`,
    );
  }
  return after;
}

/**
 * @internal Moves `child` (not yet a child of `parent`) to `parent` at `index` with the prerequisites
 * `after`, taking it from its old parent, and reports both moves as `child` events.
 * @throws TypeError when `child` is `parent` or one of its ancestors; InvalidStateError when it runs
 * under another parent or a sibling there names it in `after`.
 */
export function adopt(parent: TreeHost, child: TreeHost, index: number, after?: TreeHost[]): void {
  if (child === parent) throw new TypeError(`${parent.path} cannot depend on itself`);
  for (let s = parent.parent; s; s = s.parent) {
    if (s === child)
      throw new TypeError(`child ${child.path} cannot be added to its own descendant ${parent.path}`);
  }
  const old = child.parent;
  if (old) {
    const dependent = dependentOf(old, child);
    if (dependent) {
      const operation = `move to another parent (${dependent.path} names it in after)`;
      throw new InvalidStateError(child.ref, child.state, operation);
    }
    const state = child.state;
    if (state === 'starting' || state === 'running' || state === 'stopping') {
      throw new InvalidStateError(child.ref, state, `move to another parent (${parent.path})`);
    }
    detach(old, child);
  }
  parent[link](child, index, after);
  if (parent[isObserved]()) childEvent(parent, child.ref, 'added');
}

/** @internal Warns that a child added to a running parent stays idle (`addDependency`). */
export function warnIdle(parent: TreeHost, child: TreeHost): void {
  parent.logger.warn(
    { service: parent.path, child: child.path },
    'addDependency() on a running service does not start the child; use addRuntimeDependency()',
  );
}

/**
 * @internal True when `child`, just added by `addRuntimeDependency` to `parent` (which was in `state`),
 * should start now: the parent is past starting its children and lets them run, and the child's
 * prerequisites run.
 */
export function isDueToStart(parent: TreeHost, child: TreeHost, state: string): boolean {
  const isPastChildren =
    state === 'running' || (state === 'starting' && startPhaseOf(parent) === 'onStarted');
  return isPastChildren && !parent[holdsChildren]?.() && hasPrerequisitesRunning(parent, child);
}

/**
 * @internal Stops `child` of `parent` (and what it runs), then detaches it; rejects with the outcome
 * of the first stop, after the detach.
 * @throws InvalidStateError when a remaining sibling names `child` in `after` (nothing changes).
 */
export async function removeChild(parent: TreeHost, child: TreeHost): Promise<void> {
  if (child.parent !== parent) return;
  const dependent = dependentOf(parent, child);
  if (dependent) {
    const operation = `removeDependency (${dependent.path} names it in after)`;
    throw new InvalidStateError(child.ref, child.state, operation);
  }
  const reason: StopReason = { type: 'parent', parent: parent.path };
  let failure: { error: unknown } | undefined;
  // a start that was waiting for this stop may begin before the detach: stop that one too
  do {
    try {
      await child[stopAsChild](reason);
    } catch (error) {
      failure ??= { error }; // the first stop's outcome is what removeDependency() reports
    }
  } while (child.parent === parent && isBusy(child));
  if (child.parent === parent) detach(parent, child);
  if (failure) throw failure.error;
}

/** The sibling of `child` under `parent` that names it in `after`, if any. */
function dependentOf(parent: TreeHost, child: TreeHost): TreeHost | undefined {
  return parent.children.find((sibling) => sibling[prerequisites].includes(child));
}

function detach(parent: TreeHost, child: TreeHost): void {
  const ref = parent[isObserved]() ? child.ref : undefined; // the path it had while attached
  parent[link](child, undefined);
  if (ref) childEvent(parent, ref, 'removed');
}

function childEvent(parent: TreeHost, child: ServiceRef, op: 'added' | 'removed'): void {
  parent[emit]({ type: 'child', service: parent.ref, at: parent.scheduler.now(), child, op });
}
