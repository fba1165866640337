/**
 * `rxmode/otel`: OpenTelemetry spans and metrics for a service tree. Optional peer:
 * `@opentelemetry/api`; bring an SDK (or not: without one everything is a no-op).
 */
export { instrument } from './instrument.js';
export type { InstrumentOptions } from './instrument.js';
