/**
 * One trace from an HTTP request to the workflow's activities: a real gateway (its server span, its
 * Temporal client's interceptor), the dev server, and a worker with the bundled workflow interceptors
 * and the activity interceptors, every span collected by an in-memory exporter installed as the
 * process's tracer provider. The form submission is an update; its workflow handling projects the
 * change (the projectRegistration activity).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { installTracing, tracingClientInterceptors, uninstallTracing } from '../../src/observability/tracing';
import { validForm } from '../kit/samples';
import { devServerEnv, testDataConverter } from '../kit/servers';
import { admit, eventually, fetchJson, startStack, type TestStack } from './support';

describe('traces: an HTTP request through the update, the workflow and its activities', function () {
  this.timeout(120_000);
  const exporter = new InMemorySpanExporter();
  const logLines: string[] = [];
  let stack: TestStack;

  before(async function () {
    this.timeout(240_000);
    installTracing(loadConfig({ NODE_ENV: 'test' }), 'progreg-test', new SimpleSpanProcessor(exporter));
    const dev = await devServerEnv();
    // The gateway's client as connectClient makes it: with the tracing interceptor.
    const temporal = new Client({ connection: dev.client.connection, dataConverter: testDataConverter(), interceptors: tracingClientInterceptors() });
    stack = await startStack({}, { temporal, logLines });
  });
  after(async () => {
    await stack?.stop();
    await uninstallTracing();
  });

  const spansOf = (traceId: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);

  it("continues the caller's traceparent: server span, update, its handling in the workflow and the projection activity share the trace id", async () => {
    const a = await admit(stack);
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const res = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/form`, {
      method: 'POST',
      bearer: a.session,
      json: { form: validForm },
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));

    const spans = await eventually(
      () => Promise.resolve(spansOf(traceId)),
      (s) => named(s, 'RunActivity:projectRegistration').length > 0,
    );
    const [server] = named(spans, 'POST /api/registrations/:applicationNo/form');
    assert.ok(server, `the server span; spans of the trace: ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(server.kind, SpanKind.SERVER);
    assert.equal(server.parentSpanId, callerSpan, "a child of the caller's span");
    assert.equal(server.attributes['http.response.status_code'], 200);
    const update = named(spans, 'StartWorkflowUpdate:submitForm')[0] ?? spans.find((s) => s.name.startsWith('StartWorkflowUpdate:'));
    assert.ok(update, `the client's update span; spans: ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(update.parentSpanId, server.spanContext().spanId, 'the update is made inside the request');
    assert.ok(
      spans.some((s) => s.name.startsWith('HandleUpdate:')),
      `the workflow's handling of the update; spans: ${spans.map((s) => s.name).join(', ')}`,
    );
    assert.ok(named(spans, 'StartActivity:projectRegistration').length >= 1, 'the workflow scheduling the projection');

    // The request's log line carries the trace id.
    const line = logLines.map((l) => JSON.parse(l) as Record<string, any>).find((l) => l.req?.url?.endsWith(`/${a.applicationNo}/form`) && l.res);
    assert.ok(line, 'the request was logged');
    assert.equal(line.trace_id, traceId);
  });

  it('without a traceparent the request starts the trace, and its activity is in it', async () => {
    const a = await admit(stack);
    const res = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/decline`, {
      method: 'POST',
      bearer: a.session,
      json: { reason: 'Going to another university.' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const server = await eventually(
      () => Promise.resolve(exporter.getFinishedSpans().find((s) => s.name === 'POST /api/registrations/:applicationNo/decline')),
      (s) => s !== undefined,
    );
    assert.equal(server!.parentSpanId, undefined, 'a root span');
    const traceId = server!.spanContext().traceId;
    await eventually(
      () => Promise.resolve(spansOf(traceId)),
      (s) => named(s, 'RunActivity:projectRegistration').length > 0,
    );
  });
});
