import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import type { RegistrationActivities } from '../../activities';
import { startRegistration } from '../../src/client';
import { beginImport, parseCsvImport, watchImport } from '../../src/import';
import { importWorkflowId } from '../../workflows/import/api';
import { registrationWorkflowId } from '../../workflows/registration/api';
import { uniq } from '../kit/servers';
import { syntheticStudents, toCsv } from '../kit/synthetic-students';
import { eventually, fetchJson, startStack, type TestStack } from './support';

/** startStack's registration Worker: this many activities at once. */
const REGISTRATION_SLOTS = 10;

const cohortCsv = (count: number) =>
  toCsv(syntheticStudents({ count, prefix: uniq('Q').toUpperCase(), cohortId: uniq('q-'), registrationDeadline: '2099-08-31' }));

describe('gateway: the cohort import on a task queue of its own', function () {
  this.timeout(180_000);
  let stack: TestStack;
  // Every registration activity (not a local one) waits here: the registrations' slots fill up and stay full until it opens.
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let waiting = 0;
  let through = 0;
  before(async () => {
    const held = (real: RegistrationActivities) =>
      Object.fromEntries(
        Object.entries(real).map(([name, run]) => [
          name,
          async (...args: unknown[]) => {
            // Local activities have slots of their own; the import never needs those.
            if (Context.current().info.isLocal) return (run as (...a: unknown[]) => unknown)(...args);
            waiting++;
            await gate;
            through++;
            return (run as (...a: unknown[]) => unknown)(...args);
          },
        ]),
      ) as RegistrationActivities;
    stack = await startStack({}, { activities: held });
  });
  after(async () => {
    open();
    await stack?.stop();
  });

  it("finishes while every activity slot of the registrations' queue is taken", async () => {
    // More registrations than slots, each with its first activity held: the registrations' queue has no slot free.
    const busy = parseCsvImport(cohortCsv(REGISTRATION_SLOTS + 2)).students;
    for (const input of busy) await startRegistration(stack.temporal, input, { taskQueue: stack.taskQueue });
    await eventually(
      async () => waiting,
      (n) => n >= REGISTRATION_SLOTS,
      60_000,
    );

    const csv = cohortCsv(7);
    let bound: NodeJS.Timeout | undefined;
    const res = await Promise.race([
      fetchJson(`${stack.url}/api/imports?wait=true`, { method: 'POST', bearer: stack.adminKey, headers: { 'content-type': 'text/csv' }, body: csv }),
      new Promise<never>((_, reject) => {
        bound = setTimeout(() => reject(new Error("the import waited for the registrations' activity slots")), 90_000);
      }),
    ]).finally(() => clearTimeout(bound));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.status, res.body.started, res.body.existing, res.body.failed], ['DONE', 7, 0, 0]);
    assert.equal(through, 0, 'no registration activity ran meanwhile: their slots were all taken throughout');

    // On the import worker's queue; the registrations it started on theirs.
    const { sha256 } = (await stack.prisma.importJob.findUniqueOrThrow({ where: { id: res.body.id } })) as { sha256: string };
    assert.equal((await stack.temporal.workflow.getHandle(importWorkflowId(sha256)).describe()).taskQueue, `${stack.taskQueue}-import`);
    const started = parseCsvImport(csv).students[0]!.student.applicationNo;
    assert.equal((await stack.temporal.workflow.getHandle(registrationWorkflowId(started)).describe()).taskQueue, stack.taskQueue);
  });

  it("an import started on the registrations' queue (before the import worker existed) still finishes there", async () => {
    open();
    // As the starter of the earlier release did: the import workflow on the registrations' queue.
    const { job } = await beginImport(
      { prisma: stack.prisma, temporal: stack.temporal, config: { importTaskQueue: stack.taskQueue } },
      { format: 'csv', text: cohortCsv(5) },
      { actor: 'test' },
    );
    const done = await watchImport(stack.prisma, job.id, undefined, 100);
    assert.deepEqual([done.status, done.started, done.existing, done.failed], ['DONE', 5, 0, 0]);
    assert.equal((await stack.temporal.workflow.getHandle(importWorkflowId(done.sha256)).describe()).taskQueue, stack.taskQueue);
  });
});
