/**
 * The monitoring paths of a Worker's probe server (API.md section 11): `/metrics`, `/events`,
 * `/dashboard` with its script, and `/control` when the `dashboard` option turns control on. The
 * routes exist from construction; what they serve is live while the Worker runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import { show } from '../../internal/format.js';
import { LeaderService } from '../../leader-service.js';
import type { Logger } from '../../logger.js';
import type { Service } from '../../service.js';
import { controlHandler } from './control-route.js';
import { dashboardScript } from './assets.js';
import { PAGE_HEADERS, renderDashboardPage, type CrashRecord, type LeaseRecord } from './page.js';
import { EventStream } from './events-route.js';
import type { HealthServer } from '../health-server.js';
import { MetricsEndpoint } from './metrics-route.js';
import { toWire } from './wire-json.js';

/** The `dashboard` option of a Worker. */
export interface DashboardOptions {
  /**
   * Serves `POST /control/<id>/restart|stop|crash` and shows the matching buttons on the page.
   * Anyone who can reach the probe port can then stop or crash services: never expose it publicly.
   * @defaultValue false
   */
  control?: boolean;
}

/** @internal The `dashboard` option, validated. */
export interface DashboardConfig {
  readonly control: boolean;
}

/**
 * @internal Validates the `dashboard` option of a Worker.
 * @throws TypeError for a value that is not `{ control?: boolean }`, or when there is no probe
 * server (`health`) to serve the dashboard on.
 */
export function checkDashboardOptions(value: unknown, hasHealth: boolean): DashboardConfig {
  if (value === undefined) return { control: false };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`dashboard must be an object such as { control: true }; received ${show(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (key !== 'control') throw new TypeError(`unknown dashboard option ${show(key)}`);
  }
  const { control } = value as DashboardOptions;
  if (control !== undefined && typeof control !== 'boolean') {
    throw new TypeError(`dashboard.control must be a boolean; received ${show(control)}`);
  }
  if (!hasHealth) {
    throw new TypeError('dashboard needs health: the dashboard is served by the probe server');
  }
  return { control: control ?? false };
}

/** The monitoring paths added to a probe server; {@link Monitoring.open} makes them live. */
export interface Monitoring {
  /**
   * Starts what the paths serve (the metrics collection, the event streams, the crash records);
   * resolves the function that ends it all, closing every open `/events` stream.
   */
  open(logger: Logger): Promise<() => void>;
}

/**
 * Adds `/metrics`, `/events`, `/dashboard`, `/dashboard/app.js` and, with control on, `/control`
 * to `server` for the tree of `root`.
 *
 * @remarks The page is served with the boot data it needs: control on or off, the tree's clock, the
 * last crash of each service since {@link Monitoring.open} (the page shows its stack), and the lease
 * of each `LeaderService` with its current token (later terms arrive as `leader` events). Until
 * `open()`, `/events` answers 503 and `/metrics` serves the register without the tree.
 * @example
 * ```ts
 * const monitoring = addMonitoring(server, worker, { control: false });
 * const close = await monitoring.open(worker.logger);
 * ```
 */
export function addMonitoring(server: HealthServer, root: Service<any>, config: DashboardConfig): Monitoring {
  const events = new EventStream(root);
  const metrics = new MetricsEndpoint(root);
  const crashes = new Map<string, CrashRecord>();
  server.route('/metrics', metrics.handle);
  server.route('/events', events.handle);
  server.route('/dashboard', (request: IncomingMessage, response: ServerResponse) => {
    const html = renderDashboardPage({
      title: root.name,
      control: config.control,
      now: root.scheduler.now(),
      crashes: Object.fromEntries([...crashes].map(([id, crash]) => [id, toWire(crash) as CrashRecord])),
      leases: leasesOf(root),
    });
    response.writeHead(200, { ...PAGE_HEADERS, 'Content-Length': Buffer.byteLength(html) });
    response.end(request.method === 'HEAD' ? undefined : html);
  });
  server.route('/dashboard/app.js', async (request: IncomingMessage, response: ServerResponse) => {
    const code = await dashboardScript();
    response.writeHead(200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Content-Length': Buffer.byteLength(code),
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    response.end(request.method === 'HEAD' ? undefined : code);
  });
  if (config.control) {
    server.route('/control', controlHandler(root, root.logger), { methods: ['POST'], prefix: true });
  }
  return {
    async open(logger: Logger): Promise<() => void> {
      const stopMetrics = await metrics.open(logger);
      crashes.clear();
      const recording: Subscription = root.events$.subscribe((event) => {
        if (event.type === 'crash') crashes.set(event.service.id, { at: event.at, error: event.error });
        else if (event.type === 'child' && event.op === 'removed') crashes.delete(event.child.id);
      });
      const closeEvents = events.open();
      return () => {
        recording.unsubscribe();
        closeEvents();
        stopMetrics();
      };
    },
  };
}

/** The lease of every `LeaderService` of the tree, by id, with the token of the term it holds. */
function leasesOf(root: Service<any>): Record<string, LeaseRecord> {
  const leases: Record<string, LeaseRecord> = {};
  const visit = (service: Service<any>): void => {
    if (service instanceof LeaderService) {
      const token = service.fencingToken;
      leases[service.id] =
        token === undefined ? { lease: service.leaseName } : { lease: service.leaseName, token };
    }
    service.children.forEach(visit);
  };
  visit(root);
  return leases;
}
