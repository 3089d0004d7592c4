/**
 * Idempotent actions end to end: the Idempotency-Key header becomes the
 * Temporal update id, so a retried action gets its first answer. Before, the
 * retry of a form the workflow had taken was refused (409 "once only"), also
 * when the first attempt had answered 503 because the read model was slow.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { RegistrationActivities } from '../../activities';
import { admit, eventually, fetchJson, startStack, statusOf, type TestStack } from './support';
import { validForm } from '../kit/samples';

const postForm = (stack: TestStack, no: string, session: string, key?: string) =>
  fetchJson(`${stack.url}/api/registrations/${no}/form`, {
    method: 'POST',
    bearer: session,
    json: { form: validForm },
    headers: key ? { 'idempotency-key': key } : {},
  });

/** Sends the request whole, then hangs up before the answer arrives (the client never learns the outcome). */
function postAndHangUp(url: string, session: string, key: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), authorization: `Bearer ${session}`, 'idempotency-key': key },
    });
    req.on('error', () => resolve());
    req.on('response', () => reject(new Error('the answer arrived before the hang-up')));
    req.end(data, () => {
      req.destroy();
      resolve();
    });
  });
}

describe('gateway: idempotent actions (Idempotency-Key → Temporal update id)', function () {
  this.timeout(120_000);

  describe('on a healthy stack', () => {
    let stack: TestStack;
    before(async () => {
      stack = await startStack();
    });
    after(async () => stack?.stop());

    it('the same form submission sent twice with the same key gets the same success; without a key the second is refused', async () => {
      const a = await admit(stack);
      const first = await postForm(stack, a.applicationNo, a.session, 'form-key-0001');
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const again = await postForm(stack, a.applicationNo, a.session, 'form-key-0001');
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.deepEqual(again.body, first.body);
      assert.equal(again.body.state, 'VERIFIED');
      // A new key is a new action: the form is submitted once only.
      const other = await postForm(stack, a.applicationNo, a.session, 'form-key-0002');
      assert.equal(other.status, 409);
      assert.equal(other.body.code, 'INVALID_TRANSITION');
      const none = await postForm(stack, a.applicationNo, a.session);
      assert.equal(none.status, 409);
    });

    it('the first answer lost (client hung up): the retry with the same key gets the success', async () => {
      const a = await admit(stack);
      const url = `${stack.url}/api/registrations/${a.applicationNo}/form`;
      await postAndHangUp(url, a.session, 'lost-answer-key-1', { form: validForm });
      await eventually(
        () => statusOf(stack, a.applicationNo),
        (s) => s.items.find((i) => i.key === 'FORM')?.state === 'VERIFIED',
      );
      const retry = await postForm(stack, a.applicationNo, a.session, 'lost-answer-key-1');
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.equal(retry.body.key, 'FORM');
      assert.equal(retry.body.state, 'VERIFIED');
    });

    it('staff decisions too: a repeated waiver with the same key answers 200 both times, a new key is refused', async () => {
      const a = await admit(stack);
      await postForm(stack, a.applicationNo, a.session);
      const waive = (key: string) =>
        fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/items/PHOTO/waive`, {
          method: 'POST',
          bearer: stack.officerKey,
          json: { reason: 'photo on file' },
          headers: { 'idempotency-key': key },
        });
      const first = await waive('waive-key-0001');
      const again = await waive('waive-key-0001');
      assert.deepEqual([first.status, again.status], [200, 200]);
      assert.deepEqual(again.body, first.body);
      assert.equal((await waive('waive-key-0002')).status, 409);
    });

    it('a malformed key is a 400 naming the header', async () => {
      const a = await admit(stack);
      const res = await postForm(stack, a.applicationNo, a.session, 'has a space');
      assert.equal(res.status, 400);
      assert.match(res.body.message, /idempotency-key/);
    });
  });

  describe("when no worker takes the update in time (the update outlives the gateway's wait)", () => {
    let stack: TestStack;
    let startWorker: () => void = () => {};
    const workerFrom = new Promise<void>((r) => (startWorker = r));
    before(async () => {
      // The registrations' worker is down at first: the workflow gets the form only once it polls, so the gateway
      // gives up first (503), as while every worker restarts.
      stack = await startStack({ WORKFLOW_UPDATE_TIMEOUT_SECONDS: '2' }, { workerFrom });
    });
    after(async () => {
      startWorker();
      await stack?.stop();
    });

    it('the first attempt answers 503; the retry with the same key gets the same success, not "once only"', async () => {
      const a = await admit(stack);
      const first = await postForm(stack, a.applicationNo, a.session, 'outage-key-0001');
      assert.equal(first.status, 503, JSON.stringify(first.body));
      assert.equal(first.body.code, 'WORKFLOW_UNAVAILABLE');
      startWorker();
      const retry = await postForm(stack, a.applicationNo, a.session, 'outage-key-0001');
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.equal(retry.body.state, 'VERIFIED');
      const again = await postForm(stack, a.applicationNo, a.session, 'outage-key-0001');
      assert.deepEqual(again.body, retry.body);
    });
  });

  describe('when the read model is slow', () => {
    let stack: TestStack;
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    before(async () => {
      // The projection of the form is held back, as during a PostgreSQL outage.
      stack = await startStack(
        { WORKFLOW_UPDATE_TIMEOUT_SECONDS: '2' },
        {
          activities: (real): RegistrationActivities => ({
            ...real,
            projectRegistration: async (snapshot) => {
              if (snapshot.events.some((e) => e.type === 'FORM_SUBMITTED')) await held;
              return real.projectRegistration(snapshot);
            },
          }),
        },
      );
    });
    after(async () => {
      release();
      await stack?.stop();
    });

    it('the action still answers at once (the workflow answers before it projects); the read model follows once it can', async () => {
      const a = await admit(stack);
      const first = await postForm(stack, a.applicationNo, a.session, 'outage-key-0002');
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.state, 'VERIFIED');
      const item = () => stack.prisma.checklistItem.findUnique({ where: { registrationNo_key: { registrationNo: a.applicationNo, key: 'FORM' } } });
      assert.notEqual((await item())?.state, 'VERIFIED', 'not projected while the read model is held');
      const again = await postForm(stack, a.applicationNo, a.session, 'outage-key-0002');
      assert.deepEqual(again.body, first.body);
      release();
      await eventually(item, (row) => row?.state === 'VERIFIED');
    });
  });
});
