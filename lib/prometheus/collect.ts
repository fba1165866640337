/**
 * `collectMetrics(root)`: keeps prom-client metrics of a service tree (states, restarts, start and
 * stop durations, supervisor decisions, leadership) up to date from its `events$`, until the
 * returned teardown.
 */
import { register as globalRegister, type Registry } from 'prom-client';
import { show } from '../internal/format.js';
import { watchTree } from '../internal/watch-tree.js';
import { LeaderService } from '../leader-service.js';
import type { Service } from '../service.js';
import { acquireMetrics, dropDurations, releaseMetrics, type Tree } from './metrics.js';

/** Options of {@link collectMetrics}. */
export interface CollectMetricsOptions {
  /** Where the metrics are registered. @defaultValue prom-client's global `register` */
  registry?: Registry;
  /** Prepended to every metric name. @defaultValue `'rxmode_'` */
  prefix?: string;
}

const PREFIX = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

/**
 * Publishes the lifecycle of a service tree as Prometheus metrics in a prom-client registry.
 *
 * @remarks
 * Metrics (names after the prefix; `service` is the service's path):
 * - `service_state{service, state}`: gauge, 1 for the current state, 0 for the five others;
 * - `service_restarts_total{service}`: counter of the starts after the first (0 until one happens);
 * - `service_start_duration_seconds{service}`: histogram, from `starting` to `running`;
 * - `service_stop_duration_seconds{service}`: histogram, a stop or a crash teardown, beginning to end;
 * - `supervisor_decisions_total{supervisor, decision}`: counter per supervisor path and decision
 *   (`restart`, `forfeit`, `escalate`);
 * - `leader{service, lease}`: gauge per `LeaderService` (`lease` is its lease's name), 1 while this
 *   replica holds the lease, 0 while it follows (or is not running);
 * - `leader_terms_total{service, lease}`: counter of the terms a `LeaderService` began (0 until it
 *   first leads).
 *
 * States, restart counts and leadership are written into the registry when it is scraped (an event
 * only updates the collector's own record); durations and decisions are observed as they happen.
 * Children added later get their series at once; removed ones lose them. Several trees may be
 * collected into one registry with the same prefix (their services should have distinct paths): the
 * metrics are shared, and the last teardown removes them from the registry. A failure inside the
 * collector is logged on the root's logger and never reaches the tree.
 * @param root - the root of the tree to publish
 * @param options - see {@link CollectMetricsOptions}
 * @returns the function that stops collecting and removes this tree's series (idempotent)
 * @throws TypeError when `root` is not a service, `registry` not a prom-client Registry or `prefix`
 * not a valid metric name prefix; prom-client's Error when the registry already holds a metric of
 * one of these names that rxmode did not create.
 * @example
 * ```ts
 * import { collectMetrics } from 'rxmode/prometheus';
 * import { register } from 'prom-client';
 * const stop = collectMetrics(app);
 * http.createServer(async (_req, res) => {
 *   res.setHeader('content-type', register.contentType);
 *   res.end(await register.metrics());
 * }).listen(9464);
 * ```
 */
export function collectMetrics(root: Service<any>, options?: CollectMetricsOptions): () => void {
  if (typeof root !== 'object' || root === null || typeof root.events$?.subscribe !== 'function') {
    throw new TypeError(`root must be a Service; received ${show(root)}`);
  }
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`options must be an object; received ${show(options)}`);
  }
  const registry = options?.registry ?? globalRegister;
  if (
    typeof registry !== 'object' ||
    registry === null ||
    typeof registry.registerMetric !== 'function' ||
    typeof registry.removeSingleMetric !== 'function'
  ) {
    throw new TypeError(`registry must be a prom-client Registry; received ${show(registry)}`);
  }
  const prefix = options?.prefix ?? 'rxmode_';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new TypeError(
      `prefix must be a Prometheus metric name prefix such as 'rxmode_'; received ${show(prefix)}`,
    );
  }
  const metrics = acquireMetrics(registry, prefix);
  const tree: Tree = new Map();
  metrics.trees.add(tree);
  const decisions = new Set<string>();
  const unwatch = watchTree(root, {
    added(service) {
      const labels = { service: service.path };
      const lease =
        service instanceof LeaderService
          ? { labels: { ...labels, lease: service.leaseName }, leader: service.isLeader, terms: 0 }
          : undefined;
      tree.set(service.id, { labels, state: service.state, restarts: 0, perState: undefined, lease });
    },
    removed(service) {
      const entry = tree.get(service.id);
      if (!entry) return;
      tree.delete(service.id);
      dropDurations(metrics, entry);
    },
    event(event) {
      if (event.type === 'supervisor') {
        const labels = { supervisor: event.service.path, decision: event.decision };
        decisions.add(JSON.stringify(labels));
        metrics.decisions.inc(labels);
        return;
      }
      if (event.type === 'leader') {
        const lease = tree.get(event.service.id)?.lease;
        if (!lease) return;
        if (event.leader) lease.terms++;
        lease.leader = event.leader;
        return;
      }
      if (event.type !== 'state') return;
      const entry = tree.get(event.service.id);
      if (!entry) return;
      entry.state = event.to;
      if (event.to === 'starting' && event.from !== 'init') entry.restarts++;
    },
    started(service, durationMs) {
      const entry = tree.get(service.id);
      if (entry) metrics.startDuration.observe(entry.labels, durationMs / 1000);
    },
    stopped(service, _at, durationMs) {
      const entry = tree.get(service.id);
      if (entry) metrics.stopDuration.observe(entry.labels, durationMs / 1000);
    },
  });
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    unwatch();
    for (const labels of decisions) {
      metrics.decisions.remove(JSON.parse(labels) as { supervisor: string; decision: string });
    }
    releaseMetrics(registry, prefix, metrics, tree);
  };
}
