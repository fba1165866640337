/**
 * Snapshots of a service subtree (`toJSON()`): plain data for dashboards, `/state` and logs.
 */
import { startPhaseOf } from './internal/start-run.js';
import { prerequisites, settings, startRun, stopRun, work } from './internal/symbols.js';
import type { ServiceState } from './state.js';

/** A plain-data picture of a service and its subtree. */
export interface ServiceSnapshot {
  id: string;
  name: string;
  path: string;
  state: ServiceState;
  /** Scheduler time (ms) the current state was entered. */
  since: number;
  restartCount: number;
  /** The last crash's message (or `String(value)` for a non-Error). */
  crashReason?: string;
  /** From entering `starting` to `running`, for the last start that finished. */
  startDurationMs?: number;
  /** From the start of the last stop or crash teardown to its end. */
  stopDurationMs?: number;
  flags: string[];
  /**
   * What is under way now, by phase name: the start step in flight (`onStart`, `children`, …), the
   * stop phases being awaited, running tasks (`task:<name>`), timer and cron bodies (`timer:<name>`,
   * `cron:<name>`) and `run`. Present only when something is.
   */
  pending?: string[];
  /** `false` for a service readiness does not wait for (`essential: false`); absent when essential. */
  essential?: false;
  /**
   * The ids of the siblings this service needs running first (`addDependency(child, { after })`,
   * section 3.6). Present only when it names any.
   */
  after?: string[];
  /**
   * Present on a `LeaderService` only (section 13): true while this replica holds the lease. Its
   * children are held stopped while it is false.
   */
  leader?: boolean;
  children: ServiceSnapshot[];
}

/** @internal What a service knows of itself that is not public. */
export interface OwnSnapshotFields {
  since: number;
  startDurationMs: number | undefined;
  stopDurationMs: number | undefined;
  flags: string[];
}

/**
 * @internal What a snapshot reads of a service's public side: a structural view of `Service`, so
 * this module does not import the class that imports it.
 */
export interface SnapshotSource {
  readonly id: string;
  readonly name: string;
  readonly path: string;
  readonly state: ServiceState;
  readonly restartCount: number;
  readonly crashReason: unknown;
  readonly children: readonly { toJSON(): ServiceSnapshot }[];
  readonly [startRun]: { readonly phase: string } | undefined;
  readonly [stopRun]: { readonly pending: Iterable<{ readonly phase: string }> | undefined } | undefined;
  readonly [work]: { active(): string[] } | undefined;
  readonly [prerequisites]: readonly { readonly id: string }[];
  readonly [settings]: { readonly essential: boolean };
}

/** @internal Builds a snapshot from a service's public fields and its own private ones. */
export function snapshotOf(service: SnapshotSource, own: OwnSnapshotFields): ServiceSnapshot {
  const snapshot: ServiceSnapshot = {
    id: service.id,
    name: service.name,
    path: service.path,
    state: service.state,
    since: own.since,
    restartCount: service.restartCount,
    flags: own.flags,
    children: service.children.map((child) => child.toJSON()),
  };
  const reason: unknown = service.crashReason;
  if (reason !== undefined)
    snapshot.crashReason = reason instanceof Error ? reason.message : stringify(reason);
  const pending: string[] = [];
  const phase = startPhaseOf(service);
  if (phase) pending.push(phase);
  for (const { phase } of service[stopRun]?.pending ?? []) pending.push(phase);
  pending.push(...(service[work]?.active() ?? []));
  if (pending.length > 0) snapshot.pending = pending;
  if (service[prerequisites].length > 0) snapshot.after = service[prerequisites].map((s) => s.id);
  if (!service[settings].essential) snapshot.essential = false;
  if (own.startDurationMs !== undefined) snapshot.startDurationMs = own.startDurationMs;
  if (own.stopDurationMs !== undefined) snapshot.stopDurationMs = own.stopDurationMs;
  return snapshot;
}

/** `String(value)`, as the contract asks for non-Error crash reasons. */
function stringify(value: unknown): string {
  return `${value as string}`;
}
