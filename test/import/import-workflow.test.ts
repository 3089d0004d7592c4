import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createImportActivities } from '../../activities/import';
import { closeImportJob, createImportJob, openImportJob, parseCsvImport, startPage, type PagePosition } from '../../src/import';
import { registrationWorkflowId, type RegistrationInput } from '../../workflows/registration/api';
import { syntheticStudents, toCsv } from '../kit/synthetic-students';
import { startRegistration } from '../../src/client';
import { startOnQueue } from '../../src/import/start';
import { database, devServerEnv, testDataConverter, timeSkippingEnv, uniq, workflowBundle } from '../kit/servers';
import { createRegistration } from '../support/registration-row';
import { recordHistory } from '../workflow/histories';
import { workerTracing } from '../../src/temporal/worker-options';

/** A staged import of `count` synthetic students, recorded as the starter records it. */
async function stagedImport(count: number) {
  const { prisma } = await database();
  const parsed = parseCsvImport(
    toCsv(syntheticStudents({ count, prefix: uniq('P').toUpperCase(), cohortId: uniq('imp-'), registrationDeadline: '2099-08-31' })),
  );
  const id = randomUUID();
  await createImportJob(prisma, parsed, { id, sha256: uniq('sha'), actor: 'test' });
  return { prisma, id, nos: parsed.students.map((s) => s.student.applicationNo) };
}

/** A staged import on the dev server, with the import's own start function and its rows' inputs in file order. */
async function importOnDevServer(count: number) {
  const env = await devServerEnv();
  const { prisma, id } = await stagedImport(count);
  const taskQueue = uniq('imp');
  const start = startOnQueue(env.client, { TEMPORAL_TASK_QUEUE: taskQueue });
  const inputs = (await prisma.importRow.findMany({ where: { importId: id }, orderBy: { index: 'asc' } })).map((r) => r.input as unknown as RegistrationInput);
  return { env, prisma, id, taskQueue, start, inputs };
}

describe('import pages: resume after a crash, stop when taken over', function () {
  // The first test waits for the shared test database.
  this.timeout(180_000);
  it('a page resumed from its last heartbeat starts only the rows after it, keeping the counts before it', async () => {
    const { prisma, id, nos } = await stagedImport(10);
    const asked: string[] = [];
    const start = async (input: RegistrationInput) => (asked.push(input.student.applicationNo), 'started' as const);
    // The crashed run had finished rows 0–3: 3 started, 1 already there.
    const resumeFrom: PagePosition = { next: 4, counts: { started: 3, existing: 1, failed: 0 } };
    const beats: PagePosition[] = [];
    const counts = await startPage(
      { prisma, start, concurrency: 3 },
      { importId: id, offset: 0, limit: 10, before: { started: 100, existing: 0, failed: 0 } },
      resumeFrom,
      (p) => beats.push(p),
    );
    assert.deepEqual(asked.sort(), nos.slice(4).sort());
    assert.deepEqual(counts, { started: 100 + 3 + 6, existing: 1, failed: 0 });
    assert.deepEqual(beats.at(-1), { next: 10, counts: { started: 9, existing: 1, failed: 0 } });
    const job = await prisma.importJob.findUniqueOrThrow({ where: { id } });
    assert.deepEqual([job.started, job.existing, job.failed], [109, 1, 0], 'the job shows the pages before plus this one');
  });

  it('the heartbeat position only covers rows finished without a gap, so nothing is skipped on resume', async () => {
    const { prisma, id } = await stagedImport(6);
    // Row 0 is slow: rows 1–5 finish first, but the position cannot pass row 0 until it is done.
    let first = true;
    const start = async () => {
      if (first) {
        first = false;
        await new Promise((r) => setTimeout(r, 300));
      }
      return 'started' as const;
    };
    const beats: PagePosition[] = [];
    await startPage({ prisma, start, concurrency: 6 }, { importId: id, offset: 0, limit: 6, before: { started: 0, existing: 0, failed: 0 } }, undefined, (p) =>
      beats.push(p),
    );
    const beforeRow0 = beats.filter((b) => b.counts.started > 0 && b.next === 0);
    assert.equal(beforeRow0.length, 0, 'no position counts a row it does not cover');
    assert.ok(
      beats.slice(1, -1).every((b) => b.next === 0),
      `positions while row 0 ran: ${JSON.stringify(beats)}`,
    );
    assert.deepEqual(beats.at(-1), { next: 6, counts: { started: 6, existing: 0, failed: 0 } });
  });

  it('opening a job looks again for a starter whose transaction commits just after the workflow first asks', async () => {
    const { prisma } = await database();
    const parsed = parseCsvImport(
      toCsv(syntheticStudents({ count: 3, prefix: uniq('O').toUpperCase(), cohortId: uniq('open-'), registrationDeadline: '2099-08-31' })),
    );
    const id = randomUUID();
    // The first look misses the job: the starter records it only then.
    let looks = 0;
    const late = new Proxy(prisma, {
      get(target, key, receiver) {
        if (key !== 'importJob') return Reflect.get(target, key, receiver);
        return {
          ...target.importJob,
          findUnique: async (args: Parameters<typeof target.importJob.findUnique>[0]) => {
            if (++looks > 1) return target.importJob.findUnique(args);
            await createImportJob(prisma, parsed, { id, sha256: uniq('sha'), actor: 'test' });
            return null;
          },
        };
      },
    });
    assert.deepEqual(await openImportJob(late, id), { valid: 3 });
    assert.equal(looks, 2);
  });

  it('closing a job removes its staged rows before anyone can see it finished', async () => {
    const { prisma, id } = await stagedImport(5);
    // Seen at the moment the job is marked DONE: the rows that are still staged.
    let stagedWhenDone: number | undefined;
    const watched = new Proxy(prisma, {
      get(target, key, receiver) {
        if (key !== 'importJob') return Reflect.get(target, key, receiver);
        return {
          ...target.importJob,
          update: async (args: Parameters<typeof target.importJob.update>[0]) => {
            if (args.data.status === 'DONE') stagedWhenDone = await target.importRow.count({ where: { importId: id } });
            return target.importJob.update(args);
          },
        };
      },
    });
    await closeImportJob(watched, id, 'DONE', { started: 5, existing: 0, failed: 0 });
    assert.equal(stagedWhenDone, 0);
    const job = await prisma.importJob.findUniqueOrThrow({ where: { id } });
    assert.deepEqual([job.status, job.started], ['DONE', 5]);
  });

  it('an attempt still running after the job closed (taken over, then late) leaves the final counts alone', async () => {
    const { prisma, id } = await stagedImport(3);
    await closeImportJob(prisma, id, 'DONE', { started: 3, existing: 0, failed: 0 });
    // Its last progress write: the counts as it knew them, from before the page that finished the job.
    await startPage(
      { prisma, start: async () => 'started' as const, concurrency: 1 },
      { importId: id, offset: 0, limit: 3, before: { started: 0, existing: 0, failed: 0 } },
      undefined,
      () => {},
    );
    const job = await prisma.importJob.findUniqueOrThrow({ where: { id } });
    assert.deepEqual([job.status, job.started, job.existing, job.failed], ['DONE', 3, 0, 0]);
  });

  it('a cancelled attempt (its page taken over after a heartbeat timeout) stops starting rows', async () => {
    const { prisma, id } = await stagedImport(8);
    let n = 0;
    const start = async () => (n++, 'started' as const);
    await startPage(
      { prisma, start, concurrency: 1 },
      { importId: id, offset: 0, limit: 8, before: { started: 0, existing: 0, failed: 0 } },
      undefined,
      () => {},
      () => n >= 3,
    );
    assert.equal(n, 3);
  });
});

describe('import workflow', () => {
  const registrationQueue = (importQueue: string) => `${importQueue}-registrations`;
  /** The import workflow with the real import activities against the test database. */
  async function importWorker(env: TestWorkflowEnvironment, taskQueue: string) {
    const { prisma } = await database();
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      ...workerTracing(),
      dataConverter: testDataConverter(),
      // The registrations go to a queue no worker polls here: this test is about the import, not their runs.
      activities: createImportActivities({
        prisma,
        temporal: env.client,
        config: { TEMPORAL_TASK_QUEUE: registrationQueue(taskQueue), IMPORT_CONCURRENCY: 4 },
      }),
    });
    return { env, prisma, worker };
  }

  it('starts every staged row, counts the ones already there as existing, and closes the job with its staged rows gone', async function () {
    // Also the recorder of the import's replay fixture: RECORD_HISTORIES=1 npx mocha test/import/import-workflow.test.ts
    this.timeout(120_000);
    const taskQueue = uniq('imp');
    // The dev server: the registrations the import starts carry our search attributes, which the time-skipping server lacks.
    const { env, prisma, worker } = await importWorker(await devServerEnv(), taskQueue);
    const { id, nos } = await stagedImport(6);
    const rows = await prisma.importRow.findMany({ where: { importId: id }, orderBy: { index: 'asc' } });
    // Two of the six were started before (an earlier import, or a start the gateway retried).
    for (const row of rows.slice(0, 2))
      await startRegistration(env.client, row.input as unknown as RegistrationInput, { taskQueue: registrationQueue(taskQueue) });
    const handle = await env.client.workflow.start('cohortImportWorkflow', { taskQueue, workflowId: uniq('import-'), args: [{ importId: id }] });
    const outcome = await worker.runUntil(handle.result());
    assert.deepEqual(outcome, { status: 'DONE', importId: id, started: 4, existing: 2, failed: 0 });
    const job = await prisma.importJob.findUniqueOrThrow({ where: { id } });
    assert.deepEqual([job.status, job.started, job.existing, job.failed], ['DONE', 4, 2, 0]);
    assert.equal(await prisma.importRow.count({ where: { importId: id } }), 0);
    for (const no of nos) assert.equal((await env.client.workflow.getHandle(registrationWorkflowId(no)).describe()).type, 'registrationWorkflow');
    await recordHistory('cohort-import', handle as never);
  });

  it('a page resumed after its attempt died counts the rows that attempt started as started, not as already there', async function () {
    this.timeout(120_000);
    const { env, prisma, id, taskQueue, start, inputs } = await importOnDevServer(6);
    // The dead attempt started rows 0–3, but its last heartbeat covered row 0 only.
    for (const input of inputs.slice(0, 4)) assert.equal(await start(input, id), 'started');
    // Row 5 came from an earlier import of another file.
    await startRegistration(env.client, inputs[5]!, { taskQueue, importId: randomUUID() });
    const counts = await startPage(
      { prisma, start, concurrency: 2 },
      { importId: id, offset: 0, limit: 6, before: { started: 0, existing: 0, failed: 0 } },
      { next: 1, counts: { started: 1, existing: 0, failed: 0 } },
      () => {},
    );
    // Rows 0–4 were started by this import (1 counted before, 1–3 by the dead attempt, 4 now); row 5 was there.
    assert.deepEqual(counts, { started: 5, existing: 1, failed: 0 });
  });

  it('a retried page with no heartbeat details (the server lost them, or none reached it) still counts the rows its dead attempt started as started', async function () {
    // The dev server warns that it does not keep heartbeat details of a failed attempt: the retry then
    // arrives without a position, and the read model already holds rows the dead attempt started.
    this.timeout(120_000);
    const { env, prisma, id, taskQueue, start, inputs } = await importOnDevServer(4);
    // The dead attempt started rows 0–2, and the projection had recorded them.
    for (const input of inputs.slice(0, 3)) {
      assert.equal(await start(input, id), 'started');
      const { student, policy } = input;
      await prisma.cohort.createMany({
        data: [{ id: student.cohortId, registrationDeadline: new Date(policy.registrationDeadline), policy: {} }],
        skipDuplicates: true,
      });
      await createRegistration(prisma, { applicationNo: student.applicationNo, cohortId: student.cohortId });
    }
    const activities = createImportActivities({ prisma, temporal: env.client, config: { TEMPORAL_TASK_QUEUE: taskQueue, IMPORT_CONCURRENCY: 2 } });
    const retry = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: undefined });
    const counts = await retry.run(activities.startImportPage, { importId: id, offset: 0, limit: 4, before: { started: 0, existing: 0, failed: 0 } });
    assert.deepEqual(counts, { started: 4, existing: 0, failed: 0 });
  });

  it('ends ABANDONED, leaving no job, when its starter died before recording the job', async function () {
    this.timeout(120_000);
    const taskQueue = uniq('imp');
    // Time skipping: the job is waited for over about two minutes of retries before the import is given up.
    const { env, prisma, worker } = await importWorker(await timeSkippingEnv(), taskQueue);
    const importId = randomUUID();
    const outcome = await worker.runUntil(
      env.client.workflow.execute('cohortImportWorkflow', { taskQueue, workflowId: uniq('import-'), args: [{ importId }] }),
    );
    assert.deepEqual(outcome, { status: 'ABANDONED', importId });
    assert.equal(await prisma.importJob.count({ where: { id: importId } }), 0);
  });
});
