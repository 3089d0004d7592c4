/**
 * What the registration workflow tests share: students and messages to send,
 * a worker per test with the real activities (real PostgreSQL, outbox or a
 * Resend client), and small readers of the status. Servers, database and the
 * bundle come from test/kit/servers.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Resend } from 'resend';
import { createActivities, type RegistrationActivities } from '../../activities';
import { startRegistration, type RegistrationHandle } from '../../src/client';
import { loadConfig, type Config } from '../../src/config';
import { invitationLinks } from '../../src/links';
import {
  defaultCohortPolicy,
  getStatusQuery,
  registerDocumentUpdate,
  submitFormUpdate,
  verifyItemUpdate,
  accountActivatedSignal,
  type CohortPolicy,
  type EmailKind,
  type ItemKey,
  type RegistrationFailure,
  type RegistrationStatusView,
  type StudentRecord,
} from '../../workflows/registration/api';
import { aStudent, upload, validForm } from '../kit/samples';

export { aStudent, upload };
import { database, testDataConverter, timeSkippingEnv, uniq, workflowBundle } from '../kit/servers';
import { withSwitches, type TestSwitches } from '../kit/test-switches';
import { workerTracing } from '../../src/temporal/worker-options';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const STAFF = 'staff:officer.wong';

export const universityEmailOf = (s: StudentRecord) => `${s.applicationNo.toLowerCase()}@connect.ust.hk`;

export const policyDue = (deadlineMs: number, overrides: Partial<Omit<CohortPolicy, 'registrationDeadline'>> = {}) =>
  defaultCohortPolicy(new Date(deadlineMs).toISOString(), overrides);

export interface Harness {
  client: Client;
  taskQueue: string;
  config: Config;
  /** Starts a registration; `switches.historyBudget` makes it continue as new early (test-switches-workflow.ts). */
  start(student: StudentRecord, policy: CohortPolicy, switches?: Pick<TestSwitches, 'historyBudget'>): Promise<RegistrationHandle>;
}

/**
 * Runs `fn` with a fresh worker (own task queue) over the shared bundle and the
 * real activities. Registrations it started and that are still open are
 * terminated afterwards, so no timer of theirs fires while a later test skips time.
 */
/** Awaits an update the workflow must refuse with this failure type (and a message matching `message`); returns the failure. */
export async function refusedWith(type: RegistrationFailure, update: Promise<unknown>, message?: RegExp): Promise<ApplicationFailure> {
  try {
    await update;
  } catch (e) {
    assert.ok(e instanceof WorkflowUpdateFailedError, `expected WorkflowUpdateFailedError, got ${String(e)}`);
    assert.ok(e.cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(e.cause)}`);
    assert.equal(e.cause.type, type);
    if (message) assert.match(e.cause.message, message);
    return e.cause;
  }
  assert.fail(`expected a ${type} refusal`);
}

/**
 * The hook a time-skipping suite starts with: the shared time-skipping server and the test database (started
 * once per process, test/kit/servers.ts); `use` receives the server's environment.
 */
export function useTimeSkipping(use: (env: TestWorkflowEnvironment) => void): void {
  before(async function () {
    this.timeout(180_000);
    use(await timeSkippingEnv());
    await database();
  });
}

/**
 * The time-skipping test server keeps a lock on its clock for each workflow task it failed (an update arriving as a
 * run continues as new) and never gives it back; skipped time then passes in real time. Call with nothing in flight
 * and no timer due within the hour: it skips that hour, and while the hour does not pass at once it gives back one
 * lock at a time. Returns how many it gave back (the server refuses one too many, so it never gives back more).
 */
export async function releaseLeakedClockLocks(env: TestWorkflowEnvironment): Promise<number> {
  const hourSkipped = env.sleep(HOUR).then(() => true);
  let released = 0;
  // 10 s of real time is far more than an hour with nothing due takes to skip, even on a loaded machine.
  while (!(await Promise.race([hourSkipped, new Promise<false>((r) => setTimeout(() => r(false), 10_000))]))) {
    await env.connection.testService!.unlockTimeSkipping({});
    released++;
  }
  return released;
}

/**
 * A long test's own time limit, a little under mocha's, naming the phase it was in: past it the test fails with
 * that phase, and the worker that `withWorker` runs around it goes down instead of polling on after mocha gave up.
 */
export class Phase {
  private describe: () => string = () => 'starting';

  now(describe: () => string): void {
    this.describe = describe;
  }

  async within<T>(ms: number, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still ${this.describe()} after ${Math.round(ms / 60_000)} min`)), ms);
    });
    try {
      return await Promise.race([run(), limit]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  fn: (h: Harness) => Promise<T>,
  options: {
    resend?: Resend;
    /** Keep the custom search attributes current (default off: the time-skipping server cannot register them). */
    searchAttributes?: boolean;
    /** Wrap the real activities, e.g. to hold an email back while the test skips time. */
    wrapActivities?: (a: RegistrationActivities) => RegistrationActivities;
    /** Poll this task queue (a worker started again for registrations started earlier); default a fresh one. */
    taskQueue?: string;
    /**
     * Leave the registrations it started running when `fn` returns (the worker goes down, they stay open). The worker
     * then caches no workflow: a cached one's next task would wait on this worker's own (sticky) queue, which the
     * time-skipping server never hands on to the worker that takes over.
     */
    leaveOpen?: boolean;
    /** Cache no workflow: each workflow task replays the history first, as for a registration out of a busy worker's cache. */
    cachesNoWorkflow?: boolean;
  } = {},
): Promise<T> {
  const db = await database();
  const outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-outbox-'));
  const config = { ...loadConfig({ NODE_ENV: 'test' }), outboxDir, REGISTRY_ALERT_EMAIL: 'registry-alerts@ust.hk' };
  const real = createActivities({
    prisma: db.prisma,
    config,
    resend: options.resend,
    invitationLinks: (no, validUntil) => invitationLinks(config, no, validUntil),
  });
  const activities = options.wrapActivities ? options.wrapActivities(real) : real;
  const taskQueue = options.taskQueue ?? uniq('q');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    ...workerTracing(),
    dataConverter: testDataConverter(),
    activities,
    ...(options.leaveOpen || options.cachesNoWorkflow ? { maxCachedWorkflows: 0 } : {}),
  });
  const started: RegistrationHandle[] = [];
  const harness: Harness = {
    client: env.client,
    taskQueue,
    config,
    async start(student, policy, switches = {}) {
      const begin = () => startRegistration(env.client, { student, policy }, { taskQueue });
      const { handle } = await withSwitches({ searchAttributes: options.searchAttributes ?? false, ...switches }, begin);
      started.push(handle);
      return handle;
    },
  };
  return worker.runUntil(async () => {
    try {
      return await fn(harness);
    } finally {
      // Either way the worker goes down next: nothing of theirs may be on its way (see untilIdle).
      for (const h of started) {
        const running = await untilIdle(h);
        if (running && !options.leaveOpen) await h.terminate('test over');
      }
    }
  });
}

/**
 * Waits, while the worker still runs, until a registration is idle: no activity pending (a projection, an email) and
 * no workflow task outstanding. Answers whether it is still running. The time-skipping server keeps its clock locked
 * for a task that was handed to a worker that then went down, or that completes after its workflow was terminated:
 * every later test that skips time would wait in real time for that task's timeout (30 s per attempt, CI 7 Dec: a
 * fee test over its 180 s).
 */
export async function untilIdle(h: RegistrationHandle): Promise<boolean> {
  const until = Date.now() + 15_000;
  for (;;) {
    const d = await h.describe();
    if (d.status.name !== 'RUNNING') return false;
    if (Date.now() > until) return true;
    if (!d.raw.pendingActivities?.length) {
      const events = [...((await h.fetchHistory()).events ?? [])].reverse();
      const sinceLastTask = events.slice(
        0,
        events.findIndex((e) => e.workflowTaskCompletedEventAttributes),
      );
      const outstanding = sinceLastTask.some((e) => e.workflowTaskScheduledEventAttributes || e.workflowTaskStartedEventAttributes);
      if (!outstanding) return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const status = (h: RegistrationHandle) => h.query(getStatusQuery);

/** Retries an assertion on the status until it holds (side effects such as email deliveries land asynchronously). */
export async function eventually(h: RegistrationHandle, check: (s: RegistrationStatusView) => void, timeoutMs = 10_000): Promise<RegistrationStatusView> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(h);
    try {
      check(s);
      return s;
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Waits until the read model holds every change the workflow has made so far (its Registration row's seq reaches
 * the status's) and answers that seq. An update answers before its change is projected: the projector follows
 * (docs/registration-workflow.md, "One path for every change").
 */
export async function projected(h: RegistrationHandle, timeoutMs = 10_000): Promise<number> {
  const { seq, applicationNo } = await status(h);
  const { prisma } = await database();
  const until = Date.now() + timeoutMs;
  for (;;) {
    const row = await prisma.registration.findUnique({ where: { applicationNo }, select: { seq: true } });
    if (row && row.seq >= seq) return seq;
    if (Date.now() > until) assert.fail(`the read model of ${applicationNo} is at seq ${row?.seq ?? 'none'}, the workflow at ${seq}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Emails as `KIND→recipient,recipient`, in the order they were sent. */
const emailsOf = (s: RegistrationStatusView): string[] => s.emails.map((e) => `${e.kind}→${e.to.join(',')}`);
export const emailKinds = (s: RegistrationStatusView): EmailKind[] => s.emails.map((e) => e.kind);
export const itemState = (s: RegistrationStatusView, key: ItemKey) => s.items.find((i) => i.key === key)?.state;

/** The common start of most paths: the account activated and the form submitted. */
export async function activateAndSubmitForm(h: RegistrationHandle, student: StudentRecord): Promise<void> {
  await h.signal(accountActivatedSignal, { actor: 'system:idp', universityEmail: universityEmailOf(student) });
  await h.executeUpdate(submitFormUpdate, { args: [{ actor: 'student', form: validForm }] });
}

/** Upload files for the items, and (optionally) have staff verify them. */
export async function submit(h: RegistrationHandle, keys: ItemKey[], { verify = false } = {}): Promise<void> {
  for (const key of keys) {
    await h.executeUpdate(registerDocumentUpdate, { args: [upload(key)] });
    if (verify) await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: key }] });
  }
}

export function assertEmails(s: RegistrationStatusView, expected: string[]): void {
  assert.deepEqual(emailsOf(s), expected);
}
