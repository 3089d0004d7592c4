/**
 * The server span of every HTTP request: continued from the caller's W3C `traceparent` when it sends
 * one (a proxy, a browser's instrumentation), else the root of a new trace. Handlers run inside it, so
 * the Temporal client's update or signal (its interceptor) and every log line of the request belong to
 * the same trace. Named by method and route template, never the raw path. docs/operations.md, Traces.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { routeTemplate } from './metrics';

const tracer = trace.getTracer('progreg-gateway');

export function serverSpans() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(req.method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } }, parent);
    res.once('close', () => {
      const route = routeTemplate(req);
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
      if (res.headersSent) span.setAttribute('http.response.status_code', res.statusCode);
      if (!res.headersSent || res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
