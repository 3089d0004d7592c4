/**
 * The metrics endpoints of the real processes: the worker (src/worker.ts, the Temporal SDK's
 * Prometheus exporter behind its own endpoint) and the gateway (src/gateway/server.ts, prom-client),
 * each spawned as an operator starts it, on the test PostgreSQL and the dev server. Real actions
 * (a registration started, a student signing in and submitting the form, an event stream opened)
 * and then an HTTP GET of each endpoint, read with a parser of the text format.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRegistration } from '../../src/client';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { READ_MODEL_FLOOR_MS } from '../../src/gateway/metrics';
import { signInvitationToken } from '../../src/links';
import { loadConfig } from '../../src/config';
import { projectRoot } from '../../src/paths';
import { defaultCohortPolicy } from '../../workflows/registration/api';
import { parsePrometheusText, sumOf, has, type Sample } from '../kit/prometheus-text';
import { validForm } from '../kit/samples';
import { database, devServerEnv, freePort, uniq } from '../kit/servers';
import { aStudent, DAY, eventually, fetchJson } from '../gateway/support';
import { EXPORTED_METRICS } from '../support/exported-metrics';

interface Child {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(entry: string, env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { process: child, output: () => out, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

async function scrape(url: string, token?: string): Promise<Sample[]> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parsePrometheusText(await res.text());
}

describe('metrics of the running worker and gateway processes', function () {
  this.timeout(240_000);
  const taskQueue = uniq('metrics');
  const token = 'metrics-test-token-a8f3c1d9e07b42aa9c6e';
  let worker: Child;
  let gateway: Child;
  let gatewayUrl: string;
  let gatewayMetrics: string;
  let workerMetrics: string;
  let varDir: string;

  before(async function () {
    this.timeout(300_000);
    const [db, dev] = await Promise.all([database(), devServerEnv()]);
    const [gatewayPort, gatewayMetricsPort, workerMetricsPort] = [await freePort(), await freePort(), await freePort()];
    varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-metrics-'));
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      VAR_DIR: varDir,
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: dev.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      GATEWAY_PORT: String(gatewayPort),
    };
    worker = start('src/worker.ts', { ...env, WORKER_METRICS_PORT: String(workerMetricsPort), GATEWAY_METRICS_PORT: '0', METRICS_TOKEN: token });
    gateway = start('src/gateway/server.ts', { ...env, GATEWAY_METRICS_PORT: String(gatewayMetricsPort), WORKER_METRICS_PORT: '0' });
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    gatewayMetrics = `http://127.0.0.1:${gatewayMetricsPort}/metrics`;
    workerMetrics = `http://127.0.0.1:${workerMetricsPort}/metrics`;
    // The worker bundles the workflow code at start (tens of seconds on a busy machine).
    const until = Date.now() + 240_000;
    while (!/worker started/.test(worker.output()) || (await fetch(`${gatewayUrl}/readyz`).catch(() => undefined))?.status !== 200) {
      if (Date.now() > until) throw new Error(`not started.\nworker: ${worker.output()}\ngateway: ${gateway.output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  after(async () => {
    for (const c of [worker, gateway]) c?.process.kill('SIGTERM');
    await Promise.all([worker?.exited, gateway?.exited]);
    if (varDir) fs.rmSync(varDir, { recursive: true, force: true });
  });

  it('a form submission: the gateway counts it under its route template, and the worker shows the workflow tasks and activities it ran', async () => {
    const db = await database();
    const config = loadConfig({ NODE_ENV: 'test' });
    const student = aStudent();
    const before = await scrape(gatewayMetrics);
    const form = { method: 'POST', route: '/api/registrations/:applicationNo/form', status: '2xx' };
    const session = { method: 'POST', route: '/api/session', status: '2xx' };

    await startRegistration(
      (await devServerEnv()).client,
      { student, policy: defaultCohortPolicy(new Date(Date.now() + 30 * DAY).toISOString()) },
      { taskQueue },
    );
    const signedIn = await fetchJson(`${gatewayUrl}/api/session`, {
      method: 'POST',
      json: { token: await signInvitationToken(config, student.applicationNo) },
    });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    const submitted = await fetchJson(`${gatewayUrl}/api/registrations/${student.applicationNo}/form`, {
      method: 'POST',
      bearer: signedIn.body.token,
      json: { form: validForm },
    });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    const refused = await fetchJson(`${gatewayUrl}/api/registrations/${student.applicationNo}/form`, { method: 'POST', json: { form: validForm } });
    assert.equal(refused.status, 401);

    const afterText = await (await fetch(gatewayMetrics)).text();
    const after = parsePrometheusText(afterText);
    assert.equal(sumOf(after, 'http_requests_total', form) - sumOf(before, 'http_requests_total', form), 1);
    assert.equal(sumOf(after, 'http_requests_total', { ...form, status: '4xx' }) - sumOf(before, 'http_requests_total', { ...form, status: '4xx' }), 1);
    assert.equal(sumOf(after, 'http_requests_total', session) - sumOf(before, 'http_requests_total', session), 1);
    assert.equal(sumOf(after, 'http_request_duration_seconds_count', form) - sumOf(before, 'http_request_duration_seconds_count', form), 1);
    // Bounded labels: the application number is in no label, and no raw path either.
    assert.ok(!afterText.includes(student.applicationNo), 'an application number in the metrics');
    assert.ok(!after.some((s) => (s.labels.route ?? '').includes(student.applicationNo)));

    // The worker: the registration's workflow tasks and its activities, on this test's task queue.
    await eventually(
      () => db.prisma.registration.findUnique({ where: { applicationNo: student.applicationNo }, select: { seq: true } }),
      (r) => (r?.seq ?? 0) >= 2,
    );
    const w = await scrape(workerMetrics, token);
    assert.ok(sumOf(w, 'temporal_workflow_task_execution_latency_count', { task_queue: taskQueue }) >= 2, 'workflow task latency');
    assert.ok(has(w, 'temporal_workflow_task_schedule_to_start_latency_bucket', { task_queue: taskQueue }), 'workflow schedule-to-start');
    assert.ok(sumOf(w, 'temporal_activity_execution_latency_count', { task_queue: taskQueue, activity_type: 'projectRegistration' }) >= 2);
    assert.ok(has(w, 'temporal_activity_schedule_to_start_latency_bucket', { task_queue: taskQueue }), 'activity schedule-to-start');
    assert.ok(
      sumOf(w, 'progreg_projection_lag_seconds_count', { taskQueue }) >= 2,
      `the projection lag is measured at each commit: ${[...new Set(w.filter((s) => s.name.includes('projection')).map((s) => s.name + JSON.stringify(s.labels)))].join(', ')}`,
    );
    // A registration that ends is counted: another student declines, and the workflow closes once its withdrawal
    // email is sent (the first student's stays open for the next test).
    const completed = () => scrape(workerMetrics, token).then((m) => sumOf(m, 'temporal_workflow_completed_total', { task_queue: taskQueue }));
    assert.equal(await completed(), 0, 'nothing on this task queue has completed yet');
    const leaving = aStudent();
    await startRegistration(
      (await devServerEnv()).client,
      { student: leaving, policy: defaultCohortPolicy(new Date(Date.now() + 30 * DAY).toISOString()) },
      { taskQueue },
    );
    const leavingSession = await fetchJson(`${gatewayUrl}/api/session`, {
      method: 'POST',
      json: { token: await signInvitationToken(config, leaving.applicationNo) },
    });
    const declined = await fetchJson(`${gatewayUrl}/api/registrations/${leaving.applicationNo}/decline`, {
      method: 'POST',
      bearer: leavingSession.body.token,
      json: { reason: 'another offer' },
    });
    assert.equal(declined.status, 200, JSON.stringify(declined.body));
    await eventually(completed, (n) => n === 1, 30_000);
  });

  it('the worker endpoint wants its bearer token; the gateway endpoint, without METRICS_TOKEN, is on a port of its own', async () => {
    assert.equal((await fetch(workerMetrics)).status, 401);
    assert.equal((await fetch(workerMetrics, { headers: { authorization: `Bearer ${token}x` } })).status, 401);
    assert.equal((await fetch(`${gatewayUrl}/metrics`)).status, 404, 'not on the public port');
    assert.equal((await fetch(gatewayMetrics.replace('/metrics', '/'))).status, 404);
  });

  it('counts the event streams open now, and open registrations from the read model', async () => {
    const db = await database();
    const staff = await createStaffKey(db.prisma, { name: uniq('metrics.'), role: 'officer' });
    const tokenRes = await fetchJson(`${gatewayUrl}/api/events/token`, { method: 'POST', bearer: staff.key });
    assert.equal(tokenRes.status, 200, JSON.stringify(tokenRes.body));
    const baseline = sumOf(await scrape(gatewayMetrics), 'progreg_event_streams_open');
    assert.equal(baseline, 0);
    const controllers = [new AbortController(), new AbortController()];
    for (const c of controllers) {
      const res = await fetch(`${gatewayUrl}/api/events?stream_token=${encodeURIComponent(tokenRes.body.streamToken)}`, {
        headers: { accept: 'text/event-stream' },
        signal: c.signal,
      });
      assert.equal(res.status, 200);
    }
    assert.equal(sumOf(await scrape(gatewayMetrics), 'progreg_event_streams_open'), 2);
    for (const c of controllers) c.abort();
    await eventually(
      async () => sumOf(await scrape(gatewayMetrics), 'progreg_event_streams_open'),
      (n) => n === 0,
    );

    const open = await db.prisma.registration.groupBy({ by: ['status'], where: { status: { in: ['IN_PROGRESS', 'INCOMPLETE'] } }, _count: true });
    const inProgress = open.find((o) => o.status === 'IN_PROGRESS')?._count ?? 0;
    assert.ok(inProgress >= 1, 'the registration of the first test is open');
    // The gateway reads the read model at most every 15 s (READ_MODEL_FLOOR_MS): an earlier scrape's count may stand until then.
    const samples = await eventually(
      () => scrape(gatewayMetrics),
      (s) => sumOf(s, 'progreg_registrations_open', { status: 'IN_PROGRESS' }) === inProgress,
      READ_MODEL_FLOOR_MS + 10_000,
    );
    assert.ok(has(samples, 'progreg_verification_breaches'));
    assert.ok(has(samples, 'nodejs_eventloop_lag_seconds'), "Node's own figures");
  });

  it('a workflow task and a projection attempt that fail are counted, and every family the alerts and the dashboard name is in a scrape', async () => {
    const db = await database();
    const { client } = await devServerEnv();
    const student = aStudent();
    // The read model refuses this one registration (a trigger raising an error, a retryable failure) until dropped.
    const refuse = uniq('metrics_refuse_').replace(/[^a-z0-9_]/gi, '_');
    await db.prisma.$executeRawUnsafe(
      `CREATE FUNCTION ${refuse}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
         IF NEW."applicationNo" = '${student.applicationNo}' THEN RAISE EXCEPTION 'refused by the metrics test'; END IF;
         RETURN NEW; END $$`,
    );
    await db.prisma.$executeRawUnsafe(`CREATE TRIGGER ${refuse} BEFORE INSERT OR UPDATE ON "Registration" FOR EACH ROW EXECUTE FUNCTION ${refuse}()`);
    // A workflow type the worker does not have: its workflow task fails.
    const unknown = await client.workflow.start('noSuchWorkflow', { taskQueue, workflowId: uniq('no-such-workflow-'), args: [] });
    try {
      await startRegistration(client, { student, policy: defaultCohortPolicy(new Date(Date.now() + 30 * DAY).toISOString()) }, { taskQueue });
      await eventually(
        () => scrape(workerMetrics, token),
        (w) =>
          sumOf(w, 'temporal_activity_execution_failed_total', { task_queue: taskQueue, activity_type: 'projectRegistration' }) >= 1 &&
          sumOf(w, 'temporal_workflow_task_execution_failed_total', { task_queue: taskQueue, workflow_type: 'noSuchWorkflow' }) >= 1,
        60_000,
      );
    } finally {
      await db.prisma.$executeRawUnsafe(`DROP TRIGGER IF EXISTS ${refuse} ON "Registration"`);
      await db.prisma.$executeRawUnsafe(`DROP FUNCTION IF EXISTS ${refuse}()`);
      await unknown.terminate('metrics test done');
    }
    // The projection's retry stores the registration once the read model takes it again.
    await eventually(
      () => db.prisma.registration.findUnique({ where: { applicationNo: student.applicationNo }, select: { seq: true } }),
      (r) => r !== null,
      60_000,
    );

    const texts = [await (await fetch(workerMetrics, { headers: { authorization: `Bearer ${token}` } })).text(), await (await fetch(gatewayMetrics)).text()];
    const families = new Set(texts.flatMap((t) => [...t.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!)));
    const samples = new Set(texts.flatMap((t) => parsePrometheusText(t).map((s) => s.name)));
    const missing = [...EXPORTED_METRICS].filter((m) => !families.has(m) && !families.has(m.replace(/_total$/, '')) && !samples.has(m));
    assert.deepEqual(missing, [], `named by the alerts or the dashboard, absent from the scrapes: ${missing.join(', ')}`);
  });
});
