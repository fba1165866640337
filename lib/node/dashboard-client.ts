/**
 * The dashboard's page script (runs in the browser; bundled by esbuild with the browser-safe core).
 * It follows `/events` (a snapshot, then lifecycle events), re-reads `/state` after changes for the
 * fields events do not carry, and draws the graph, the details, the services table and the event log.
 */
import type { LifecycleEvent } from '../events.js';
import type { ServiceSnapshot } from '../snapshot.js';
import { SERVICE_STATES } from '../state.js';
import type { CrashRecord, DashboardBoot } from './dashboard-page.js';
import { describeEvent, durationText, errorMessage, errorStack, errorText } from './dashboard-format.js';
import { edgePath, GRAPH_METRICS, layoutTree } from './dashboard-graph.js';

const SVG = 'http://www.w3.org/2000/svg';
const ACTIONS = ['restart', 'stop', 'crash'] as const;
const MAX_LOG_LINES = 500;
/** After an event, `/state` is re-read this long after the last one of a burst (ms). */
const REFRESH_DEBOUNCE_MS = 120;
/** `/state` is also re-read this often, for pending work and diag flags (ms). */
const REFRESH_EVERY_MS = 2000;

const boot = JSON.parse(document.getElementById('rxmode-boot')?.textContent ?? '{}') as DashboardBoot;
/** The server's clock minus the page's, so that `since` can be compared with now. */
let offset = boot.now - Date.now();
const now = (): number => Date.now() + offset;

let tree: ServiceSnapshot | undefined;
let byId = new Map<string, ServiceSnapshot>();
const crashes = new Map<string, CrashRecord>(Object.entries(boot.crashes ?? {}));
let selected: string | undefined;

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

function notice(text: string): void {
  $('notice').textContent = text;
}

function setConnection(status: 'connecting' | 'live' | 'reconnecting' | 'offline'): void {
  const node = $('connection');
  node.dataset.status = status;
  node.textContent = status === 'connecting' ? 'connecting…' : status;
}

// ─── the model ────────────────────────────────────────────────────────────────────────────────

function setTree(snapshot: ServiceSnapshot): void {
  tree = snapshot;
  byId = new Map();
  const visit = (node: ServiceSnapshot): void => {
    byId.set(node.id, node);
    node.children.forEach(visit);
  };
  visit(snapshot);
  if (selected === undefined || !byId.has(selected)) selected = snapshot.id;
  render();
}

function onEvent(event: LifecycleEvent): void {
  offset = Math.max(offset, event.at - Date.now());
  const node = byId.get(event.service.id);
  if (event.type === 'state' && node) {
    if (event.to === 'starting' && event.from !== 'init') node.restartCount++;
    node.state = event.to;
    node.since = event.at;
  } else if (event.type === 'crash') {
    crashes.set(event.service.id, { at: event.at, error: event.error });
    if (node) node.crashReason = errorMessage(event.error);
  }
  appendLog(event.at, describeEvent(event));
  scheduleRefresh();
  render();
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshing = false;
let refreshAgain = false;

function scheduleRefresh(): void {
  if (refreshTimer !== undefined) clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    refreshTimer = undefined;
    void refresh();
  }, REFRESH_DEBOUNCE_MS);
}

/** Re-reads `/state` (restarts, durations, pending work, flags, children added at runtime). */
async function refresh(): Promise<void> {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    const response = await fetch('state', { cache: 'no-store' });
    if (response.ok) setTree((await response.json()) as ServiceSnapshot);
  } catch {
    // the connection status shows that the server is gone
  } finally {
    refreshing = false;
    if (refreshAgain) {
      refreshAgain = false;
      void refresh();
    }
  }
}

// ─── drawing ──────────────────────────────────────────────────────────────────────────────────

let drawnShape = '';
const graphNodes = new Map<string, { group: SVGElement; status: SVGElement }>();
const rows = new Map<string, Record<string, HTMLElement>>();

function select(id: string): void {
  selected = id;
  render();
}

function render(): void {
  if (!tree) return;
  const shape = [...byId.values()].map((n) => `${n.id}:${n.children.map((c) => c.id).join('.')}`).join(',');
  if (shape !== drawnShape) {
    drawnShape = shape;
    drawGraph(tree);
    drawTable(tree);
  }
  const clock = now();
  for (const node of byId.values()) {
    const inState = durationText(clock - node.since);
    const graph = graphNodes.get(node.id);
    if (graph) {
      graph.group.dataset.state = node.state;
      graph.group.classList.toggle('selected', node.id === selected);
      graph.status.textContent = `${node.state} · ${inState}`;
    }
    const row = rows.get(node.id);
    if (row) updateRow(row, node, inState);
  }
  drawDetails();
}

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
  graphNodes.clear();
  for (const box of layout.boxes) {
    const { id, name, path } = box.snapshot;
    const group = svg('g', { class: 'svc', 'data-id': id, 'data-path': path, tabindex: 0 });
    group.append(svg('rect', { x: box.x, y: box.y, width: boxWidth, height: boxHeight, rx: 8 }));
    const title = svg('title');
    title.textContent = path;
    const label = svg('text', { class: 'name', x: box.x + 10, y: box.y + 19 });
    label.textContent = name.length > 22 ? `${name.slice(0, 21)}…` : name;
    const status = svg('text', { class: 'status', x: box.x + 10, y: box.y + 36 });
    group.append(title, label, status);
    group.addEventListener('click', () => select(id));
    group.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') select(id);
    });
    drawing.append(group);
    graphNodes.set(id, { group, status });
  }
  $('graph').replaceChildren(drawing);
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
    'Last crash',
  ];
  if (boot.control) head.push('Control');
  const body = el('tbody');
  rows.clear();
  const visit = (node: ServiceSnapshot, depth: number): void => {
    const cells: Record<string, HTMLElement> = {
      path: el('td', { class: 'path', style: `padding-left:${8 + depth * 16}px` }, node.name),
      state: el('span', { class: 'badge' }),
      inState: el('td'),
      restarts: el('td'),
      start: el('td'),
      stop: el('td'),
      flags: el('td'),
      pending: el('td'),
      crash: el('td', { class: 'crash' }),
    };
    const row = el('tr', { 'data-id': node.id, 'data-path': node.path });
    row.append(cells.path!, el('td', {}, cells.state!));
    row.append(cells.inState!, cells.restarts!, cells.start!, cells.stop!, cells.flags!, cells.pending!);
    row.append(cells.crash!);
    if (boot.control) {
      const buttons = node === root ? [el('span', { class: 'muted' }, 'signals only')] : controlButtons(node);
      row.append(el('td', {}, ...buttons));
    }
    row.addEventListener('click', () => select(node.id));
    cells.row = row;
    rows.set(node.id, cells);
    body.append(row);
    node.children.forEach((child) => visit(child, depth + 1));
  };
  visit(root, 0);
  $('services').replaceChildren(el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), body);
}

function controlButtons(node: ServiceSnapshot): HTMLButtonElement[] {
  return ACTIONS.map((action) => {
    const button = el('button', { type: 'button', 'data-action': action, 'data-id': node.id }, action);
    button.addEventListener('click', (event) => {
      event.stopPropagation();
      void act(node.id, action, button);
    });
    return button;
  });
}

function updateRow(cells: Record<string, HTMLElement>, node: ServiceSnapshot, inState: string): void {
  cells.row!.dataset.state = node.state;
  cells.row!.classList.toggle('selected', node.id === selected);
  cells.state!.dataset.state = node.state;
  cells.state!.textContent = node.state;
  cells.inState!.textContent = inState;
  cells.restarts!.textContent = String(node.restartCount);
  cells.start!.textContent = durationText(node.startDurationMs);
  cells.stop!.textContent = durationText(node.stopDurationMs);
  cells.flags!.textContent = node.flags.join(', ') || '–';
  cells.pending!.textContent = node.pending?.join(', ') ?? '–';
  const crash = crashes.get(node.id);
  cells.crash!.textContent = node.crashReason ?? (crash ? errorMessage(crash.error) : '');
}

let detailsKey = '';
let detailsInState: HTMLElement | undefined;

/** Rebuilds the details of the selected service when they change; time in state is updated in place. */
function drawDetails(): void {
  const node = selected === undefined ? undefined : byId.get(selected);
  if (!node) return;
  const crash = crashes.get(node.id);
  const inState = el('span', {}, durationText(now() - node.since));
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
    ['Children', String(node.children.length)],
    ['Last crash', node.crashReason ?? (crash ? errorText(crash.error) : 'none')],
  ];
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

function appendLog(at: number, line: { level: string; path: string; text: string }): void {
  const log = $('log');
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
  const date = new Date(at);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
  log.append(
    el(
      'li',
      { class: line.level },
      el('span', { class: 'time' }, time),
      ' ',
      el('span', { class: 'path' }, line.path),
      ` ${line.text}`,
    ),
  );
  while (log.childElementCount > MAX_LOG_LINES) log.firstElementChild?.remove();
  if (atBottom) log.scrollTop = log.scrollHeight;
}

async function act(id: string, action: string, button: HTMLButtonElement): Promise<void> {
  const path = byId.get(id)?.path ?? id;
  button.disabled = true;
  try {
    const response = await fetch(`control/${encodeURIComponent(id)}/${action}`, { method: 'POST' });
    const text = (await response.text()).trim();
    notice(response.ok ? `${action} ${path}: done` : `${action} ${path}: ${response.status} ${text}`);
  } catch (error) {
    notice(`${action} ${path}: ${errorText(error)}`);
  } finally {
    button.disabled = false;
  }
}

// ─── the stream ───────────────────────────────────────────────────────────────────────────────

function connect(): void {
  const source = new EventSource('events');
  setConnection('connecting');
  source.addEventListener('open', () => setConnection('live'));
  source.addEventListener('snapshot', (message) => {
    setTree(JSON.parse((message as MessageEvent<string>).data) as ServiceSnapshot);
  });
  source.addEventListener('lifecycle', (message) => {
    onEvent(JSON.parse((message as MessageEvent<string>).data) as LifecycleEvent);
  });
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED) {
      setConnection('reconnecting');
      return;
    }
    // the server refused the stream (the Worker is not running): try again later
    setConnection('offline');
    source.close();
    setTimeout(connect, 3000);
  });
}

$('legend').append(
  ...SERVICE_STATES.map((state) => el('span', { class: 'badge', 'data-state': state }, state)),
);
connect();
setInterval(render, 1000);
setInterval(() => {
  if ($('connection').dataset.status === 'live') void refresh();
}, REFRESH_EVERY_MS);
