/**
 * POST /api/registrations/:no/reclassification (docs/gateway.md): officers and
 * admins only, the body checked at the edge (only the four facts, at least one,
 * a reason), the workflow's refusals as 409/422, and the read model following
 * (the registration row's facts, the new and no-longer-required items).
 */
import assert from 'node:assert/strict';
import { admit, eventually, fetchJson, startStack, type TestStack } from './support';

describe('gateway: reclassification', function () {
  this.timeout(120_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  it('staff reclassify; students may not; bad bodies are 400, a refusal by the rules 422, a closed registration 409', async () => {
    const a = await admit(
      stack,
      { studyLevel: 'UG', admissionRoute: 'JUPAS', residency: 'NON_LOCAL', programCode: 'BSC-COMP' },
      { tuitionFee: { amount: 44500, currency: 'HKD' } },
    );
    const url = `${stack.url}/api/registrations/${a.applicationNo}/reclassification`;
    const post = (json: unknown, bearer = stack.officerKey) => fetchJson(url, { method: 'POST', bearer, json });

    assert.equal((await post({ changes: { residency: 'LOCAL' }, reason: 'x' }, a.session)).status, 403);
    const unknownField = await post({ changes: { cohortId: 'other' }, reason: 'x' });
    assert.equal(unknownField.status, 400, JSON.stringify(unknownField.body));
    assert.equal((await post({ changes: {}, reason: 'x' })).status, 400, 'at least one fact');
    assert.equal((await post({ changes: { residency: 'LOCAL' } })).status, 400, 'a reason');
    assert.equal((await post({ changes: { residency: 'SOMEWHERE' }, reason: 'x' })).status, 400);
    const noRoute = await post({ changes: { admissionRoute: 'JUPAS' }, reason: 'x' });
    assert.equal(noRoute.status, 422, JSON.stringify(noRoute.body));
    assert.match(noRoute.body.message, /changes nothing/);

    // A non-local JUPAS undergraduate becomes a local non-JUPAS one: the visa goes, the tuition receipt comes.
    const done = await post({
      changes: { residency: 'LOCAL', admissionRoute: 'NON_JUPAS', programCode: 'beng-civl' },
      reason: 'HKID card produced; route corrected',
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual([done.body.student.residency, done.body.student.admissionRoute, done.body.student.programCode], ['LOCAL', 'NON_JUPAS', 'BENG-CIVL']);
    const states = Object.fromEntries(done.body.items.map((i: { key: string; state: string }) => [i.key, i.state]));
    assert.equal(states.VISA, 'NOT_REQUIRED');
    assert.equal(states.TUITION_RECEIPT, 'PENDING');

    const row = await eventually(
      () => stack.prisma.registration.findUnique({ where: { applicationNo: a.applicationNo }, include: { items: true } }),
      (r) => r?.residency === 'LOCAL',
    );
    assert.deepEqual([row!.admissionRoute, row!.programCode], ['NON_JUPAS', 'BENG-CIVL']);
    const items = Object.fromEntries(row!.items.map((i) => [i.key, i.state]));
    assert.deepEqual([items.VISA, items.TUITION_RECEIPT], ['NOT_REQUIRED', 'PENDING']);
    const list = await fetchJson(`${stack.url}/api/registrations?programCode=BENG-CIVL&residency=LOCAL`, { bearer: stack.officerKey });
    assert.ok(
      list.body.items.some((r: { applicationNo: string }) => r.applicationNo === a.applicationNo),
      'the list filters on the new facts',
    );

    // Closed: declined, the workflow ends; the gateway answers 409.
    assert.equal((await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/decline`, { method: 'POST', bearer: a.session, json: {} })).status, 200);
    await eventually(
      () => fetchJson(`${stack.url}/api/registrations/${a.applicationNo}`, { bearer: stack.officerKey }),
      (r) => r.body.status === 'WITHDRAWN',
    );
    const closed = await post({ changes: { programCode: 'MSC-IT' }, reason: 'too late' });
    assert.equal(closed.status, 409, JSON.stringify(closed.body));
  });
});
