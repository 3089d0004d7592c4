/**
 * OpenTelemetry traces, off by default (OTEL_TRACES_EXPORTER=none): with `otlp`
 * each process sends its spans to OTEL_EXPORTER_OTLP_ENDPOINT (OTLP over HTTP).
 * One trace runs from an HTTP request (the gateway's server span, or the caller's
 * `traceparent`) through the Temporal client's update or signal, the workflow's
 * handling of it and the activities it orders: `@temporalio/interceptors-opentelemetry`
 * carries the context in Temporal headers. docs/operations.md, Traces.
 */
import { context, propagation, trace, type TextMapPropagator } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { Config } from '../config';

export interface Tracing {
  /** Where ended spans go (the worker hands the workflows' spans to it too). */
  processor: SpanProcessor;
  resource: Resource;
  /** Sends what is still buffered; call once at stop. */
  shutdown(): Promise<void>;
}

const propagator: TextMapPropagator = new W3CTraceContextPropagator();
let installed: Tracing | undefined;

/**
 * Registers the process's tracer provider, context manager (AsyncLocalStorage) and W3C propagator, once.
 * `processor` replaces the configured exporter (a test's in-memory one).
 */
export function installTracing(
  config: Pick<Config, 'OTEL_TRACES_EXPORTER' | 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME'>,
  defaultServiceName: string,
  processor?: SpanProcessor,
): Tracing {
  if (installed) return installed;
  const resource = new Resource({ 'service.name': config.OTEL_SERVICE_NAME ?? defaultServiceName });
  const chosen =
    processor ??
    (config.OTEL_TRACES_EXPORTER === 'otlp'
      ? new BatchSpanProcessor(new OTLPTraceExporter({ url: `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces` }))
      : undefined);
  if (!chosen) return (installed = { processor: dropped, resource, shutdown: () => Promise.resolve() });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [chosen] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable(), propagator });
  installed = { processor: chosen, resource, shutdown: () => provider.shutdown() };
  return installed;
}

/** The tracing installed in this process; none installed: spans are dropped. */
export const currentTracing = (): Tracing => installed ?? { processor: dropped, resource: Resource.default(), shutdown: () => Promise.resolve() };
const dropped = new NoopSpanProcessor();

/** A span processor that hands each span to the one installed at that moment. */
export const currentSpanProcessor: SpanProcessor = {
  onStart: (span, parent) => currentTracing().processor.onStart(span, parent),
  onEnd: (span) => currentTracing().processor.onEnd(span),
  forceFlush: () => currentTracing().processor.forceFlush(),
  shutdown: () => Promise.resolve(),
};

/** Undoes installTracing (a test's, so the next test starts without one). */
export async function uninstallTracing(): Promise<void> {
  await installed?.shutdown();
  installed = undefined;
  trace.disable();
  context.disable();
  propagation.disable();
}

/** The Temporal client's interceptor: its starts, updates, signals and queries become spans carried in Temporal headers. */
export const tracingClientInterceptors = (): { workflow: WorkflowClientInterceptor[] } => ({
  workflow: [new OpenTelemetryWorkflowClientInterceptor()],
});
