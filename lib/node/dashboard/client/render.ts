/**
 * The dashboard page's drawing (runs in the browser): the graph (with the `after` edges between
 * siblings and the lease role of leaders, followers and what they hold), the services table, the
 * details of the selected service, the event log, the connection pill and the notice line, all from
 * a DashboardModel. Clicks are handed back to main.ts.
 */
import { SERVICE_STATES } from '../../../state.js';
import type { ServiceSnapshot } from '../../../snapshot.js';
import { durationText, errorStack, errorText } from './format.js';
import { edgePath, GRAPH_METRICS, layoutTree, siblingEdgePath, type GraphEdge } from './graph.js';
import {
  lastCrash,
  leaseRoles,
  leaseText,
  prerequisiteNames,
  treeShape,
  type DashboardModel,
  type LeaseRole,
  type TimedLogLine,
} from './state.js';

const SVG = 'http://www.w3.org/2000/svg';
/** The id of the arrowhead marker of the sibling edges. */
const ARROW_ID = 'rxmode-after-arrow';
/** The arrowhead of the sibling edges: a small triangle at the dependent's end. */
const ARROW_MARKER = { viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 5, markerHeight: 5 };
const MAX_LOG_LINES = 500;
/** The longest name a graph box shows in full, with and without a lease mark beside it. */
const NAME_LENGTH = { plain: 22, marked: 13 } as const;
/** The short mark at the top right of a graph box. */
const ROLE_MARK: Record<LeaseRole, string> = { leader: '♛ leader', follower: 'follower', held: 'held' };

/** The buttons of a service with control on. */
export const ACTIONS = ['restart', 'stop', 'crash'] as const;

/** A control action of the page. */
export type Action = (typeof ACTIONS)[number];

/** The state of the `/events` stream, as the connection pill shows it. */
export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** What the view hands back to the page. */
export interface ViewOptions {
  /** Whether the control buttons are drawn. */
  readonly control: boolean;
  /** A service was clicked (graph box or table row) or chosen from the keyboard. */
  readonly onSelect: (id: string) => void;
  /** A control button was pressed; the button stays disabled until the returned promise settles. */
  readonly onAction: (id: string, action: Action) => Promise<void>;
}

/** The drawing of one page; create it once, then call `render` after every change of the model. */
export interface DashboardView {
  /** Draws the model; `now` is the server's clock, for the time in state. */
  render(model: DashboardModel, now: number): void;
  /** Adds a line to the event log (at most the last 500 are kept). */
  appendLog(line: TimedLogLine): void;
  /** Shows a short status text in the header. */
  notice(text: string): void;
  setConnection(status: ConnectionStatus): void;
  readonly connection: ConnectionStatus;
}

/** Creates an element with attributes and children (text children are text nodes: never HTML). */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

function svg(tag: string, attrs: Record<string, string | number> = {}): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

const $ = (id: string): HTMLElement => document.getElementById(id)!;

/** The dashed arrows between siblings (`after`), with their arrowhead; nothing when there are none. */
function siblingEdges(edges: readonly GraphEdge[]): SVGElement[] {
  if (edges.length === 0) return [];
  const marker = svg('marker', { id: ARROW_ID, orient: 'auto', ...ARROW_MARKER });
  marker.append(svg('path', { class: 'sibling-arrow', d: 'M0,0 L8,4 L0,8 z' }));
  const defs = svg('defs');
  defs.append(marker);
  return [
    defs,
    ...edges.map((edge) => {
      const { from, to } = edge;
      const d = siblingEdgePath(edge);
      const path = svg('path', { class: 'sibling-edge', d, 'marker-end': `url(#${ARROW_ID})` });
      path.setAttribute('data-from', from.snapshot.id);
      path.setAttribute('data-to', to.snapshot.id);
      const title = svg('title');
      title.textContent = `${to.snapshot.name} starts after ${from.snapshot.name}`;
      path.append(title);
      return path;
    }),
  ];
}

/** `name`, cut to `max` characters with an ellipsis. */
function shortName(name: string, max: number): string {
  return name.length > max ? `${name.slice(0, max - 1)}…` : name;
}

/** Sets `data-role` to the lease role, or removes it. */
function setRole(node: HTMLElement | SVGElement, role: LeaseRole | undefined): void {
  if (role) node.dataset.role = role;
  else delete node.dataset.role;
}

/** `hh:mm:ss.mmm` in the page's time zone. */
function clockTime(at: number): string {
  const date = new Date(at);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/**
 * Takes over the page's elements (`#graph`, `#services`, `#details`, `#log`, `#legend`,
 * `#connection`, `#notice`) and draws the state legend.
 */
export function createView(options: ViewOptions): DashboardView {
  let drawnShape = '';
  const graphNodes = new Map<
    string,
    { group: SVGElement; label: SVGElement; role: SVGElement; status: SVGElement; name: string }
  >();
  const rows = new Map<string, Record<string, HTMLElement>>();
  let detailsKey = '';
  let detailsInState: HTMLElement | undefined;

  function drawGraph(root: ServiceSnapshot): void {
    const layout = layoutTree(root);
    const { boxWidth, boxHeight } = GRAPH_METRICS;
    const drawing = svg('svg', {
      width: layout.width,
      height: layout.height,
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      role: 'img',
      'aria-label': 'service tree',
    });
    for (const edge of layout.edges) drawing.append(svg('path', { class: 'edge', d: edgePath(edge) }));
    drawing.append(...siblingEdges(layout.siblingEdges));
    graphNodes.clear();
    for (const box of layout.boxes) {
      const { id, name, path } = box.snapshot;
      const group = svg('g', { class: 'svc', 'data-id': id, 'data-path': path, tabindex: 0 });
      group.append(svg('rect', { x: box.x, y: box.y, width: boxWidth, height: boxHeight, rx: 8 }));
      const title = svg('title');
      title.textContent = path;
      const label = svg('text', { class: 'name', x: box.x + 10, y: box.y + 19 });
      label.textContent = shortName(name, NAME_LENGTH.plain);
      const role = svg('text', {
        class: 'role',
        x: box.x + boxWidth - 8,
        y: box.y + 19,
        'text-anchor': 'end',
      });
      const status = svg('text', { class: 'status', x: box.x + 10, y: box.y + 36 });
      group.append(title, label, role, status);
      group.addEventListener('click', () => options.onSelect(id));
      group.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') options.onSelect(id);
      });
      drawing.append(group);
      graphNodes.set(id, { group, label, role, status, name });
    }
    $('graph').replaceChildren(drawing);
  }

  function controlButtons(node: ServiceSnapshot): HTMLButtonElement[] {
    return ACTIONS.map((action) => {
      const button = el('button', { type: 'button', 'data-action': action, 'data-id': node.id }, action);
      button.addEventListener('click', (event) => {
        event.stopPropagation();
        button.disabled = true;
        void options.onAction(node.id, action).finally(() => (button.disabled = false));
      });
      return button;
    });
  }

  function drawTable(root: ServiceSnapshot): void {
    const head = [
      'Service',
      'State',
      'In state',
      'Restarts',
      'Start',
      'Stop',
      'Flags',
      'Pending',
      'After',
      'Last crash',
    ];
    if (options.control) head.push('Control');
    const body = el('tbody');
    rows.clear();
    const visit = (node: ServiceSnapshot, depth: number): void => {
      const cells: Record<string, HTMLElement> = {
        path: el('td', { class: 'path', style: `padding-left:${8 + depth * 16}px` }, node.name),
        state: el('span', { class: 'badge' }),
        role: el('span', { class: 'role' }),
        inState: el('td'),
        restarts: el('td'),
        start: el('td'),
        stop: el('td'),
        flags: el('td'),
        pending: el('td'),
        after: el('td', { class: 'after' }),
        crash: el('td', { class: 'crash' }),
      };
      const row = el('tr', { 'data-id': node.id, 'data-path': node.path });
      row.append(cells.path!, el('td', {}, cells.state!, cells.role!));
      row.append(cells.inState!, cells.restarts!, cells.start!, cells.stop!, cells.flags!, cells.pending!);
      row.append(cells.after!, cells.crash!);
      if (options.control) {
        const buttons =
          node === root ? [el('span', { class: 'muted' }, 'signals only')] : controlButtons(node);
        row.append(el('td', {}, ...buttons));
      }
      row.addEventListener('click', () => options.onSelect(node.id));
      cells.row = row;
      rows.set(node.id, cells);
      body.append(row);
      node.children.forEach((child) => visit(child, depth + 1));
    };
    visit(root, 0);
    $('services').replaceChildren(el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), body);
  }

  function updateRow(
    model: DashboardModel,
    cells: Record<string, HTMLElement>,
    node: ServiceSnapshot,
    inState: string,
    role: LeaseRole | undefined,
  ): void {
    cells.row!.dataset.state = node.state;
    setRole(cells.row!, role);
    setRole(cells.role!, role);
    cells.role!.textContent = role ? leaseText(model, node.id, role) : '';
    cells.row!.classList.toggle('selected', node.id === model.selected);
    cells.state!.dataset.state = node.state;
    cells.state!.textContent = node.state;
    cells.inState!.textContent = inState;
    cells.restarts!.textContent = String(node.restartCount);
    cells.start!.textContent = durationText(node.startDurationMs);
    cells.stop!.textContent = durationText(node.stopDurationMs);
    cells.flags!.textContent = node.flags.join(', ') || '–';
    cells.pending!.textContent = node.pending?.join(', ') ?? '–';
    cells.after!.textContent = prerequisiteNames(model, node).join(', ') || '–';
    cells.crash!.textContent = lastCrash(model, node) ?? '';
  }

  /** Rebuilds the details of the selected service when they change; time in state is updated in place. */
  function drawDetails(model: DashboardModel, now: number, roles: ReadonlyMap<string, LeaseRole>): void {
    const node = model.selected === undefined ? undefined : model.byId.get(model.selected);
    if (!node) return;
    const role = roles.get(node.id);
    const crash = model.crashes.get(node.id);
    const inState = el('span', {}, durationText(now - node.since));
    const fields: [string, Node | string][] = [
      ['Path', node.path],
      ['Id', node.id],
      ['State', el('span', { class: 'badge', 'data-state': node.state }, node.state)],
      ['In state', inState],
      ['Restarts', String(node.restartCount)],
      ['Start took', durationText(node.startDurationMs)],
      ['Stop took', durationText(node.stopDurationMs)],
      ['Diag flags', node.flags.join(', ') || 'none'],
      ['Pending work', node.pending?.join(', ') ?? 'none'],
      ['Starts after', prerequisiteNames(model, node).join(', ') || 'none'],
      ['Children', String(node.children.length)],
      ['Last crash', node.crashReason ?? (crash ? errorText(crash.error) : 'none')],
    ];
    if (role) fields.splice(3, 0, ['Lease', leaseText(model, node.id, role)]);
    const stack = crash ? errorStack(crash.error) : undefined;
    const key = JSON.stringify([node.since, fields.map(([, v]) => (typeof v === 'string' ? v : '')), stack]);
    if (key === detailsKey && detailsInState) {
      detailsInState.textContent = inState.textContent;
      return;
    }
    detailsKey = key;
    detailsInState = inState;
    const list = el('dl');
    for (const [name, value] of fields)
      list.append(el('dt', {}, name), el('dd', { 'data-field': name }, value));
    const parts: Node[] = [list];
    if (stack) parts.push(el('pre', { 'data-field': 'stack' }, stack));
    $('details').replaceChildren(...parts);
  }

  $('legend').append(
    ...SERVICE_STATES.map((state) => el('span', { class: 'badge', 'data-state': state }, state)),
  );

  return {
    render(model, now) {
      const { tree } = model;
      if (!tree) return;
      const shape = treeShape(model);
      if (shape !== drawnShape) {
        drawnShape = shape;
        drawGraph(tree);
        drawTable(tree);
      }
      const roles = leaseRoles(model);
      for (const node of model.byId.values()) {
        const inState = durationText(now - node.since);
        const role = roles.get(node.id);
        const graph = graphNodes.get(node.id);
        if (graph) {
          graph.group.dataset.state = node.state;
          setRole(graph.group, role);
          graph.group.classList.toggle('selected', node.id === model.selected);
          graph.label.textContent = shortName(graph.name, role ? NAME_LENGTH.marked : NAME_LENGTH.plain);
          graph.role.textContent = role ? ROLE_MARK[role] : '';
          graph.status.textContent = `${node.state} · ${inState}`;
        }
        const row = rows.get(node.id);
        if (row) updateRow(model, row, node, inState, role);
      }
      drawDetails(model, now, roles);
    },

    appendLog(line) {
      const log = $('log');
      const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
      log.append(
        el(
          'li',
          { class: line.level },
          el('span', { class: 'time' }, clockTime(line.at)),
          ' ',
          el('span', { class: 'path' }, line.path),
          ` ${line.text}`,
        ),
      );
      while (log.childElementCount > MAX_LOG_LINES) log.firstElementChild?.remove();
      if (atBottom) log.scrollTop = log.scrollHeight;
    },

    notice(text) {
      $('notice').textContent = text;
    },

    setConnection(status) {
      const node = $('connection');
      node.dataset.status = status;
      node.textContent = status === 'connecting' ? 'connecting…' : status;
    },

    get connection() {
      return ($('connection').dataset.status ?? 'connecting') as ConnectionStatus;
    },
  };
}
