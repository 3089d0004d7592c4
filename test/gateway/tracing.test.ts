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
import { admit, eventually, fetchJson, settled, startStack, type TestStack } from './support';

describe('traces: an HTTP request through the update, the workflow and its activities', function () {
  this.timeout(120_000);
  const exporter = new InMemorySpanExporter();
  const logLines: string[] = [];
  let stack: TestStack;
  /** The projection activity waits here while a test holds it (hold() to release()); open otherwise. */
  let gate: Promise<void> | undefined;
  let release = () => {};
  const hold = () => {
    gate = new Promise<void>((resolve) => (release = resolve));
  };
  /** The snapshots the projection activity was given, in order: the seqs of each one's changes. */
  const projections: number[][] = [];

  before(async function () {
    this.timeout(240_000);
    installTracing(loadConfig({ NODE_ENV: 'test' }), 'progreg-test', new SimpleSpanProcessor(exporter));
    const dev = await devServerEnv();
    // The gateway's client as connectClient makes it: with the tracing interceptor.
    const temporal = new Client({ connection: dev.client.connection, dataConverter: testDataConverter(), interceptors: tracingClientInterceptors() });
    stack = await startStack(
      {},
      {
        temporal,
        logLines,
        activities: (real) => ({
          ...real,
          async projectRegistration(snapshot) {
            projections.push(snapshot.events.map((e) => e.seq));
            await gate;
            return real.projectRegistration(snapshot);
          },
        }),
      },
    );
  });
  after(async () => {
    release();
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
      // The workflow's StartActivity span ends when the activity's result comes back to it, after the update answered.
      (s) => named(s, 'RunActivity:projectRegistration').length > 0 && named(s, 'StartActivity:projectRegistration').length > 0,
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

  it("an action answered while another's projection is in flight: its projection, made after it answered, is in its own trace", async () => {
    const a = await admit(stack);
    await settled(stack, a.applicationNo);
    const url = (action: string) => `${stack.url}/api/registrations/${a.applicationNo}/${action}`;
    const trace = () => randomBytes(16).toString('hex');
    const [first, second] = [trace(), trace()];

    hold();
    try {
      // The form, in its trace: answered, its projection held in flight.
      const projectedBefore = projections.length;
      const form = await fetchJson(url('form'), {
        method: 'POST',
        bearer: a.session,
        json: { form: validForm },
        headers: { traceparent: `00-${first}-${randomBytes(8).toString('hex')}-01` },
      });
      assert.equal(form.status, 200, JSON.stringify(form.body));
      await eventually(
        () => Promise.resolve(projections.length),
        (n) => n > projectedBefore,
      );
      // The decline, in another trace, answered while the form's projection is still held: the projector publishes it
      // once that projection is done, from its own loop.
      const decline = await fetchJson(url('decline'), {
        method: 'POST',
        bearer: a.session,
        json: { reason: 'Going to another university.' },
        headers: { traceparent: `00-${second}-${randomBytes(8).toString('hex')}-01` },
      });
      assert.equal(decline.status, 200, JSON.stringify(decline.body));
    } finally {
      release();
    }

    const declined = await eventually(
      () => Promise.resolve(spansOf(second)),
      (s) => named(s, 'RunActivity:projectRegistration').length > 0 && named(s, 'StartActivity:projectRegistration').length > 0,
    );
    assert.ok(named(declined, 'HandleUpdate:declineOffer').length > 0, `the decline's handling; spans: ${declined.map((s) => s.name).join(', ')}`);
    assert.ok(named(declined, 'StartActivity:projectRegistration').length > 0, "the decline's projection, scheduled in its trace");
    // The form's trace keeps its own projection (the one that was held).
    assert.ok(named(spansOf(first), 'RunActivity:projectRegistration').length >= 1, "the form's projection, in its trace");
  });
});
