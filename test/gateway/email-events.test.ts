/**
 * Resend's email events on the dev-server stack: the real gateway and worker,
 * emails through the resend SDK to the fake Resend, which reports each one to
 * POST /api/webhooks/email signed as Resend signs. Signatures, repeats and
 * unknown emails; a bounce flagged in the list, the search attribute and the
 * dashboard, and put right by a staff correction.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { emailEvent, signEmailEvent } from '../../src/email/resend-events';
import { registrationWorkflowId } from '../../workflows/registration/api';
import { FakeResend } from '../kit/fake-resend';
import { admit, eventually, fetchJson, startStack, statusOf, type TestStack } from './support';

describe('gateway: email events (Resend webhook)', function () {
  this.timeout(120_000);
  let stack: TestStack;
  let fake: FakeResend;
  before(async () => {
    fake = await new FakeResend().start();
    stack = await startStack({ RESEND_API_KEY: fake.apiKey, RESEND_BASE_URL: fake.baseUrl, REGISTRY_ALERT_EMAIL: 'registry-alerts@ust.hk' });
    fake.sendEventsTo(`${stack.url}/api/webhooks/email`, stack.config.RESEND_WEBHOOK_SECRET!);
  });
  after(async () => {
    await fake?.eventsSettled();
    await stack?.stop();
    await fake?.stop();
  });

  const post = (delivery: { body: string; headers: Record<string, string> }) =>
    fetchJson(`${stack.url}/api/webhooks/email`, { method: 'POST', headers: delivery.headers, body: delivery.body });
  const unknownEmail = () =>
    emailEvent('email.delivered', { id: `email_${randomUUID()}`, from: 'someone@else.example', to: ['x@example.com'], subject: 'Not ours' });

  it('refuses a wrong secret, a tampered body, missing headers and an old timestamp; records nothing', async () => {
    const event = unknownEmail();
    const wrong = signEmailEvent(`whsec_${randomBytes(24).toString('base64')}`, event);
    const res = await post(wrong);
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'BAD_SIGNATURE');
    const good = signEmailEvent(stack.config.RESEND_WEBHOOK_SECRET!, event);
    assert.equal((await post({ ...good, body: good.body.replace('Not ours', 'Not ours!') })).body.code, 'BAD_SIGNATURE');
    const { 'svix-signature': _s, ...unsigned } = good.headers;
    assert.equal((await post({ body: good.body, headers: unsigned })).status, 401);
    const old = signEmailEvent(stack.config.RESEND_WEBHOOK_SECRET!, event, `msg_${randomUUID()}`, new Date(Date.now() - 10 * 60_000));
    assert.equal((await post(old)).body.code, 'STALE_WEBHOOK');
    for (const d of [wrong, good, old]) assert.equal(await stack.prisma.emailEvent.count({ where: { id: d.headers['svix-id'] } }), 0);
  });

  it('records an email it never sent and answers 2xx; the same svix-id again changes nothing', async () => {
    const event = unknownEmail();
    const delivery = signEmailEvent(stack.config.RESEND_WEBHOOK_SECRET!, event);
    const first = await post(delivery);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body, { accepted: true, eventId: delivery.headers['svix-id'], matched: false });
    const again = await post(delivery);
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    const emailId = (event.data as { email_id: string }).email_id;
    assert.equal(await stack.prisma.emailEvent.count({ where: { providerId: emailId } }), 1);
    const row = await stack.prisma.emailDelivery.findUnique({ where: { providerId: emailId } });
    assert.equal(row?.state, 'DELIVERED');
    assert.equal(row?.idempotencyKey, null);
    assert.equal(row?.registrationNo, null);
  });

  it('a delivered invitation is recorded as DELIVERED against its key, and nothing is flagged', async () => {
    const a = await admit(stack);
    const row = await eventually(
      () => stack.prisma.emailDelivery.findFirst({ where: { idempotencyKey: `registration-${a.applicationNo}:INVITATION:1` } }),
      (r) => r?.state === 'DELIVERED',
    );
    assert.equal(row!.registrationNo, a.applicationNo);
    assert.equal((await statusOf(stack, a.applicationNo)).personalEmailProblem, undefined);
  });

  it("the registry's alert about a student's bounced address is staff's: the student's own status lists only the student's emails", async () => {
    const a = await admit(stack, { personalEmail: `bounced+${randomUUID().slice(0, 8)}@resend.dev` });
    const view = (bearer: string) => fetchJson(`${stack.url}/api/registrations/${a.applicationNo}`, { bearer });
    const kinds = (body: { emails: { kind: string }[] }) => body.emails.map((e) => e.kind);
    const staff = await eventually(
      () => view(stack.officerKey),
      (r) => kinds(r.body).includes('ADDRESS_UNDELIVERABLE'),
    );
    assert.deepEqual(kinds(staff.body).sort(), ['ADDRESS_UNDELIVERABLE', 'INVITATION']);
    const student = await view(a.session);
    assert.equal(student.status, 200, JSON.stringify(student.body));
    assert.deepEqual(kinds(student.body), ['INVITATION']);
    assert.ok(!JSON.stringify(student.body.emails).includes('registry-alerts@ust.hk'), "the registry's address is not shown");
  });

  it('a bounced invitation flags the registration in the list, the search attribute and the dashboard; a correction clears it and sends one fresh invitation', async () => {
    const cohortId = `cohort-bounce-${randomUUID().slice(0, 8)}`;
    const a = await admit(stack, { cohortId, personalEmail: `bounced+${randomUUID().slice(0, 8)}@resend.dev` });
    await admit(stack, { cohortId });
    const flagged = await eventually(
      () => fetchJson(`${stack.url}/api/registrations?cohortId=${cohortId}&emailProblem=true`, { bearer: stack.officerKey }),
      (r) => r.body.total === 1,
    );
    assert.equal(flagged.body.items[0].applicationNo, a.applicationNo);
    assert.equal(flagged.body.items[0].personalEmailProblem, 'BOUNCED');
    const dashboard = await fetchJson(`${stack.url}/api/dashboard/undeliverable-emails?cohortId=${cohortId}`, { bearer: stack.officerKey });
    assert.equal(dashboard.status, 200, JSON.stringify(dashboard.body));
    assert.deepEqual(dashboard.body, {
      total: 1,
      problems: [
        { problem: 'BOUNCED', count: 1 },
        { problem: 'COMPLAINED', count: 0 },
      ],
    });
    const attributes = await eventually(
      async () => (await stack.temporal.workflow.getHandle(registrationWorkflowId(a.applicationNo)).describe()).searchAttributes,
      (sa) => (sa.PersonalEmailProblem as string[] | undefined)?.[0] === 'BOUNCED',
    );
    assert.deepEqual(attributes.PersonalEmailProblem, ['BOUNCED']);
    await eventually(
      async () => fake.delivered.filter((e) => e.subject === 'Invitation undeliverable: Program Registration' && e.text.includes(a.applicationNo)).length,
      (n) => n === 1,
    );

    const corrected = `${a.applicationNo.toLowerCase()}@example.com`;
    const res = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/personal-email`, {
      method: 'POST',
      bearer: stack.officerKey,
      headers: { 'Idempotency-Key': randomUUID() },
      json: { personalEmail: corrected, reason: 'Typed wrongly on the application form.' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await eventually(
      () => stack.prisma.emailDelivery.findFirst({ where: { idempotencyKey: `registration-${a.applicationNo}:INVITATION:2` } }),
      (r) => r?.state === 'DELIVERED',
    );
    assert.equal(fake.delivered.filter((e) => e.to.includes(corrected)).length, 1);
    const cleared = await eventually(
      () => fetchJson(`${stack.url}/api/registrations?cohortId=${cohortId}&emailProblem=true`, { bearer: stack.officerKey }),
      (r) => r.body.total === 0,
    );
    assert.equal(cleared.status, 200);
    await eventually(
      async () => (await stack.temporal.workflow.getHandle(registrationWorkflowId(a.applicationNo)).describe()).searchAttributes.PersonalEmailProblem,
      (v) => v === undefined,
    );
  });

  it('a correction is refused with 400 for a bad address and 401 without staff credentials', async () => {
    const a = await admit(stack);
    const bad = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/personal-email`, {
      method: 'POST',
      bearer: stack.officerKey,
      json: { personalEmail: 'nobody', reason: 'x' },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'VALIDATION_FAILED');
    const anonymous = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/personal-email`, {
      method: 'POST',
      json: { personalEmail: 'a@example.com', reason: 'x' },
    });
    assert.equal(anonymous.status, 401);
    const student = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/personal-email`, {
      method: 'POST',
      bearer: a.session,
      json: { personalEmail: 'a@example.com', reason: 'x' },
    });
    assert.equal(student.status, 403);
  });
});
