/**
 * Looking at a running tree: `snapshot$` (throttled `toJSON()` pictures driven by `events$`) and
 * `toDot` / `toMermaid`, which draw a tree as a Graphviz or Mermaid graph coloured by state, with
 * the `after` edges between siblings. Browser-safe: the dashboard draws the same snapshots.
 */
import { Observable, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { humanizeDuration, parseDuration, type Duration } from './duration.js';
import { show } from './internal/format.js';
import type { Service } from './service.js';
import type { ServiceSnapshot } from './snapshot.js';
import type { ServiceState } from './state.js';

/** Options of {@link snapshot$}. */
export interface SnapshotOptions {
  /** The shortest time between two snapshots after the first. `0` emits on every change. @defaultValue 100 ms */
  throttle?: Duration;
}

/** Options of {@link toDot} and {@link toMermaid}. */
export interface GraphOptions {
  /**
   * The time (ms, on the tree's clock) against which "time in state" is measured.
   * @defaultValue the root's `scheduler.now()` for a service; `asyncScheduler.now()` for a snapshot
   */
  now?: number;
}

/** Fill and border colours per state, shared by both graph formats (and the dashboard). */
export const STATE_COLORS: Readonly<Record<ServiceState, { fill: string; stroke: string }>> = {
  init: { fill: '#e5e7eb', stroke: '#6b7280' },
  starting: { fill: '#bfdbfe', stroke: '#2563eb' },
  running: { fill: '#bbf7d0', stroke: '#16a34a' },
  stopping: { fill: '#fde68a', stroke: '#d97706' },
  stopped: { fill: '#d1d5db', stroke: '#374151' },
  crashed: { fill: '#fecaca', stroke: '#dc2626' },
};

/**
 * Snapshots of a service tree as it changes: `root.toJSON()` at once, then at most one per
 * `throttle` window while the tree changes.
 *
 * @remarks The first snapshot is taken when subscribing and opens a window. A change (a `state` or
 * `child` event anywhere in the tree) outside a window is shown at once and opens a new window; changes
 * inside a window are shown together when it ends (trailing edge), so the last change is always
 * shown. Children added or removed at runtime appear in and disappear from the next snapshot.
 * Windows are timed on `root.scheduler` (virtual time in tests). Diagnostic flags change without an
 * event: they show up with the next change. Each subscriber gets its own windows.
 * @param root - the service whose subtree is pictured
 * @param options - see {@link SnapshotOptions}
 * @throws TypeError when `root` is not a service or `throttle` is not a valid duration.
 * @example
 * ```ts
 * const sub = snapshot$(app, { throttle: '250ms' }).subscribe((tree) => render(tree));
 * // later
 * sub.unsubscribe();
 * ```
 */
export function snapshot$(root: Service<any>, options?: SnapshotOptions): Observable<ServiceSnapshot> {
  assertService(root);
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`options must be an object; received ${show(options)}`);
  }
  const throttleMs = options?.throttle === undefined ? 100 : parseDuration(options.throttle, 'throttle');
  return new Observable<ServiceSnapshot>((subscriber) => {
    const scheduler: SchedulerLike = root.scheduler;
    let window: Subscription | undefined;
    let pending = false;
    const emit = (): void => {
      pending = false;
      subscriber.next(root.toJSON());
      if (throttleMs > 0 && !subscriber.closed) window = scheduler.schedule(closeWindow, throttleMs);
    };
    const closeWindow = (): void => {
      window = undefined;
      if (pending) emit();
    };
    const events = root.events$.subscribe((event) => {
      if (event.type !== 'state' && event.type !== 'child') return;
      if (window) pending = true;
      else emit();
    });
    emit();
    return () => {
      events.unsubscribe();
      window?.unsubscribe();
    };
  });
}

/** One node of a drawn graph: the facts both formats print. */
interface GraphNode {
  key: string;
  name: string;
  state: ServiceState;
  lines: string[];
  /** The keys of its prerequisites among its siblings (`after`), in the order given. */
  after: string[];
}

/** The label of an edge from a prerequisite to the sibling that names it in `after`. */
const SIBLING_EDGE_LABEL = 'before';

/**
 * Walks a snapshot pre-order, calling `visit` with each node and its parent's key; `siblingIds`
 * holds the ids of the node and its siblings (none for the root).
 */
function walk(
  snapshot: ServiceSnapshot,
  now: number,
  visit: (node: GraphNode, parentKey: string | undefined) => void,
  siblingIds?: ReadonlySet<string>,
  parentKey?: string,
): void {
  // only ids of siblings become edges: a snapshot from elsewhere cannot add nodes to the drawing
  const after = (snapshot.after ?? []).filter((id) => id !== snapshot.id && siblingIds?.has(id) === true);
  const siblings = new Set(snapshot.children.map((child) => child.id));
  const lines = [`${snapshot.state} for ${humanizeDuration(Math.max(0, now - snapshot.since))}`];
  lines.push(`restarts: ${snapshot.restartCount}`);
  const timings: string[] = [];
  if (snapshot.startDurationMs !== undefined)
    timings.push(`start ${humanizeDuration(snapshot.startDurationMs)}`);
  if (snapshot.stopDurationMs !== undefined)
    timings.push(`stop ${humanizeDuration(snapshot.stopDurationMs)}`);
  if (timings.length > 0) lines.push(timings.join(', '));
  if (snapshot.state === 'crashed' && snapshot.crashReason !== undefined) {
    const reason = snapshot.crashReason.replace(/\s+/g, ' ').trim();
    lines.push(`crash: ${reason.length > 60 ? `${reason.slice(0, 59)}…` : reason}`);
  }
  visit({ key: snapshot.id, name: snapshot.name, state: snapshot.state, lines, after }, parentKey);
  for (const child of snapshot.children) walk(child, now, visit, siblings, snapshot.id);
}

/** The snapshot and the clock reading for a service or a snapshot argument. */
function resolveTree(
  root: Service<any> | ServiceSnapshot,
  options: GraphOptions | undefined,
): { snapshot: ServiceSnapshot; now: number } {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`options must be an object; received ${show(options)}`);
  }
  const given = options?.now;
  if (given !== undefined && (typeof given !== 'number' || !Number.isFinite(given))) {
    throw new TypeError(`now must be a finite number of ms; received ${show(given)}`);
  }
  if (isService(root)) return { snapshot: root.toJSON(), now: given ?? root.scheduler.now() };
  if (isSnapshot(root)) return { snapshot: root, now: given ?? asyncScheduler.now() };
  throw new TypeError(`root must be a Service or a ServiceSnapshot; received ${show(root)}`);
}

/**
 * Renders a service tree as a Graphviz DOT digraph: one box per service (name, state, time in
 * state, restarts, start/stop durations when known, the crash reason), filled by state, with an edge
 * from each parent to each of its children, and a dashed blue edge labelled `before` from each
 * prerequisite to the sibling that names it in `after` (`addDependency(child, { after })`).
 *
 * @remarks Accepts a live service or a {@link ServiceSnapshot} (as received by a dashboard). Node ids
 * are the services' ids; labels are escaped for DOT. Sibling edges do not change the ranks, so
 * siblings stay side by side under their parent. A tree without `after` draws no such edge. Render
 * with `dot -Tsvg`.
 * @param root - the root of the tree to draw
 * @param options - see {@link GraphOptions}
 * @throws TypeError when `root` is neither a service nor a snapshot, or `now` is not a number.
 * @example
 * ```ts
 * writeFileSync('tree.dot', toDot(app)); // then: dot -Tsvg tree.dot > tree.svg
 * ```
 */
export function toDot(root: Service<any> | ServiceSnapshot, options?: GraphOptions): string {
  const { snapshot, now } = resolveTree(root, options);
  const out = [
    'digraph rxmode {',
    '  rankdir=TB;',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
    '  edge [color="#6b7280"];',
  ];
  const edges: string[] = [];
  const siblingEdges: string[] = [];
  walk(snapshot, now, (node, parentKey) => {
    const color = STATE_COLORS[node.state] ?? STATE_COLORS.init;
    const label = [node.name, ...node.lines].map(dotEscape).join('\\n');
    out.push(
      `  "${dotEscape(node.key)}" [label="${label}", fillcolor="${color.fill}", color="${color.stroke}", tooltip="${node.state}"];`,
    );
    if (parentKey !== undefined) edges.push(`  "${dotEscape(parentKey)}" -> "${dotEscape(node.key)}";`);
    for (const before of node.after) {
      siblingEdges.push(
        `  "${dotEscape(before)}" -> "${dotEscape(node.key)}" [style=dashed, color="#2563eb", fontcolor="#2563eb", label="${SIBLING_EDGE_LABEL}", constraint=false];`,
      );
    }
  });
  out.push(...edges, ...siblingEdges, '}');
  return `${out.join('\n')}\n`;
}

/**
 * Renders a service tree as a Mermaid flowchart (top-down): one node per service with its name,
 * state, time in state, restarts and start/stop durations when known, a class per state that sets
 * its colours, an arrow from each parent to each child, and a dotted arrow labelled `before` from
 * each prerequisite to the sibling that names it in `after` (`addDependency(child, { after })`).
 *
 * @remarks Accepts a live service or a {@link ServiceSnapshot}. Node ids are `s<id>`; label text is
 * escaped with Mermaid's entity codes, so names may hold quotes, `#` or angle brackets. A tree
 * without `after` draws no dotted arrow. Paste the result into a fenced `mermaid` block of a
 * Markdown file to see it on GitHub.
 * @param root - the root of the tree to draw
 * @param options - see {@link GraphOptions}
 * @throws TypeError when `root` is neither a service nor a snapshot, or `now` is not a number.
 * @example
 * ```ts
 * console.log('```mermaid\n' + toMermaid(app) + '```');
 * ```
 */
export function toMermaid(root: Service<any> | ServiceSnapshot, options?: GraphOptions): string {
  const { snapshot, now } = resolveTree(root, options);
  const out = ['flowchart TD'];
  const edges: string[] = [];
  const siblingEdges: string[] = [];
  const used = new Set<ServiceState>();
  walk(snapshot, now, (node, parentKey) => {
    const state = node.state in STATE_COLORS ? node.state : 'init';
    used.add(state);
    const label = [`<b>${mermaidEscape(node.name)}</b>`, ...node.lines.map(mermaidEscape)].join('<br/>');
    out.push(`  ${mermaidId(node.key)}["${label}"]:::${state}`);
    if (parentKey !== undefined) edges.push(`  ${mermaidId(parentKey)} --> ${mermaidId(node.key)}`);
    for (const before of node.after) {
      siblingEdges.push(`  ${mermaidId(before)} -. ${SIBLING_EDGE_LABEL} .-> ${mermaidId(node.key)}`);
    }
  });
  out.push(...edges, ...siblingEdges);
  for (const state of used) {
    const { fill, stroke } = STATE_COLORS[state];
    out.push(`  classDef ${state} fill:${fill},stroke:${stroke},color:#111827;`);
  }
  return `${out.join('\n')}\n`;
}

function dotEscape(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n');
}

function mermaidEscape(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/\r?\n/g, ' ');
}

/** Mermaid node ids: letters, digits, `_` and `-` only. */
function mermaidId(key: string): string {
  return `s${key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function isService(value: unknown): value is Service<any> {
  const v = value as Partial<Service<any>> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.toJSON === 'function' &&
    typeof v.events$?.subscribe === 'function' &&
    typeof v.scheduler?.now === 'function'
  );
}

function isSnapshot(value: unknown): value is ServiceSnapshot {
  const v = value as Partial<ServiceSnapshot> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    typeof v.name === 'string' &&
    typeof v.state === 'string' &&
    Array.isArray(v.children)
  );
}

function assertService(root: unknown): asserts root is Service<any> {
  if (!isService(root)) throw new TypeError(`root must be a Service; received ${show(root)}`);
}
