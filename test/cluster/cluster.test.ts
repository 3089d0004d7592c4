/**
 * The production topology, for real: `startCluster` (what `npm run cluster`
 * runs) with the Temporal server on PostgreSQL, SeaweedFS, two built workers,
 * the import worker and two built gateways. A cohort is imported through
 * gateway A; gateway A, the import worker and one registration worker are
 * killed (SIGKILL) while it runs; a student acts through
 * gateway B. At the end every registration is accounted for, in the job, the
 * read model and Temporal's visibility (search-attribute queries), and a
 * rate limit spent on one gateway holds on the other.
 *
 * Needs the Go-built servers in .tools/go (`npm run setup:cluster`; .ci/run
 * builds them; test/support/go-tools.ts says what happens without them) and
 * `npm run build` (run here).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { connectTemporal } from '../../src/temporal/connection';
import { importWorkflowId } from '../../workflows/import/api';
import { getStatusQuery } from '../../workflows/registration/api';
import { syntheticStudents, toCsv } from '../kit/synthetic-students';
import { startCluster, type Cluster } from '../../src/cluster/cluster';
import { freeClusterPorts } from '../../src/cluster/free-ports';
import { loadConfig } from '../../src/config';
import { createPrisma, type PrismaClient } from '../../src/db/prisma';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { Stack } from '../../src/launcher/stack';
import { signInvitationToken } from '../../src/links';
import { projectRoot } from '../../src/paths';
import { testDataConverter, uniq } from '../kit/servers';
import { requireGoTools } from '../support/go-tools';
import { eventually, fetchJson, uploadFile } from '../gateway/support';
import { aPdf, validForm } from '../kit/samples';

const STUDENTS = 200;
// Made for this run: a value written in the repository would be a published secret.
const TOKEN_SECRET = randomBytes(32).toString('base64url');

/** SIGKILL to the process group: a crash, not a shutdown. */
const crash = (pid: number) => process.kill(-pid, 'SIGKILL');

describe('cluster: Temporal on PostgreSQL, two workers, two gateways, shared storage and limits', function () {
  this.timeout(20 * 60_000);
  const logs: string[] = [];
  let stack: Stack;
  let cluster: Cluster;
  let prisma: PrismaClient;
  let temporal: Client;
  let varDir: string;

  before(async function () {
    requireGoTools(this, ['temporal', 'ui', 'seaweedfs']);
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
    varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-cluster-'));
    stack = new Stack('cluster', (line) => logs.push(line));
    cluster = await startCluster({
      stack,
      varDir,
      namespace: 'progreg-test',
      taskQueue: 'registration',
      ports: await freeClusterPorts(2),
      workers: 2,
      env: { NODE_ENV: 'test', LOG_LEVEL: 'warn', TOKEN_SECRET, AUTH_RATE_LIMIT_PER_MINUTE: '3' },
      s3: { bucket: 'progreg-test', accessKeyId: 'cluster-test', secretAccessKey: 'cluster-test-secret' },
    });
    prisma = createPrisma(cluster.databaseUrl);
    temporal = new Client({
      connection: await connectTemporal({ address: cluster.temporalAddress, tls: cluster.temporalTls }),
      namespace: 'progreg-test',
      dataConverter: testDataConverter(),
    });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(logs.slice(-150).join('\n'));
  });

  after(async () => {
    await prisma?.$disconnect();
    await temporal?.connection.close();
    await stack?.shutdown();
    if (varDir) fs.rmSync(varDir, { recursive: true, force: true });
  });

  it('runs on the real server: both gateways ready, Temporal on PostgreSQL (not the dev server), the UI serving', async () => {
    for (const g of cluster.gateways) assert.equal((await fetch(`${g.url}/readyz`)).status, 200);
    const info = await temporal.connection.workflowService.getSystemInfo({});
    assert.ok(info.serverVersion?.startsWith('1.32'), `server ${info.serverVersion}`);
    const tables = await prisma.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM pg_database WHERE datname IN ('temporal', 'temporal_visibility')`;
    assert.equal(Number(tables[0]!.n), 2);
    assert.equal((await fetch(cluster.uiUrl!)).status, 200);
    assert.ok(cluster.s3Endpoint, 'SeaweedFS holds the uploads (the replicas share no folder)');
  });

  it('an import through gateway A survives gateway A, the import worker and a registration worker crashing mid-way; a student acts through gateway B; every registration is accounted for', async () => {
    const [a, b] = cluster.gateways as [Cluster['gateways'][0], Cluster['gateways'][0]];
    const { key: admin } = await createStaffKey(prisma, { name: uniq('admin.'), role: 'admin' });
    const cohortId = uniq('cl-');
    const prefix = uniq('K').toUpperCase();
    const csv = toCsv(syntheticStudents({ count: STUDENTS, prefix, cohortId, registrationDeadline: new Date(Date.now() + 60 * 86400_000).toISOString() }));

    const started = await fetchJson(`${a.url}/api/imports`, { method: 'POST', bearer: admin, headers: { 'content-type': 'text/csv' }, body: csv });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const jobId: string = started.body.id;

    // Mid-way: some started, not all.
    await eventually(
      () => prisma.importJob.findUniqueOrThrow({ where: { id: jobId } }),
      (j) => j.started + j.existing >= 20,
      120_000,
    );
    const gatewayPid = a.process.child().pid!;
    const importWorkerPid = cluster.importWorker.child().pid!;
    const workerPid = cluster.workers[0]!.child().pid!;
    crash(gatewayPid);
    crash(importWorkerPid);
    crash(workerPid);
    const midway = await prisma.importJob.findUniqueOrThrow({ where: { id: jobId } });
    assert.equal(midway.status, 'RUNNING');

    // Gateway B answers throughout; the job finishes on the restarted import worker, its page resumed from the last heartbeat.
    const done = await eventually(
      () => fetchJson(`${b.url}/api/imports/${jobId}`, { bearer: admin }),
      (r) => r.body.status !== 'RUNNING',
      300_000,
    );
    assert.equal(done.body.status, 'DONE', JSON.stringify(done.body));
    assert.equal(done.body.valid, STUDENTS);
    assert.equal(done.body.failed, 0);
    assert.equal(done.body.started + done.body.existing, STUDENTS, 'every valid row started exactly once (a row redone after the crash counts as existing)');
    // How many count as started rather than existing depends on how far the killed worker got past its last
    // heartbeat; that every student has exactly one workflow is checked in visibility below.
    assert.ok(done.body.started > 0, `started ${done.body.started}`);
    assert.equal(await prisma.importRow.count({ where: { importId: jobId } }), 0, 'staged rows removed');
    // The import worker ran every activity of the import, and no registration worker did: an attempt's identity
    // is the process that polled it (the SDK's pid@host), the import worker before or after its restart.
    const importHistory = await temporal.workflow.getHandle(importWorkflowId(done.body.sha256)).fetchHistory();
    const ranIn = (importHistory.events ?? []).flatMap((e) => {
      const identity = e.activityTaskStartedEventAttributes?.identity;
      return identity ? [identity.split('@')[0]] : [];
    });
    assert.ok(ranIn.length >= 3, `openImport, a page and closeImport, got ${ranIn.length}`);
    const importWorkerPids = [String(importWorkerPid), String(cluster.importWorker.child().pid)];
    for (const pid of ranIn) assert.ok(importWorkerPids.includes(pid!), `an import activity ran in process ${pid}, not in the import worker`);
    assert.ok(
      cluster.gateways[0]!.process.restarts() >= 1 && cluster.importWorker.restarts() >= 1 && cluster.workers[0]!.restarts() >= 1,
      'the crashed processes were restarted',
    );
    await eventually(
      () =>
        fetch(`${a.url}/readyz`)
          .then((r) => r.status)
          .catch(() => 0),
      (s) => s === 200,
      120_000,
    );

    // Every registration: a workflow each (visibility, by search attribute) and a row each in the read model.
    const count = (query: string) => temporal.workflow.count(query).then((c) => c.count);
    await eventually(
      () => count(`CohortId="${cohortId}"`),
      (n) => n === STUDENTS,
      120_000,
    );
    await eventually(
      () => prisma.registration.count({ where: { cohortId } }),
      (n) => n === STUDENTS,
      180_000,
    );
    const ug = (await prisma.registration.findMany({ where: { cohortId, studyLevel: 'UG' }, select: { applicationNo: true } })).length;
    await eventually(
      () => count(`CohortId="${cohortId}" AND StudyLevel="UG"`),
      (n) => n === ug,
      60_000,
    );

    // A student signs in and submits the form through gateway B; the search attributes follow.
    const student = `${prefix}00001`;
    const config = loadConfig({ ...cluster.env, TOKEN_SECRET });
    const session = await fetchJson(`${b.url}/api/session`, { method: 'POST', json: { token: await signInvitationToken(config, student) } });
    assert.equal(session.status, 200, JSON.stringify(session.body));
    const form = await fetchJson(`${b.url}/api/registrations/${student}/form`, { method: 'POST', bearer: session.body.token, json: { form: validForm } });
    assert.equal(form.status, 200, JSON.stringify(form.body));
    await eventually(
      () => count(`WorkflowId="registration-${student}" AND OutstandingItems="FORM"`),
      (n) => n === 0,
      60_000,
    );
    assert.equal(await count(`WorkflowId="registration-${student}" AND OutstandingItems="ID_DOCUMENT"`), 1);
    // …and gateway A, restarted, reads the same registration, naming the form's change as a client does after its action.
    const seen = await fetchJson(`${a.url}/api/registrations/${student}?seq=${form.body.seq}`, { bearer: session.body.token });
    assert.equal(seen.status, 200);
    // A complete form needs no review (domain rules): it is VERIFIED as soon as it is submitted.
    assert.equal(seen.body.items.find((i: { key: string }) => i.key === 'FORM')?.state, 'VERIFIED');

    // A file uploaded through gateway B is downloadable through both (the shared S3 store).
    const pdf = aPdf('cluster');
    const up = await uploadFile(`${b.url}/api/registrations/${student}/items/ID_DOCUMENT/documents`, pdf, 'id.pdf', {
      bearer: session.body.token,
      type: 'application/pdf',
    });
    assert.ok(up.status === 200 || up.status === 201, JSON.stringify(up.body));
    for (const g of [a, b]) {
      const res = await fetch(`${g.url}/api/registrations/${student}/documents/${up.body.document.id}`, {
        headers: { authorization: `Bearer ${session.body.token}` },
      });
      assert.equal(res.status, 200, g.url);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(pdf), `the same bytes from ${g.url}`);
    }
  });

  it("its built workers collect no workflow stack traces (WORKFLOW_STACK_TRACES off): the UI's Stack Trace tab is told so", async () => {
    const row = await prisma.registration.findFirst({ select: { workflowId: true } });
    assert.ok(row, 'a registration of the import above');
    const handle = temporal.workflow.getHandle(row.workflowId);
    assert.equal((await handle.query(getStatusQuery)).workflowId, row.workflowId, 'the workflow answers its own queries');
    // The SDK refuses the stack-trace query ("Workflow stack traces are not enabled on this worker"); like every failure
    // message it leaves the worker sealed (src/temporal/failure-converter.ts), and a query's failure comes back as text.
    await assert.rejects(handle.query('__stack_trace'), /Encoded failure/);
  });

  it('a rate limit spent on one gateway holds on the other', async () => {
    const [a, b] = cluster.gateways as [Cluster['gateways'][0], Cluster['gateways'][0]];
    const guess = (url: string) =>
      fetch(`${url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token":"guess"}' }).then((r) => r.status);
    const codes = [await guess(a.url), await guess(b.url), await guess(a.url), await guess(b.url)];
    assert.deepEqual(codes, [401, 401, 401, 429]);
  });
});
