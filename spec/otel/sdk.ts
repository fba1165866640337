/**
 * The real OpenTelemetry SDK for the otel specs: a tracer provider exporting to memory, a meter
 * provider read on demand, and small readers for spans and data points.
 */
import type { Attributes, HrTime } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';

/** A MetricReader collected by hand (`collect()`), nothing periodic. */
class ManualReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** A tracer and a meter from the SDK, with what they recorded. */
export function sdk() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new ManualReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracerProvider,
    meterProvider,
    tracer: tracerProvider.getTracer('spec'),
    meter: meterProvider.getMeter('spec'),
    /** Finished spans, in the order they ended. */
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    /** The named span (the only one, or the `index`-th one ending with that name). */
    span(name: string, index = 0): ReadableSpan {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name);
      const span = found[index];
      if (!span)
        throw new Error(
          `no span ${name} #${index}; spans: ${exporter
            .getFinishedSpans()
            .map((s) => s.name)
            .join(', ')}`,
        );
      return span;
    },
    /** The metrics of one collection, by name. */
    async metrics(): Promise<Map<string, MetricData>> {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      const byName = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics)
        for (const m of scope.metrics) byName.set(m.descriptor.name, m);
      return byName;
    },
    async shutdown(): Promise<void> {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** Milliseconds of an HrTime. */
export const ms = (time: HrTime): number => time[0] * 1000 + time[1] / 1e6;

/** The span's parent span id, or undefined for a root span. */
export const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

/** The span's own id. */
export const idOf = (span: ReadableSpan): string => span.spanContext().spanId;

/** Data points of a metric as `attributes → value`, keyed by a stable string of the attributes. */
export function points(metric: MetricData | undefined): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const point of (metric?.dataPoints ?? []) as { attributes: Attributes; value: unknown }[]) {
    out.set(key(point.attributes), point.value);
  }
  return out;
}

/** `k=v,k=v` with sorted keys. */
export function key(attributes: Attributes): string {
  return Object.keys(attributes)
    .sort()
    .map((k) => `${k}=${String(attributes[k])}`)
    .join(',');
}
