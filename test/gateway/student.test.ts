import assert from 'node:assert/strict';
import { Client } from '@temporalio/client';
import { admit, eventually, fetchJson, projected, settled, startGateway, startStack, statusOf, type TestStack } from './support';
import { testDataConverter } from '../kit/servers';
import { validForm } from '../kit/samples';

describe('gateway: a student on their registration', function () {
  this.timeout(120_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  it('reads the live status with contacts, upload rules and photo spec, and gets 304 until it changes', async () => {
    const a = await admit(stack, { residency: 'NON_LOCAL', studyLevel: 'UG', admissionRoute: 'JUPAS' });
    // Settled: the invitation is sent (a change of its own) and projected, so the read model has the workflow's seq.
    await eventually(
      () => statusOf(stack, a.applicationNo),
      (s) => s.emails.some((e) => e.kind === 'INVITATION'),
    );
    await projected(stack, a.applicationNo);
    const res = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}`, { bearer: a.session });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.applicationNo, a.applicationNo);
    assert.equal(res.body.status, 'IN_PROGRESS');
    assert.deepEqual(
      res.body.items.map((i: any) => i.key),
      ['ACTIVATION', 'FORM', 'ID_DOCUMENT', 'VISA', 'PHOTO'],
    );
    assert.equal(res.body.contacts.visa, 'studentvisa@ust.hk');
    assert.deepEqual(res.body.uploads.VISA.mediaTypes, ['application/pdf', 'image/jpeg', 'image/png']);
    assert.deepEqual(res.body.uploads.PHOTO.mediaTypes, ['image/jpeg', 'image/png']);
    assert.equal(res.body.photoSpec.portrait, true);
    assert.equal(res.body.workflowUrl, undefined, 'students get no Temporal UI link');

    const etag = res.headers.get('etag')!;
    const same = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}`, { bearer: a.session, headers: { 'if-none-match': etag } });
    assert.equal(same.status, 304);

    const form = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/form`, { method: 'POST', bearer: a.session, json: { form: validForm } });
    assert.equal(form.status, 200, JSON.stringify(form.body));
    // Read without If-None-Match right after the answer, naming its change (as the portal does after its own action):
    // the answer holds it, from the workflow while the read model is behind.
    assert.equal(typeof form.body.seq, 'number');
    const fresh = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}?seq=${form.body.seq}`, { bearer: a.session });
    assert.equal(fresh.status, 200);
    assert.notEqual(fresh.headers.get('etag'), etag);
    assert.equal(fresh.body.items.find((i: any) => i.key === 'FORM').state, 'VERIFIED');
    // A poll with the old tag: 304 from the read model only until the change is projected, then the new status.
    const changed = await eventually(
      () => fetchJson(`${stack.url}/api/registrations/${a.applicationNo}`, { bearer: a.session, headers: { 'if-none-match': etag } }),
      (r) => r.status !== 304,
    );
    assert.equal(changed.status, 200);
    assert.equal(changed.headers.get('etag'), fresh.headers.get('etag'));
  });

  it('answers a current poll (304) and a full read from the read model, without asking the workflow; a read naming a change it lacks asks', async () => {
    const a = await admit(stack);
    const url = `${stack.url}/api/registrations/${a.applicationNo}`;
    // Settled: the invitation's delivery (a change of its own) is projected, so workflow and read model agree. (The
    // status itself is the read model's now, so its ETag always matches the row's: it cannot tell when they agree.)
    const etag: string | null = `W/"${await settled(stack, a.applicationNo)}-student"`;
    assert.equal((await fetchJson(url, { bearer: a.session })).headers.get('etag'), etag);
    // A gateway whose Temporal client cannot see the workflow (wrong namespace): only the read model can answer.
    const blind = await startGateway({
      env: { TEMPORAL_TASK_QUEUE: stack.taskQueue },
      prisma: stack.prisma,
      temporal: new Client({ connection: stack.temporal.connection, namespace: 'no-such-namespace', dataConverter: testDataConverter() }),
    });
    try {
      const polled = await fetchJson(`${blind.url}/api/registrations/${a.applicationNo}`, { bearer: a.session, headers: { 'if-none-match': etag! } });
      assert.equal(polled.status, 304);
      assert.equal(polled.headers.get('etag'), etag!);
      // The whole status is in the read model (a registration within the bounds of an update's answer: one email,
      // no file), as the workflow answers it through a gateway that can ask it.
      const stored = await fetchJson(`${blind.url}/api/registrations/${a.applicationNo}`, { bearer: a.session });
      assert.equal(stored.status, 200, JSON.stringify(stored.body));
      assert.equal(stored.headers.get('etag'), etag!);
      assert.deepEqual(
        stored.body.items.map((i: any) => [i.key, i.state]),
        [
          ['ACTIVATION', 'PENDING'],
          ['FORM', 'PENDING'],
          ['ID_DOCUMENT', 'PENDING'],
          ['PHOTO', 'PENDING'],
        ],
      );
      assert.deepEqual(
        stored.body.emails.map((e: any) => e.kind),
        ['INVITATION'],
      );
      // The workflow's answer, through the gateway that can ask it, once the read model holds none: the same text,
      // keys in the same order (a page compares what it drew with what it reads again).
      await stack.prisma.statusSnapshot.delete({ where: { applicationNo: a.applicationNo } });
      const asked = await fetchJson(url, { bearer: a.session });
      assert.equal(asked.status, 200);
      assert.equal(JSON.stringify(stored.body), JSON.stringify(asked.body), 'the read model answers as the workflow does');
      // A change the read model does not hold yet is the workflow's to tell: this gateway cannot ask it.
      const seq = Number(/W\/"(\d+)-/.exec(etag!)![1]);
      const ahead = await fetchJson(`${blind.url}/api/registrations/${a.applicationNo}?seq=${seq + 1}`, { bearer: a.session });
      assert.notEqual(ahead.status, 200, 'a read naming a later change asks the workflow');
    } finally {
      await blind.close();
    }
  });

  it('submits the form once: 200 with the item VERIFIED, then 409 from the workflow', async () => {
    const a = await admit(stack);
    const url = `${stack.url}/api/registrations/${a.applicationNo}/form`;
    const first = await fetchJson(url, { method: 'POST', bearer: a.session, json: { form: validForm } });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.key, 'FORM');
    assert.equal(first.body.state, 'VERIFIED');
    const again = await fetchJson(url, { method: 'POST', bearer: a.session, json: { form: validForm } });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'INVALID_TRANSITION');
    assert.equal(again.body.details.reason, 'InvalidTransition');
  });

  it('refuses an invalid form with 400 and field-level details, and changes nothing', async () => {
    const a = await admit(stack);
    const bad = { ...validForm, dateOfBirth: '06/05/2004', picsConsent: false, emergencyContact: { ...validForm.emergencyContact, phone: '' } };
    const res = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/form`, { method: 'POST', bearer: a.session, json: { form: bad } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'VALIDATION_FAILED');
    const paths = res.body.details.issues.map((i: any) => i.path).sort();
    assert.deepEqual(paths, ['form.dateOfBirth', 'form.emergencyContact.phone', 'form.picsConsent']);
    assert.ok(res.body.details.issues.every((i: any) => i.in === 'body' && i.message));
    const status = await statusOf(stack, a.applicationNo);
    assert.equal(status.items.find((i) => i.key === 'FORM')!.state, 'PENDING');
  });

  it('answers malformed JSON with 400, not a stack trace', async () => {
    const a = await admit(stack);
    const res = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/form`, {
      method: 'POST',
      bearer: a.session,
      headers: { 'content-type': 'application/json' },
      body: '{"form": ',
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'VALIDATION_FAILED');
    assert.doesNotMatch(JSON.stringify(res.body), /at .*\.ts:\d+/);
  });

  it('declines the offer: WITHDRAWN, and later actions are refused with 409', async () => {
    const a = await admit(stack);
    const res = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/decline`, {
      method: 'POST',
      bearer: a.session,
      json: { reason: 'Accepted another offer' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'WITHDRAWN');
    const form = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/form`, { method: 'POST', bearer: a.session, json: { form: validForm } });
    assert.equal(form.status, 409);
    assert.equal(form.body.code, 'INVALID_TRANSITION');
  });

  it('404s a registration that does not exist (for staff) and 403s it for a student', async () => {
    const a = await admit(stack);
    const missing = await fetchJson(`${stack.url}/api/registrations/NOPE-00000`, { bearer: stack.officerKey });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'REGISTRATION_NOT_FOUND');
    const other = await fetchJson(`${stack.url}/api/registrations/NOPE-00000`, { bearer: a.session });
    assert.equal(other.status, 403);
  });
});
