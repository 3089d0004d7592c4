/**
 * The upload cap through the HTTP API: the eleventh file for one item is
 * refused by the workflow's validator and answered 409 with a machine-readable
 * code. Before, every re-upload while SUBMITTED was accepted, until the history
 * passed Temporal's limit and the server terminated the registration. A file
 * sent for review is not replaced at all until the registry decides.
 */
import assert from 'node:assert/strict';
import { admit, fetchJson, startStack, statusOf, uploadFile, type TestStack } from './support';
import { aPdf } from '../kit/samples';

describe('gateway: uploads per item are capped', function () {
  this.timeout(180_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  const item = (a: { applicationNo: string }) => `${stack.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT`;
  const reject = async (a: { applicationNo: string }) => {
    const res = await fetchJson(`${item(a)}/reject`, { method: 'POST', bearer: stack.officerKey, json: { reasonCode: 'UNREADABLE', note: 'Blurred.' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };

  it('a file sent for review cannot be replaced until the registry decides: another upload, by the student or by staff, is 409 and records nothing', async () => {
    const a = await admit(stack);
    const url = `${item(a)}/documents`;
    const sent = await uploadFile(url, aPdf('the first'), 'id.pdf', { bearer: a.session, type: 'application/pdf' });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    for (const bearer of [a.session, stack.officerKey]) {
      const res = await uploadFile(url, aPdf('another'), 'id-2.pdf', { bearer, type: 'application/pdf' });
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.equal(res.body.code, 'INVALID_TRANSITION');
      assert.match(res.body.message, /sent for review/);
    }
    const status = await statusOf(stack, a.applicationNo);
    const id = status.items.find((i) => i.key === 'ID_DOCUMENT')!;
    assert.deepEqual(
      id.submissions.map((s) => s.originalName),
      ['id.pdf'],
    );
    assert.equal(id.expectedVerificationBy, sent.body.expectedVerificationBy, 'the review clock did not restart');
    await reject(a);
    const again = await uploadFile(url, aPdf('another'), 'id-2.pdf', { bearer: a.session, type: 'application/pdf' });
    assert.equal(again.status, 201, JSON.stringify(again.body));
  });

  it('ten uploads of one item are taken (each after a rejection); the eleventh is 409 SUBMISSION_LIMIT_REACHED with the limit', async () => {
    const a = await admit(stack);
    const url = `${item(a)}/documents`;
    for (let i = 1; i <= 10; i++) {
      const res = await uploadFile(url, aPdf(`version ${i}`), `id-${i}.pdf`, { bearer: a.session, type: 'application/pdf' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await reject(a);
    }
    const refused = await uploadFile(url, aPdf('one too many'), 'id-11.pdf', { bearer: a.session, type: 'application/pdf' });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'SUBMISSION_LIMIT_REACHED');
    assert.equal(refused.body.details.limit, 10);
    assert.equal(refused.body.details.reason, 'SubmissionLimitReached');
    assert.match(refused.body.message, /10 submissions/);
  });
});
