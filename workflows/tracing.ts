/**
 * OpenTelemetry's workflow interceptors (`@temporalio/interceptors-opentelemetry`), bundled with the
 * workflows as an interceptor module: spans of a workflow's run, its updates and signals and the
 * activities it schedules, with the trace context passed on in the activities' headers.
 *
 * Behind `patched()`: the interceptors await their spans before passing a call on, which moves the
 * moment an activity's command is emitted against a timer's or an upsert's, so a history recorded
 * without them does not replay (the replay guard caught it on a deadline extension). A patch cannot be
 * asked before the workflow starts, so the run decides when it starts (the inbound `execute`, the first
 * call of every run and of every replay) and every call after follows that decision: a run started
 * before keeps running untraced, a run started since records the marker and is traced for good.
 * docs/registration-workflow.md, Versioning; docs/operations.md, Traces.
 *
 * The spans leave the sandbox through `LiveSpanExport` rather than the SDK's own span processor: the same spans,
 * handed to the exporter at the same moment, except those that end while the run replays its history, which the
 * worker would drop anyway (docs/registration-workflow.md, "What a replay costs").
 */
// First: loading the SDK's workflow interceptors patches the sandbox (a `performance` global) for OpenTelemetry's
// packages, which read it when they load (the span exporter's @opentelemetry/core among them).
import { interceptors as openTelemetry } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors';
import { SpanExporter } from '@temporalio/interceptors-opentelemetry/lib/workflow/span-exporter';
import { TraceFlags, trace, type ProxyTracerProvider } from '@opentelemetry/api';
import type { BasicTracerProvider, ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';
import { patched } from './patches';

const TRACING_PATCH = 'opentelemetry-tracing';

type Interceptor = Record<string, (input: unknown, next: (input: unknown) => unknown) => unknown>;

/** Every method of `inner`, run only while the run is traced; otherwise the call goes straight on. `decide` names the method that decides. */
function whenTraced<T extends object>(inner: T, run: { traced: boolean | undefined }, decide?: string): T {
  const methods: Interceptor = {};
  let proto: object | null = inner;
  while (proto && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const fn = (inner as Interceptor)[name];
      if (name === 'constructor' || typeof fn !== 'function' || name in methods) continue;
      methods[name] = (input, next) => {
        if (name === decide) run.traced = patched(TRACING_PATCH);
        return run.traced ? fn.call(inner, input, next) : next(input);
      };
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return methods as T;
}

/**
 * What the interceptors' tracer does with a span that ends: as the SDK's (a SimpleSpanProcessor over its
 * SpanExporter, which hands the span to the worker's `exporter` sink at once), without the promises that processor
 * makes for each span (each costs a stack capture in the SDK), and nothing for a span that ends while the run
 * replays history events: the worker drops those calls of a sink that is not called during replay (ours is not,
 * src/temporal/worker-options.ts), after the sandbox has serialized and cloned the span for it.
 */
class LiveSpanExport implements SpanProcessor {
  private readonly exporter = new SpanExporter();

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    // The flag the worker filters sink calls on: false during a query handler, which is live.
    if (workflowInfo().unsafe.isReplayingHistoryEvents) return;
    this.exporter.export([span], () => undefined);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Puts LiveSpanExport in the place of the processor the SDK's interceptors gave their tracer provider (registered
 * as the sandbox's global one when they were made), before any span starts: a span takes its provider's processor
 * when it starts. Should a later version register something else, its own processor stays (the spans are the
 * same; test/workflow/replay-cost.test.ts fails).
 */
function exportLiveSpansOnly(): void {
  const provider = (trace.getTracerProvider() as ProxyTracerProvider).getDelegate();
  if ('activeSpanProcessor' in provider) (provider as BasicTracerProvider).activeSpanProcessor = new LiveSpanExport();
}

/** Called once per run (the SDK's interceptor factory): the decision lives in this closure, so it is the run's own whatever the sandbox shares. */
export const interceptors = (): WorkflowInterceptors => {
  const run: { traced: boolean | undefined } = { traced: undefined };
  const inner = openTelemetry();
  exportLiveSpansOnly();
  return {
    inbound: inner.inbound?.map((i) => whenTraced(i, run, 'execute')),
    outbound: inner.outbound?.map((i) => whenTraced(i, run)),
    internals: inner.internals?.map((i) => whenTraced(i, run)),
  };
};
