/**
 * `instrument(root)`: OpenTelemetry spans and metrics for a service tree, driven by its `events$`.
 * The tree, the spans and the instruments are followed until the returned teardown is called.
 */
import { metrics, trace, type Meter, type Tracer } from '@opentelemetry/api';
import { show } from '../internal/format.js';
import { watchTree } from '../internal/watch-tree.js';
import type { Service } from '../service.js';
import { MetricRecorder } from './metrics.js';
import { SpanRecorder } from './spans.js';

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /** Where the spans go. @defaultValue `trace.getTracer('rxmode')` (the global tracer provider) */
  tracer?: Tracer;
  /** Where the instruments live. @defaultValue `metrics.getMeter('rxmode')` (the global meter provider) */
  meter?: Meter;
}

/**
 * Traces and measures a service tree with OpenTelemetry, from now until the returned function is
 * called.
 *
 * @remarks
 * Spans, with attributes `rxmode.service.path`, `rxmode.service.id` and `rxmode.service.state`:
 * - `start <name>` from `starting` to `running`, inside the parent's start span (a service started on
 *   its own, such as the root or a child a supervisor restarts, opens a trace of its own under the
 *   active context); a restart adds a `restart` event. A failed start gets status ERROR and the
 *   exception, and holds the rollback.
 * - `stop <name>` from `stopping` to `stopped`, inside the parent's stop span; status ERROR when a
 *   stop hook failed or the stop budget ran out (with a `stop-timeout` event naming what was stuck).
 * - `crash <name>` for a crash while running: status ERROR with the exception; its teardown is the
 *   `stop <name>` span inside it, and both end when the teardown does.
 * - `hook <hook>` for each hook that ran, inside the span of its phase (ERROR when it threw).
 * - supervisor decisions are `supervisor.decision` events on the crashed child's span (or, when
 *   nothing of the child is open, on a short `supervise <supervisor>` span).
 * - a `LeaderService`'s term beginning or ending, or a failed acquire, is a `leader` event (attributes
 *   `rxmode.leader`, `rxmode.lease.name`, `rxmode.lease.token` when a term begins,
 *   `rxmode.leader.reason` with the reason's message when there is one) on its open span, or, while
 *   it runs, on a short `lease <name>` span of its own.
 *
 * Span times are the events' times on the services' scheduler clock (`Date.now()` with the default
 * `asyncScheduler`, so millisecond resolution; virtual time under a test scheduler).
 *
 * Instruments: `rxmode.service.state` (observable gauge, attributes `rxmode.service.path` and
 * `rxmode.service.state`: 1 for the current state, 0 for the other five, so a state left behind
 * never stays at 1 in cumulative exports), `rxmode.service.restarts` (counter, per path),
 * `rxmode.service.start.duration` (histogram, seconds, per path) and `rxmode.service.stop.duration`
 * (histogram, seconds, per path and `rxmode.service.state`: `stopped` for a stop, `crashed` for a
 * crash teardown); for every `LeaderService`, `rxmode.leader` (observable gauge, attributes
 * `rxmode.service.path` and `rxmode.lease.name`: 1 while this replica holds the lease, 0 while it
 * follows) and `rxmode.leader.terms` (counter of the terms it began, reported from 0).
 *
 * Children added later are followed; removed ones report 0 for every state once more, then are
 * dropped. The teardown unsubscribes, ends the spans still open and removes the gauge's batch
 * callback (OpenTelemetry has no way to delete an instrument; an SDK keeps exporting the last values
 * it saw). A failure inside the instrumentation is logged on the root's logger and never reaches the
 * tree.
 * @param root - the root of the tree to observe
 * @param options - see {@link InstrumentOptions}
 * @returns the function that stops the instrumentation (idempotent)
 * @throws TypeError when `root` is not a service, or `tracer` / `meter` are not OpenTelemetry ones.
 * @example
 * ```ts
 * import { instrument } from 'rxmode/otel';
 * const uninstrument = instrument(app); // global tracer and meter providers
 * await app.start();
 * // ...
 * await app.stop();
 * uninstrument();
 * ```
 */
export function instrument(root: Service<any>, options?: InstrumentOptions): () => void {
  if (typeof root !== 'object' || root === null || typeof root.events$?.subscribe !== 'function') {
    throw new TypeError(`root must be a Service; received ${show(root)}`);
  }
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`options must be an object; received ${show(options)}`);
  }
  const tracer = options?.tracer ?? trace.getTracer('rxmode');
  const meter = options?.meter ?? metrics.getMeter('rxmode');
  if (typeof tracer !== 'object' || tracer === null || typeof tracer.startSpan !== 'function') {
    throw new TypeError(`tracer must be an OpenTelemetry Tracer; received ${show(tracer)}`);
  }
  if (
    typeof meter !== 'object' ||
    meter === null ||
    typeof meter.createObservableGauge !== 'function' ||
    typeof meter.addBatchObservableCallback !== 'function'
  ) {
    throw new TypeError(`meter must be an OpenTelemetry Meter; received ${show(meter)}`);
  }
  const spans = new SpanRecorder(tracer);
  const instruments = new MetricRecorder(meter);
  const unwatch = watchTree(root, spans, instruments);
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    unwatch();
    spans.close(root.scheduler.now());
    instruments.close();
  };
}
