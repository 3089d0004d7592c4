import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { createImportActivities } from '../../activities/import';
import { closeImportJob, createImportJob, parseCsvImport, startPage, type PagePosition } from '../../src/import';
import type { RegistrationInput } from '../../workflows/registration/api';
import { syntheticStudents, toCsv } from '../../bench/synthetic';
import { database, timeSkippingEnv, uniq, workflowBundle } from '../support/env';

/** A staged import of `count` synthetic students, recorded as the starter records it. */
async function stagedImport(count: number) {
  const { prisma } = await database();
  const parsed = parseCsvImport(toCsv(syntheticStudents({ count, prefix: uniq('P').toUpperCase(), cohortId: uniq('imp-'), registrationDeadline: '2099-08-31' })));
  const id = randomUUID();
  await createImportJob(prisma, parsed, { id, sha256: uniq('sha'), actor: 'test' });
  return { prisma, id, nos: parsed.students.map((s) => s.student.applicationNo) };
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
    const counts = await startPage({ prisma, start, concurrency: 3 }, { importId: id, offset: 0, limit: 10, before: { started: 100, existing: 0, failed: 0 } }, resumeFrom, (p) => beats.push(p));
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
    await startPage({ prisma, start, concurrency: 6 }, { importId: id, offset: 0, limit: 6, before: { started: 0, existing: 0, failed: 0 } }, undefined, (p) => beats.push(p));
    const beforeRow0 = beats.filter((b) => b.counts.started > 0 && b.next === 0);
    assert.equal(beforeRow0.length, 0, 'no position counts a row it does not cover');
    assert.ok(beats.slice(1, -1).every((b) => b.next === 0), `positions while row 0 ran: ${JSON.stringify(beats)}`);
    assert.deepEqual(beats.at(-1), { next: 6, counts: { started: 6, existing: 0, failed: 0 } });
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

  it('a cancelled attempt (its page taken over after a heartbeat timeout) stops starting rows', async () => {
    const { prisma, id } = await stagedImport(8);
    let n = 0;
    const start = async () => (n++, 'started' as const);
    await startPage({ prisma, start, concurrency: 1 }, { importId: id, offset: 0, limit: 8, before: { started: 0, existing: 0, failed: 0 } }, undefined, () => {}, () => n >= 3);
    assert.equal(n, 3);
  });
});

describe('import workflow', () => {
  it('ends ABANDONED, leaving no job, when its starter died before recording the job', async function () {
    this.timeout(120_000);
    const env = await timeSkippingEnv();
    const { prisma } = await database();
    const taskQueue = uniq('imp');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createImportActivities({ prisma, temporal: env.client, config: { TEMPORAL_TASK_QUEUE: taskQueue, IMPORT_CONCURRENCY: 4 } }),
    });
    const importId = randomUUID();
    const outcome = await worker.runUntil(env.client.workflow.execute('cohortImportWorkflow', { taskQueue, workflowId: uniq('import-'), args: [{ importId }] }));
    assert.deepEqual(outcome, { status: 'ABANDONED', importId });
    assert.equal(await prisma.importJob.count({ where: { id: importId } }), 0);
  });
});
