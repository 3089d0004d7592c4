/**
 * PostgreSQL frozen (SIGSTOP, as a stalled disk or VM does) or stopped under a
 * real gateway: every action that needs it answers 503 with Retry-After, so
 * clients and the portal retry; never 500. When it is back, the same requests
 * succeed. A PostgreSQL of its own, so the other tests' database is untouched.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRegistration } from '../../src/client';
import { migrateDeploy, startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded';
import { createPrisma, type PrismaClient } from '../../src/db/prisma';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { signWebhook, SIGNATURE_HEADER } from '../../src/gateway/webhooks/signature';
import { signInvitationToken } from '../../src/links';
import { projectRoot } from '../../src/paths';
import { defaultCohortPolicy } from '../../workflows/registration/api';
import { Worker } from '@temporalio/worker';
import { activityDepsFromConfig, createActivities } from '../../activities';
import { devServerEnv, freePort, testDataConverter, uniq, workflowBundle } from '../kit/servers';
import { aStudent, DAY, fetchJson, startGateway, type JsonResponse, type TestGateway } from './support';
import { workerTracing } from '../../src/temporal/worker-options';

/** The postmaster and every backend under it: freezing only the postmaster leaves open connections answering. */
function postgresPids(dataDir: string): number[] {
  const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' })
    .split('\n')
    .map(Number)
    .filter(Boolean);
  return [postmaster, ...children];
}

describe('gateway during a PostgreSQL outage', function () {
  this.timeout(240_000);
  let dir: string;
  let dataDir: string;
  let port: number;
  let db: EmbeddedDatabase | undefined;
  let prisma: PrismaClient;
  let gw: TestGateway;
  let staffKey: string;
  let session: string;
  let applicationNo: string;
  let frozen: number[] = [];
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-outage-'));
    dataDir = path.join(dir, 'data');
    port = await freePort();
    db = await startEmbeddedPostgres({ dataDir, port, database: 'progreg_outage' });
    migrateDeploy(db.url, projectRoot);
    prisma = createPrisma(db.url);
    gw = await startGateway({ prisma, env: { TEMPORAL_TASK_QUEUE: uniq('outage') } });
    // A worker to answer the status query (the photo-spec lookup follows it).
    worker = await Worker.create({
      connection: (await devServerEnv()).nativeConnection,
      taskQueue: gw.config.TEMPORAL_TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      ...workerTracing(),
      dataConverter: testDataConverter(),
      activities: createActivities(activityDepsFromConfig(gw.config, prisma)),
      // Activities still retrying against the restarted database must not hold the teardown.
      shutdownGraceTime: '2 seconds',
      shutdownForceTime: '10 seconds',
    });
    running = worker.run();
    staffKey = (await createStaffKey(prisma, { name: 'outage.officer', role: 'officer' })).key;
    const student = aStudent({ applicationNo: uniq('O') });
    applicationNo = student.applicationNo;
    await startRegistration(
      gw.temporal,
      { student, policy: defaultCohortPolicy(new Date(Date.now() + 30 * DAY).toISOString()) },
      { taskQueue: gw.config.TEMPORAL_TASK_QUEUE },
    );
    const signedIn = await fetchJson(`${gw.url}/api/session`, { method: 'POST', json: { token: await signInvitationToken(gw.config, applicationNo) } });
    assert.equal(signedIn.status, 200);
    session = signedIn.body.token;
  });

  after(async () => {
    for (const pid of frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
    // Teardown after an outage can stall on a connection the outage left half-open; each step is
    // bounded (and named when it stalls) so a slow close never fails the outage tests themselves.
    const bounded = async (what: string, step: () => Promise<unknown> | undefined) => {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          console.warn(`[test] database-outage teardown: ${what} still not done after 20 s; moving on`);
          resolve();
        }, 20_000);
      });
      await Promise.race([Promise.resolve(step()).catch(() => undefined), stalled]);
      clearTimeout(timer);
    };
    worker?.shutdown();
    await bounded('worker shutdown', () => running);
    await bounded('gateway close', () => gw?.close());
    await bounded('prisma disconnect', () => prisma?.$disconnect());
    await bounded('postgres stop', () => db?.stop());
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Actions that each need PostgreSQL first: staff-key lookup, the student's session check, the invitation exchange, the webhook claim. */
  const actions = (): Record<string, () => Promise<JsonResponse>> => ({
    'staff key lookup': () => fetchJson(`${gw.url}/api/staff/me`, { bearer: staffKey }),
    'student status': () => fetchJson(`${gw.url}/api/registrations/${applicationNo}`, { bearer: session }),
    'invitation exchange': async () =>
      fetchJson(`${gw.url}/api/session`, { method: 'POST', json: { token: await signInvitationToken(gw.config, applicationNo) } }),
    'webhook delivery claim': () => {
      const body = JSON.stringify({
        id: uniq('evt'),
        type: 'account.activated',
        applicationNo,
        universityEmail: `${applicationNo.toLowerCase()}@connect.ust.hk`,
      });
      return fetchJson(`${gw.url}/api/webhooks/identity`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(gw.config.WEBHOOK_SECRET, body) },
        body,
      });
    },
  });

  async function expectAll503(label: string): Promise<void> {
    const t0 = Date.now();
    const results = await Promise.all(Object.entries(actions()).map(async ([name, act]) => [name, await act()] as const));
    for (const [name, res] of results) {
      assert.equal(res.status, 503, `${label}, ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'DATABASE_UNAVAILABLE', name);
      assert.match(res.headers.get('retry-after') ?? '', /^\d+$/, `${name}: Retry-After`);
    }
    // Bounded: the pool's connect and query timeouts, not a hang until the client gives up.
    assert.ok(Date.now() - t0 < 45_000, `${label}: answered in ${Date.now() - t0} ms`);
  }

  async function expectAllWork(label: string): Promise<void> {
    for (const [name, act] of Object.entries(actions())) {
      const res = await act();
      assert.ok(res.status < 500, `${label}, ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    }
  }

  it('works before the outage', async () => {
    await expectAllWork('before');
  });

  it('frozen (SIGSTOP): 503 with Retry-After from every action, then 2xx after SIGCONT', async () => {
    frozen = postgresPids(dataDir);
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    try {
      await expectAll503('frozen');
    } finally {
      for (const pid of frozen) process.kill(pid, 'SIGCONT');
      frozen = [];
    }
    await expectAllWork('after SIGCONT');
  });

  it('stopped: 503 with Retry-After from every action, then 2xx once it is started again', async () => {
    await db!.stop();
    db = undefined;
    await expectAll503('stopped');
    db = await startEmbeddedPostgres({ dataDir, port, database: 'progreg_outage' });
    await expectAllWork('restarted');
  });
});
