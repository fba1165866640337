/**
 * `/metrics` on the probe server: prom-client's default register in the Prometheus text format,
 * with the Worker's tree collected into it while the Worker runs. prom-client is an optional peer:
 * it is loaded on first use, and without it the route explains how to get it (501).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../../logger.js';
import type { CollectMetricsOptions } from '../../prometheus/index.js';
import type { Service } from '../../service.js';
import { sendText } from '../health-server.js';

/** What `/metrics` needs from prom-client and rxmode/prometheus. */
export interface PrometheusModules {
  readonly register: Registry;
  readonly collectMetrics: (root: Service<any>, options?: CollectMetricsOptions) => () => void;
}

let loading: Promise<PrometheusModules | Error> | undefined;

/**
 * Loads prom-client and rxmode/prometheus once per process; resolves an Error (never rejects) when
 * either cannot be loaded.
 */
export function loadPrometheus(): Promise<PrometheusModules | Error> {
  loading ??= Promise.all([import('prom-client'), import('../../prometheus/index.js')]).then(
    ([client, wing]): PrometheusModules => ({
      register: client.register,
      collectMetrics: wing.collectMetrics,
    }),
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  return loading;
}

/** True when `error` says that prom-client itself is not installed. */
function isMissingPromClient(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && /prom-client/.test(error.message)
  );
}

/**
 * The `/metrics` endpoint of a Worker.
 *
 * @remarks {@link MetricsEndpoint.open} (called when the Worker starts running) loads prom-client
 * and starts `collectMetrics(root)` on its default register; the returned function stops it, so the
 * tree's series leave the register when the Worker stops. The route serves `register.metrics()`
 * with prom-client's content type. Without prom-client it answers 501 with the install command; a
 * failure to load it for another reason answers 500 with the reason.
 * @example
 * ```ts
 * const metrics = new MetricsEndpoint(worker);
 * server.route('/metrics', metrics.handle);
 * const stop = await metrics.open(worker.logger);
 * ```
 */
export class MetricsEndpoint {
  readonly #root: Service<any>;

  constructor(root: Service<any>) {
    this.#root = root;
  }

  /** Starts collecting the tree into the default register; resolves the function that stops it. */
  async open(logger: Logger): Promise<() => void> {
    const modules = await loadPrometheus();
    if (modules instanceof Error) {
      if (!isMissingPromClient(modules))
        logger.error({ service: this.#root.path, err: modules }, '/metrics: could not load prom-client');
      return () => {};
    }
    try {
      return modules.collectMetrics(this.#root);
    } catch (error) {
      logger.error({ service: this.#root.path, err: error }, '/metrics: cannot collect the tree');
      return () => {};
    }
  }

  /** The route handler of `/metrics`. */
  readonly handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const modules = await loadPrometheus();
    if (modules instanceof Error) {
      if (isMissingPromClient(modules)) {
        sendText(
          response,
          501,
          '/metrics needs the optional peer dependency prom-client: npm install prom-client',
        );
      } else {
        sendText(response, 500, `/metrics: could not load prom-client: ${modules.message}`);
      }
      return;
    }
    const body = await modules.register.metrics();
    response.writeHead(200, {
      'Content-Type': modules.register.contentType,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
}
