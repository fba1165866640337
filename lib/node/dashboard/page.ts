/**
 * The HTML of `/dashboard`: a static shell with its stylesheet inline, the boot data (control on or
 * off, the server's clock, crashes seen so far) as JSON, and the page script from
 * `/dashboard/app.js`. Everything the page shows is drawn by that script (client/main.ts).
 */
import { STATE_COLORS } from '../../inspect.js';
import type { ServiceState } from '../../state.js';

/** The last crash of a service as the page shows it: when, and the error as data. */
export interface CrashRecord {
  /** Scheduler time of the crash (ms). */
  readonly at: number;
  /** The error as data: `{ name, message, stack, … }` for an Error, else the value thrown. */
  readonly error: unknown;
}

/** The lease of a `LeaderService` as the page shows it: its name, and the term's token while leading. */
export interface LeaseRecord {
  /** The lease's name. */
  readonly lease: string;
  /** The fencing token of the term held now; absent while following. */
  readonly token?: string;
}

/** What the page script reads from the page when it loads (`<script id="rxmode-boot">`). */
export interface DashboardBoot {
  /** The root's name, for the title. */
  readonly title: string;
  /** Whether the restart, stop and crash buttons are shown. */
  readonly control: boolean;
  /** The tree's clock when the page was served (ms), so the page can show time in state. */
  readonly now: number;
  /** The last crash of each service (by id) seen since the Worker started. */
  readonly crashes: Readonly<Record<string, CrashRecord>>;
  /** The lease of each `LeaderService` of the tree (by id), when the page was served. */
  readonly leases?: Readonly<Record<string, LeaseRecord>>;
}

/** Path of the page script, relative to the page (so the page also works behind a path prefix). */
export const SCRIPT_PATH = 'dashboard/app.js';

/** Escapes text for HTML element content and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One CSS rule per state: the badge and box colours, from the colours the graphs share. */
function stateRules(): string {
  return (Object.entries(STATE_COLORS) as [ServiceState, { fill: string; stroke: string }][])
    .map(([state, { fill, stroke }]) => `[data-state="${state}"]{--fill:${fill};--stroke:${stroke}}`)
    .join('\n');
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;background:#f3f4f6}
header{display:flex;gap:12px;align-items:center;padding:10px 16px;background:#111827;color:#f9fafb}
header h1{font-size:16px;margin:0;font-weight:600}
header .spacer{flex:1}
.pill{font-size:12px;padding:2px 8px;border-radius:999px;background:#374151}
#connection[data-status="live"]{background:#166534}
#connection[data-status="offline"]{background:#991b1b}
#notice{font-size:12px;color:#d1d5db}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(280px,2fr);gap:12px;padding:12px}
section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 12px;min-width:0}
section h2{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:#6b7280;margin:0 0 8px}
#services-panel,#log-panel{grid-column:1/-1}
#graph{overflow:auto;max-height:60vh}
#graph svg{display:block;max-width:100%;height:auto}
.svc{cursor:pointer}
.svc rect{fill:var(--fill);stroke:var(--stroke);stroke-width:1.5}
.svc.selected rect{stroke-width:3.5}
.svc text{font-size:12px;fill:#111827}
.svc text.name{font-weight:600}
.svc text.role{font-size:11px;font-weight:600;fill:#92400e}
.svc[data-role="follower"] text.role,.svc[data-role="held"] text.role{fill:#6b7280}
.svc[data-role="leader"] rect{stroke:#b45309;stroke-width:3}
.svc[data-role="held"] rect{stroke-dasharray:4 3;opacity:.75}
.role{font-size:12px;color:#92400e;margin-left:6px}
.role[data-role="leader"]{font-weight:600}
.role[data-role="held"],.role[data-role="follower"]{color:#6b7280}
.edge{fill:none;stroke:#9ca3af;stroke-width:1.5}
.sibling-edge{fill:none;stroke:#2563eb;stroke-width:1.5;stroke-dasharray:5 3}
.sibling-arrow{fill:#2563eb}
.legend{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}
.badge{display:inline-block;font-size:12px;padding:1px 8px;border-radius:999px;background:var(--fill);border:1px solid var(--stroke)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0}
dt{color:#6b7280}
dd{margin:0;overflow-wrap:anywhere}
pre{margin:6px 0 0;padding:8px;background:#111827;color:#fecaca;border-radius:6px;font-size:12px;overflow:auto;max-height:240px;white-space:pre-wrap}
table{border-collapse:collapse;width:100%;font-size:13px}
th{text-align:left;color:#6b7280;font-weight:500;border-bottom:1px solid #e5e7eb;padding:4px 8px}
td{border-bottom:1px solid #f3f4f6;padding:4px 8px;vertical-align:top}
tr.selected td{background:#eff6ff}
tbody tr{cursor:pointer}
td.path{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;white-space:nowrap}
td.crash{color:#b91c1c;max-width:320px;overflow-wrap:anywhere}
button{font:inherit;font-size:12px;padding:2px 8px;margin-right:4px;border-radius:4px;border:1px solid #9ca3af;background:#f9fafb;cursor:pointer}
button[data-action="crash"]{border-color:#dc2626;color:#b91c1c}
button:disabled{opacity:.5;cursor:default}
#log{list-style:none;margin:0;padding:0;height:220px;overflow:auto;font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace}
#log li{padding:0 4px;border-bottom:1px solid #f9fafb;white-space:pre-wrap}
#log .time{color:#9ca3af}
#log .path{color:#1d4ed8}
#log li.warn{background:#fffbeb}
#log li.error{background:#fef2f2;color:#991b1b}
.muted{color:#9ca3af}
`;

/**
 * Renders the dashboard page.
 *
 * @remarks The boot JSON is escaped so that no service name or error text can end its `<script>`
 * element; the page is served with a Content-Security-Policy that allows only its own script.
 * @example
 * ```ts
 * const html = renderDashboardPage({ title: 'Worker', control: false, now: Date.now(), crashes: {} });
 * ```
 */
export function renderDashboardPage(boot: DashboardBoot): string {
  const data = JSON.stringify(boot).replace(/</g, '\\u003c');
  const title = escapeHtml(boot.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title} · rxmode dashboard</title>
<style>${STYLE}${stateRules()}</style>
</head>
<body>
<header>
<h1>rxmode · <span id="root-name">${title}</span></h1>
<span class="pill" id="connection" data-status="connecting">connecting…</span>
<span class="pill" id="control-mode">${boot.control ? 'control on' : 'read-only'}</span>
<span class="spacer"></span>
<span id="notice" role="status"></span>
</header>
<main>
<section id="graph-panel"><h2>Tree</h2><div id="graph"></div><div class="legend" id="legend"></div></section>
<section id="details-panel"><h2>Service</h2><div id="details"><p class="muted">Select a service.</p></div></section>
<section id="services-panel"><h2>Services</h2><table id="services"></table></section>
<section id="log-panel"><h2>Events</h2><ol id="log"></ol></section>
</main>
<noscript>The dashboard needs JavaScript.</noscript>
<script id="rxmode-boot" type="application/json">${data}</script>
<script src="${SCRIPT_PATH}" defer></script>
</body>
</html>
`;
}

/** The response headers of the page: no caching, no framing, only this server's own script. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; " +
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};
