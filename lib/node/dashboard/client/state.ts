/**
 * The dashboard page's data model (browser-safe, no DOM, no clock, no network): the tree as last
 * read, its services by id, the last crash of each, the lease of each LeaderService, the selection
 * and the server's clock offset. Snapshots, lifecycle events and clicks each give a new model;
 * render.ts draws it.
 */
import type { LifecycleEvent } from '../../../events.js';
import type { ServiceSnapshot } from '../../../snapshot.js';
import type { CrashRecord, DashboardBoot, LeaseRecord } from '../page.js';
import { describeEvent, errorMessage, type LogLine } from './format.js';

/** What the page knows; every change makes a new model (the old one is left as it was). */
export interface DashboardModel {
  /** The tree as last read from a snapshot, with the events since applied; none before the first. */
  readonly tree: ServiceSnapshot | undefined;
  /** Every service of `tree`, by id. */
  readonly byId: ReadonlyMap<string, ServiceSnapshot>;
  /** The last crash of each service, by id (kept across snapshots: a snapshot carries only the reason). */
  readonly crashes: ReadonlyMap<string, CrashRecord>;
  /** The lease of each `LeaderService`, by id: from the boot data, then from `leader` events. */
  readonly leases: ReadonlyMap<string, LeaseRecord>;
  /** The service whose details are shown: the root unless one was picked. */
  readonly selected: string | undefined;
  /** The server's clock minus the page's (ms), so that `since` can be compared with now. */
  readonly offset: number;
}

/**
 * Where a service stands in a lease (section 13): `leader` for a `LeaderService` that holds its lease,
 * `follower` for a running one that does not, `held` for every service below a follower (it waits
 * for a term before it starts them).
 */
export type LeaseRole = 'leader' | 'follower' | 'held';

/** A line of the event log with the time of its event (server clock, ms). */
export interface TimedLogLine extends LogLine {
  readonly at: number;
}

/**
 * The model of a page that has just loaded: no tree yet, the crashes and the clock of its boot data.
 *
 * @param boot - the boot data of the page (`<script id="rxmode-boot">`)
 * @param pageNow - the page's clock (`Date.now()`)
 * @example
 * ```ts
 * const model = initialModel({ title: 'app', control: false, now: 1_000, crashes: {} }, 400);
 * model.offset; // 600
 * ```
 */
export function initialModel(boot: DashboardBoot, pageNow: number): DashboardModel {
  return {
    tree: undefined,
    byId: new Map(),
    crashes: new Map(Object.entries(boot.crashes ?? {})),
    leases: new Map(Object.entries(boot.leases ?? {})),
    selected: undefined,
    offset: boot.now - pageNow,
  };
}

/** Every node of `root` by id, depth first. */
function indexTree(root: ServiceSnapshot): Map<string, ServiceSnapshot> {
  const byId = new Map<string, ServiceSnapshot>();
  const visit = (node: ServiceSnapshot): void => {
    byId.set(node.id, node);
    node.children.forEach(visit);
  };
  visit(root);
  return byId;
}

/**
 * The model after a snapshot (from `/events` or `/state`): the tree is replaced; the selection is
 * kept while its service is still in the tree, else it falls back to the root.
 */
export function withSnapshot(model: DashboardModel, snapshot: ServiceSnapshot): DashboardModel {
  const byId = indexTree(snapshot);
  const selected = model.selected !== undefined && byId.has(model.selected) ? model.selected : snapshot.id;
  return { ...model, tree: snapshot, byId, selected };
}

/** `root` with the node of id `id` replaced by `next`; unchanged subtrees are shared. */
function replaceNode(root: ServiceSnapshot, id: string, next: ServiceSnapshot): ServiceSnapshot {
  if (root.id === id) return next;
  let changed = false;
  const children = root.children.map((child) => {
    const updated = replaceNode(child, id, next);
    if (updated !== child) changed = true;
    return updated;
  });
  return changed ? { ...root, children } : root;
}

/** The node as an event leaves it, or undefined when the event does not change it. */
function nodeAfter(node: ServiceSnapshot, event: LifecycleEvent): ServiceSnapshot | undefined {
  if (event.type === 'state') {
    const restarted = event.to === 'starting' && event.from !== 'init';
    return {
      ...node,
      state: event.to,
      since: event.at,
      restartCount: node.restartCount + (restarted ? 1 : 0),
    };
  }
  if (event.type === 'crash') return { ...node, crashReason: errorMessage(event.error) };
  if (event.type === 'leader' && node.leader !== event.leader) return { ...node, leader: event.leader };
  return undefined;
}

/**
 * The model after a lifecycle event: a state change moves its service to the new state (a start
 * after the first counts as a restart), a crash records the error, a `leader` event marks its
 * `LeaderService` as leading or following and records the lease and the term's token; the clock
 * offset grows if the event is from later than the page thought the server's time was.
 *
 * @remarks Events about services not in the tree (added since the last snapshot) change only the
 * crashes and the clock; the next `/state` read brings them in.
 * @param pageNow - the page's clock (`Date.now()`) when the event arrived
 */
export function withEvent(model: DashboardModel, event: LifecycleEvent, pageNow: number): DashboardModel {
  const offset = Math.max(model.offset, event.at - pageNow);
  let crashes = model.crashes;
  if (event.type === 'crash') {
    const copy = new Map(crashes);
    copy.set(event.service.id, { at: event.at, error: event.error });
    crashes = copy;
  }
  let leases = model.leases;
  if (event.type === 'leader') {
    const copy = new Map(leases);
    const { lease, token } = event;
    copy.set(event.service.id, event.leader && token !== undefined ? { lease, token } : { lease });
    leases = copy;
  }
  const node = model.byId.get(event.service.id);
  const next = node && nodeAfter(node, event);
  if (!next || !model.tree) return { ...model, offset, crashes, leases };
  const tree = replaceNode(model.tree, node.id, next);
  return { ...model, tree, byId: indexTree(tree), offset, crashes, leases };
}

/** The model with `id` selected; an id not in the tree changes nothing. */
export function withSelection(model: DashboardModel, id: string): DashboardModel {
  return model.byId.has(id) && id !== model.selected ? { ...model, selected: id } : model;
}

/** The server's clock now, from the page's clock and the model's offset. */
export function serverNow(model: DashboardModel, pageNow: number): number {
  return pageNow + model.offset;
}

/**
 * The shape of the tree as text (ids, their children's ids and their prerequisites' ids): when it
 * changes, the graph and the table are drawn anew; otherwise they are updated in place.
 */
export function treeShape(model: DashboardModel): string {
  return [...model.byId.values()]
    .map((n) => `${n.id}:${n.children.map((c) => c.id).join('.')}<${(n.after ?? []).join('.')}`)
    .join(',');
}

/**
 * The names of the siblings a service needs running first (its `after`), in the order given; an id
 * not in the tree is shown as `#<id>`.
 */
export function prerequisiteNames(model: DashboardModel, node: ServiceSnapshot): string[] {
  return (node.after ?? []).map((id) => model.byId.get(id)?.name ?? `#${id}`);
}

/** The service's last crash as a short message: the snapshot's reason, else the crash seen live. */
export function lastCrash(model: DashboardModel, node: ServiceSnapshot): string | undefined {
  if (node.crashReason !== undefined) return node.crashReason;
  const crash = model.crashes.get(node.id);
  return crash ? errorMessage(crash.error) : undefined;
}

/**
 * The lease role of every service that has one, by id: each `LeaderService` that leads, each
 * running one that follows, and everything below a follower (held, whatever it is itself).
 */
export function leaseRoles(model: DashboardModel): ReadonlyMap<string, LeaseRole> {
  const roles = new Map<string, LeaseRole>();
  const visit = (node: ServiceSnapshot, held: boolean): void => {
    let role: LeaseRole | undefined;
    if (held) role = 'held';
    else if (node.leader === true) role = 'leader';
    else if (node.leader === false && node.state === 'running') role = 'follower';
    if (role) roles.set(node.id, role);
    for (const child of node.children) visit(child, held || role === 'follower');
  };
  if (model.tree) visit(model.tree, false);
  return roles;
}

/**
 * How the page words a lease role: `leader · <lease> #<token>`, `follower · <lease>`, or
 * `held · waits for the lease` for the services a follower holds.
 */
export function leaseText(model: DashboardModel, id: string, role: LeaseRole): string {
  if (role === 'held') return 'held · waits for the lease';
  const record = model.leases.get(id);
  if (!record) return role;
  return role === 'leader' && record.token !== undefined
    ? `leader · ${record.lease} #${record.token}`
    : `${role} · ${record.lease}`;
}

/** The log line of an event, with its time. */
export function logLineOf(event: LifecycleEvent): TimedLogLine {
  return { at: event.at, ...describeEvent(event) };
}
