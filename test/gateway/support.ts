/**
 * A real gateway for HTTP tests: createApp over the shared test PostgreSQL and
 * the dev server, listening on a free port with its own upload folder; with
 * `startStack`, also the worker process's two Workers: the real registration
 * workflows and activities (emails to the outbox) on the gateway's task queue,
 * and the cohort import on the import queue.
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { activityDepsFromConfig, createActivities, type RegistrationActivities } from '../../activities';
import { createImportActivities, importWorkerOptions } from '../../activities/import';
import { IMPORT_WORKER_OPTIONS } from '../../src/import/run';
import { startRegistration } from '../../src/client';
import { loadConfig, type Config } from '../../src/config';
import { createPrisma, type PrismaClient } from '../../src/db/prisma';
import { createApp } from '../../src/gateway/app';
import { createHttpServer } from '../../src/gateway/http-server';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { signInvitationToken } from '../../src/links';
import { SIGNATURE_HEADER, signWebhook } from '../../src/gateway/webhooks/signature';
import { ChangeFeed } from '../../src/live/changes';
import { createLogger } from '../../src/logger';
import {
  defaultCohortPolicy,
  getStatusQuery,
  registrationWorkflowId,
  type RegistrationStatusView,
  type StudentRecord,
  type CohortPolicy,
} from '../../workflows/registration/api';
import { database, devServerEnv, freePort, testDataConverter, uniq, workflowBundle } from '../kit/servers';
import { aStudent as workflowStudent } from '../workflow/support';
import { workerTracing } from '../../src/temporal/worker-options';

export const DAY = 24 * 3600_000;

export interface TestGateway {
  url: string;
  config: Config;
  prisma: PrismaClient;
  temporal: Client;
  close(): Promise<void>;
}

export async function startGateway(
  opts: { env?: NodeJS.ProcessEnv; prisma?: PrismaClient; temporal?: Client; logLines?: string[]; now?: () => number } = {},
): Promise<TestGateway> {
  const port = await freePort();
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-gw-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    VAR_DIR: varDir,
    GATEWAY_PORT: String(port),
    ...opts.env,
  });
  const prisma = opts.prisma ?? (await database()).prisma;
  const temporal = opts.temporal ?? (await devServerEnv()).client;
  // logLines: collect the JSON log lines instead of printing them (for tests of the logs themselves).
  const logger = opts.logLines
    ? createLogger({ LOG_LEVEL: 'info' }, 'gateway', { write: (line: string) => void opts.logLines!.push(line) })
    : createLogger(config, 'gateway');
  // Live pages: this gateway's own LISTEN connection, as each production gateway has.
  const changes = new ChangeFeed((await database()).url);
  const app = createApp({ config, prisma, temporal, logger, changes, ...(opts.now ? { now: opts.now } : {}) });
  const server: Server = await new Promise((resolve) => {
    const s = createHttpServer(app, config, logger).listen(port, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    prisma,
    temporal,
    async close() {
      await changes.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      fs.rmSync(varDir, { recursive: true, force: true });
    },
  };
}

export interface TestStack extends TestGateway {
  taskQueue: string;
  /** API keys of an admin and an officer. */
  adminKey: string;
  officerKey: string;
  stop(): Promise<void>;
}

/** Gateway + a Worker with the real workflows and activities, sharing one task queue on the dev server. */
export async function startStack(
  env: NodeJS.ProcessEnv = {},
  options: {
    activities?: (real: RegistrationActivities) => RegistrationActivities;
    temporal?: Client;
    logLines?: string[];
    /** The registrations' worker polls only once this settles (until then no workflow task runs: a worker down). */
    workerFrom?: Promise<void>;
  } = {},
): Promise<TestStack> {
  const taskQueue = uniq('gw');
  const devEnv = await devServerEnv();
  const gw = await startGateway({ env: { TEMPORAL_TASK_QUEUE: taskQueue, ...env }, temporal: options.temporal, logLines: options.logLines });
  // The worker has its own connection pool, as it has in its own process in production.
  const workerPrisma = createPrisma((await database()).url);
  const shared = { connection: devEnv.nativeConnection, workflowBundle: await workflowBundle(), ...workerTracing(), dataConverter: testDataConverter() };
  const worker = await Worker.create({
    ...shared,
    taskQueue,
    activities: {
      ...(options.activities ?? ((a) => a))(createActivities(activityDepsFromConfig(gw.config, workerPrisma))),
      ...createImportActivities({ prisma: workerPrisma, temporal: gw.temporal, config: gw.config }),
    },
    ...IMPORT_WORKER_OPTIONS,
    // As the worker process does: no more activities at once than its pool has connections.
    maxConcurrentActivityTaskExecutions: 10,
  });
  const importWorker = await Worker.create({ ...shared, ...importWorkerOptions({ prisma: workerPrisma, temporal: gw.temporal, config: gw.config }) });
  const running = Promise.all([(options.workerFrom ?? Promise.resolve()).then(() => worker.run()), importWorker.run()]);
  const [admin, officer] = await Promise.all([
    createStaffKey(gw.prisma, { name: uniq('admin.'), role: 'admin' }),
    createStaffKey(gw.prisma, { name: uniq('officer.'), role: 'officer' }),
  ]);
  return {
    ...gw,
    taskQueue,
    adminKey: admin.key,
    officerKey: officer.key,
    async stop() {
      // The worker first: its activities write into the gateway's folders (outbox), which close() removes.
      worker.shutdown();
      importWorker.shutdown();
      await running;
      await workerPrisma.$disconnect();
      await gw.close();
    },
  };
}

/** The workflow tests' student, in a cohort of its own. */
export const aStudent = (overrides: Partial<StudentRecord> = {}): StudentRecord =>
  // Upper case, as the import stores application numbers.
  workflowStudent({ cohortId: 'cohort-gw-test', applicationNo: uniq('A').toUpperCase(), ...overrides });

export interface Admitted {
  applicationNo: string;
  student: StudentRecord;
  /** Student session token (bearer). */
  session: string;
  inviteToken: string;
}

/** Starts a registration through the real start helper and signs the student in through the API. */
export async function admit(
  stack: TestStack,
  overrides: Partial<StudentRecord> = {},
  policy: Partial<Omit<CohortPolicy, 'registrationDeadline'>> & { registrationDeadline?: string } = {},
): Promise<Admitted> {
  const student = aStudent(overrides);
  const { registrationDeadline = new Date(Date.now() + 30 * DAY).toISOString(), ...rest } = policy;
  await startRegistration(stack.temporal, { student, policy: defaultCohortPolicy(registrationDeadline, rest) }, { taskQueue: stack.taskQueue });
  const inviteToken = await signInvitationToken(stack.config, student.applicationNo);
  const res = await fetchJson(`${stack.url}/api/session`, { method: 'POST', json: { token: inviteToken } });
  if (res.status !== 200) throw new Error(`session exchange failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { applicationNo: student.applicationNo, student, session: res.body.token, inviteToken };
}

export const statusOf = (stack: TestStack, applicationNo: string): Promise<RegistrationStatusView> =>
  stack.temporal.workflow.getHandle(registrationWorkflowId(applicationNo)).query(getStatusQuery);

/**
 * Waits until the read model holds every change the workflow has made so far (its Registration row's seq reaches the
 * live status's): an action answers before its change is projected (docs/registration-workflow.md).
 */
export async function projected(stack: TestStack, applicationNo: string): Promise<number> {
  const { seq } = await statusOf(stack, applicationNo);
  await eventually(
    () => stack.prisma.registration.findUnique({ where: { applicationNo }, select: { seq: true } }),
    (row) => (row?.seq ?? -1) >= seq,
  );
  return seq;
}

/**
 * Waits until a just-admitted registration is settled: its invitation sent and every change so far projected, so that
 * nothing is being projected and no change comes until the test acts. Answers the seq it settled at.
 */
export async function settled(stack: TestStack, applicationNo: string): Promise<number> {
  await eventually(
    () => statusOf(stack, applicationNo),
    (s) => s.emails.some((e) => e.kind === 'INVITATION'),
  );
  return projected(stack, applicationNo);
}

/** The identity provider's signed webhook: the student's university account is active (the form is the next step). */
export async function activateAccount(gw: Pick<TestGateway, 'url' | 'config'>, applicationNo: string): Promise<void> {
  const event = JSON.stringify({
    id: uniq('evt-'),
    type: 'account.activated',
    applicationNo,
    universityEmail: `${applicationNo.toLowerCase()}@connect.ust.hk`,
  });
  const res = await fetch(`${gw.url}/api/webhooks/identity`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(gw.config.WEBHOOK_SECRET, event) },
    body: event,
  });
  if (res.status !== 202) throw new Error(`identity webhook refused: ${res.status} ${await res.text()}`);
}

/** Polls until `check` passes (for the read model, which the projection activity fills shortly after a change). */
export async function eventually<T>(fn: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (check(v)) return v;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function fetchJson<T = any>(url: string, init: RequestInit & { json?: unknown; bearer?: string } = {}): Promise<JsonResponse<T>> {
  const headers = new Headers(init.headers);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  if (init.bearer) headers.set('authorization', `Bearer ${init.bearer}`);
  const res = await fetch(url, { redirect: 'manual', ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: body as T };
}

/** POSTs one file as multipart/form-data in the field `file`. */
export function uploadFile(url: string, bytes: Buffer, name: string, opts: { bearer?: string; type?: string; field?: string } = {}) {
  const form = new FormData();
  form.append(opts.field ?? 'file', new Blob([new Uint8Array(bytes)], { type: opts.type ?? 'application/octet-stream' }), name);
  return fetchJson(url, { method: 'POST', body: form, bearer: opts.bearer });
}
