/**
 * The upload cap through the HTTP API: the eleventh file for one item is
 * refused by the workflow's validator and answered 409 with a machine-readable
 * code. Before, every re-upload while SUBMITTED was accepted, until the history
 * passed Temporal's limit and the server terminated the registration.
 */
import assert from 'node:assert/strict';
import { admit, startStack, uploadFile, type TestStack } from './support';
import { aPdf } from '../kit/samples';

describe('gateway: uploads per item are capped', function () {
  this.timeout(180_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  it('ten uploads of one item are taken; the eleventh is 409 SUBMISSION_LIMIT_REACHED with the limit', async () => {
    const a = await admit(stack);
    const url = `${stack.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents`;
    for (let i = 1; i <= 10; i++) {
      const res = await uploadFile(url, aPdf(`version ${i}`), `id-${i}.pdf`, { bearer: a.session, type: 'application/pdf' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    const refused = await uploadFile(url, aPdf('one too many'), 'id-11.pdf', { bearer: a.session, type: 'application/pdf' });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'SUBMISSION_LIMIT_REACHED');
    assert.equal(refused.body.details.limit, 10);
    assert.equal(refused.body.details.reason, 'SubmissionLimitReached');
    assert.match(refused.body.message, /10 submissions/);
  });
});
