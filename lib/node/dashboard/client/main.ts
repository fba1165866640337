/**
 * The dashboard's page script (runs in the browser; bundled by esbuild with the browser-safe core,
 * never compiled by `tsc`). It follows `/events` (a snapshot, then lifecycle events), re-reads
 * `/state` after changes for the fields events do not carry, folds all of it into the model
 * (state.ts) and has the view (render.ts) draw it.
 */
import type { LifecycleEvent } from '../../../events.js';
import type { ServiceSnapshot } from '../../../snapshot.js';
import type { DashboardBoot } from '../page.js';
import { errorText } from './format.js';
import { createView, type Action } from './render.js';
import { initialModel, logLineOf, serverNow, withEvent, withSelection, withSnapshot } from './state.js';

/** After an event, `/state` is re-read this long after the last one of a burst (ms). */
const REFRESH_DEBOUNCE_MS = 120;
/** `/state` is also re-read this often, for pending work and diag flags (ms). */
const REFRESH_EVERY_MS = 2000;

const boot = JSON.parse(document.getElementById('rxmode-boot')?.textContent ?? '{}') as DashboardBoot;
let model = initialModel(boot, Date.now());
const view = createView({ control: boot.control, onSelect: select, onAction: act });

function draw(): void {
  view.render(model, serverNow(model, Date.now()));
}

function select(id: string): void {
  model = withSelection(model, id);
  draw();
}

function onSnapshot(snapshot: ServiceSnapshot): void {
  model = withSnapshot(model, snapshot);
  draw();
}

function onEvent(event: LifecycleEvent): void {
  model = withEvent(model, event, Date.now());
  view.appendLog(logLineOf(event));
  scheduleRefresh();
  draw();
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
    if (response.ok) onSnapshot((await response.json()) as ServiceSnapshot);
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

/** Posts a control action and reports the outcome in the header. */
async function act(id: string, action: Action): Promise<void> {
  const path = model.byId.get(id)?.path ?? id;
  try {
    const response = await fetch(`control/${encodeURIComponent(id)}/${action}`, { method: 'POST' });
    const text = (await response.text()).trim();
    view.notice(response.ok ? `${action} ${path}: done` : `${action} ${path}: ${response.status} ${text}`);
  } catch (error) {
    view.notice(`${action} ${path}: ${errorText(error)}`);
  }
}

function connect(): void {
  const source = new EventSource('events');
  view.setConnection('connecting');
  source.addEventListener('open', () => view.setConnection('live'));
  source.addEventListener('snapshot', (message) => {
    onSnapshot(JSON.parse((message as MessageEvent<string>).data) as ServiceSnapshot);
  });
  source.addEventListener('lifecycle', (message) => {
    onEvent(JSON.parse((message as MessageEvent<string>).data) as LifecycleEvent);
  });
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED) {
      view.setConnection('reconnecting');
      return;
    }
    // the server refused the stream (the Worker is not running): try again later
    view.setConnection('offline');
    source.close();
    setTimeout(connect, 3000);
  });
}

connect();
setInterval(draw, 1000);
setInterval(() => {
  if (view.connection === 'live') void refresh();
}, REFRESH_EVERY_MS);
