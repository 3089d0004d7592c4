/**
 * An upload whose workflow answer does not come in time: the gateway answers
 * 503, but the workflow still takes the update once a worker runs again. The
 * download link the status then shows must work (the bytes were kept and the
 * projection writes the Document row under the gateway's id).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { activityDepsFromConfig, createActivities } from '../../activities';
import { createPrisma } from '../../src/db/prisma';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { database, devServerEnv, testDataConverter, uniq, workflowBundle } from '../kit/servers';
import { admit, eventually, startGateway, statusOf, uploadFile, type TestGateway, type TestStack } from './support';
import { aPdf } from '../kit/samples';
import { workerTracing } from '../../src/temporal/worker-options';

describe('gateway: an upload whose workflow answer times out', function () {
  this.timeout(180_000);
  let gw: TestGateway;
  const taskQueue = uniq('gw-timeout');
  const workerPrisma = () => database().then((d) => createPrisma(d.url));

  async function runWorker() {
    const prisma = await workerPrisma();
    const worker = await Worker.create({
      connection: (await devServerEnv()).nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      ...workerTracing(),
      dataConverter: testDataConverter(),
      activities: createActivities(activityDepsFromConfig(gw.config, prisma)),
    });
    const running = worker.run();
    return {
      async stop() {
        worker.shutdown();
        await running;
        await prisma.$disconnect();
      },
    };
  }

  before(async () => {
    gw = await startGateway({ env: { TEMPORAL_TASK_QUEUE: taskQueue } });
  });
  after(async () => gw?.close());

  it('answers 503, and the download link the status shows afterwards never 404s', async () => {
    let worker = await runWorker();
    const officer = await createStaffKey(gw.prisma, { name: uniq('officer.'), role: 'officer' });
    const stack = { ...gw, taskQueue, adminKey: '', officerKey: officer.key, stop: async () => {} } satisfies TestStack;
    const a = await admit(stack);
    await eventually(
      () => gw.prisma.registration.findUnique({ where: { applicationNo: a.applicationNo } }),
      (r) => r !== null,
    );
    await worker.stop();

    const pdf = aPdf();
    const res = await uploadFile(`${gw.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents`, pdf, 'id.pdf', { bearer: a.session });
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.code, 'WORKFLOW_UNAVAILABLE');

    // The worker is back; the update the gateway gave up on is applied after all.
    worker = await runWorker();
    try {
      const status = await eventually(
        () => statusOf(stack, a.applicationNo),
        (s) => s.items.find((i) => i.key === 'ID_DOCUMENT')!.submissions.length === 1,
        60_000,
      );
      const submission = status.items.find((i) => i.key === 'ID_DOCUMENT')!.submissions[0]!;
      assert.equal(submission.sha256, createHash('sha256').update(pdf).digest('hex'));
      const download = await fetch(`${gw.url}/api/registrations/${a.applicationNo}/documents/${submission.documentId}`, {
        headers: { authorization: `Bearer ${a.session}` },
      });
      assert.equal(download.status, 200);
      assert.deepEqual(Buffer.from(await download.arrayBuffer()), pdf);
      // The projection writes the row after the workflow answers: wait for it rather than race it.
      const row = await eventually(
        () => gw.prisma.document.findUnique({ where: { id: submission.documentId! } }),
        (r) => r !== null,
        60_000,
      );
      assert.equal(row?.sha256, submission.sha256, "the projection wrote the row under the gateway's id");
      assert.equal(await gw.prisma.document.count({ where: { registrationNo: a.applicationNo } }), 1);
    } finally {
      await worker.stop();
    }
  });
});
