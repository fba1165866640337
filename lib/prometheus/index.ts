/**
 * `rxmode/prometheus`: prom-client metrics for a service tree. Optional peer: `prom-client`; Node.
 */
export { collectMetrics } from './collect.js';
export type { CollectMetricsOptions } from './collect.js';
