/** Structured JSON logs (pino) for every process; `npm start` pretty-prints them per child. */
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import type { Config } from './config';

export type { Logger };

/**
 * The active trace's ids on every line logged inside it (an HTTP request, an activity), named as the
 * Temporal SDK's OpenTelemetry interceptors name them in workflow and activity log lines. Nothing while
 * tracing is off (docs/operations.md, Traces).
 */
function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active());
  const ids = span?.spanContext();
  return ids && isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}

/** `destination`: where the lines go instead of stdout (a test that reads them). */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, name: string, destination?: pino.DestinationStream): Logger {
  return pino({ name, level: config.LOG_LEVEL, base: { name }, mixin: traceFields }, destination);
}
