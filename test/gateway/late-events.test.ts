/**
 * Events that arrive after the outcome, and payments against the cohort's fee,
 * through the real webhooks. Before: a webhook to a closed registration got
 * 409 (the replay code), its delivery row was deleted and nothing was kept;
 * any confirmed payment settled the fee whatever its amount.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SIGNATURE_HEADER, signWebhook } from '../../src/gateway/webhooks/signature';
import type { RegistrationActivities } from '../../activities';
import { registrationWorkflowId } from '../../workflows/registration/api';
import { admit, eventually, fetchJson, startStack, statusOf, type TestStack } from './support';

describe('gateway: late events and payments against the fee', function () {
  this.timeout(120_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  const send = (path: string, payload: unknown) => {
    const body = JSON.stringify(payload);
    return fetchJson(`${stack.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(stack.config.WEBHOOK_SECRET, body) },
      body,
    });
  };
  const payment = (applicationNo: string, extra: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    type: 'payment.confirmed',
    applicationNo,
    paymentRef: `PAY-${randomUUID().slice(0, 8)}`,
    amount: 42100,
    currency: 'HKD',
    ...extra,
  });
  const declineAndClose = async (applicationNo: string, session: string) => {
    const res = await fetchJson(`${stack.url}/api/registrations/${applicationNo}/decline`, {
      method: 'POST',
      bearer: session,
      json: { reason: 'another offer' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await stack.temporal.workflow.getHandle(registrationWorkflowId(applicationNo)).result();
  };

  it('a payment after the workflow closed: 202 recordedLate, audit event, LateEvent row, one LATE_EVENT email, delivery kept; the same delivery again is a replay', async () => {
    const a = await admit(stack, { studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' });
    await declineAndClose(a.applicationNo, a.session);
    const event = payment(a.applicationNo, { paymentRef: 'PAY-LATE-1' });
    const res = await send('/api/webhooks/payments', event);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body, { accepted: true, deliveryId: event.id, recordedLate: true });

    const rows = await eventually(
      () => stack.prisma.lateEvent.findMany({ where: { registrationNo: a.applicationNo } }),
      (r) => r.length === 1,
    );
    assert.equal(rows[0]!.kind, 'PAYMENT');
    assert.equal(rows[0]!.registrationStatus, 'WITHDRAWN');
    assert.equal(rows[0]!.outcomeReason, 'DECLINED');
    assert.equal((rows[0]!.data as { paymentRef: string }).paymentRef, 'PAY-LATE-1');
    const audit = await stack.prisma.auditEvent.findMany({ where: { registrationNo: a.applicationNo }, orderBy: { seq: 'asc' } });
    assert.equal(audit.at(-1)!.type, 'LATE_EVENT');
    assert.equal(audit.at(-1)!.seq, rows[0]!.seq);
    assert.equal(audit.length, rows[0]!.seq, "the next seq after the workflow's last one, no gap, no clash");
    const emails = await eventually(
      () => stack.prisma.emailLog.findMany({ where: { registrationNo: a.applicationNo, kind: 'LATE_EVENT' } }),
      (r) => r.length === 1 && r[0]!.status === 'OUTBOX',
    );
    assert.deepEqual(emails[0]!.recipients, [stack.config.REGISTRY_ALERT_EMAIL]);
    assert.ok(await stack.prisma.webhookDelivery.findUnique({ where: { id: `payments:${event.id}` } }), 'the delivery row is kept');

    const replay = await send('/api/webhooks/payments', event);
    assert.equal(replay.status, 409);
    assert.equal(replay.body.code, 'WEBHOOK_REPLAYED');
    assert.equal(await stack.prisma.lateEvent.count({ where: { registrationNo: a.applicationNo } }), 1);
  });

  it('an activation after the workflow closed is recorded too; staff list late events filtered by kind', async () => {
    const a = await admit(stack);
    await declineAndClose(a.applicationNo, a.session);
    const res = await send('/api/webhooks/identity', {
      id: randomUUID(),
      type: 'account.activated',
      applicationNo: a.applicationNo,
      universityEmail: `${a.applicationNo.toLowerCase()}@connect.ust.hk`,
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.recordedLate, true);
    const list = (kind: string) => fetchJson(`${stack.url}/api/late-events?kind=${kind}&applicationNo=${a.applicationNo}`, { bearer: stack.officerKey });
    const activations = await eventually(
      () => list('ACTIVATION'),
      (r) => r.body.total === 1,
    );
    assert.equal(activations.body.items[0].registrationStatus, 'WITHDRAWN');
    assert.equal(activations.body.items[0].data.universityEmail, `${a.applicationNo.toLowerCase()}@connect.ust.hk`);
    assert.equal((await list('PAYMENT')).body.total, 0);
    assert.equal((await fetchJson(`${stack.url}/api/late-events`, { bearer: a.session })).status, 403);
  });

  it('with a cohort fee, a short payment is recorded and flagged for staff (review queue), never settled; the right amount settles', async () => {
    const ug = { studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' } as const;
    const a = await admit(stack, ug, { tuitionFee: { amount: 42100, currency: 'HKD' } });
    const res = await send('/api/webhooks/payments', payment(a.applicationNo, { amount: 4210 }));
    assert.equal(res.status, 202);
    assert.equal(res.body.recordedLate, undefined);
    const s = await eventually(
      () => statusOf(stack, a.applicationNo),
      (v) => v.items.find((i) => i.key === 'TUITION_RECEIPT')!.state === 'SUBMITTED',
    );
    assert.match(s.items.find((i) => i.key === 'TUITION_RECEIPT')!.flag ?? '', /^underpaid: 4210 HKD of 42100 HKD paid, 37890 HKD outstanding$/);
    // The flag is written for staff: the student's own view has none (their page reads the state and partPaid).
    const own = (await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}?seq=${s.seq}`, { bearer: a.session })).body;
    const receipt = own.items.find((i: { key: string }) => i.key === 'TUITION_RECEIPT');
    assert.equal(receipt.state, 'SUBMITTED');
    assert.equal('flag' in receipt, false, JSON.stringify(receipt));
    assert.doesNotMatch(JSON.stringify(own), /underpaid/);
    const queue = await eventually(
      () => fetchJson(`${stack.url}/api/review-queue?kind=TUITION_RECEIPT&pageSize=200`, { bearer: stack.officerKey }),
      (r) => r.body.items.some((e: { applicationNo: string }) => e.applicationNo === a.applicationNo),
    );
    const entry = queue.body.items.find((e: { applicationNo: string }) => e.applicationNo === a.applicationNo);
    assert.match(entry.flag, /37890 HKD outstanding/);
    const audit = await stack.prisma.auditEvent.findMany({ where: { registrationNo: a.applicationNo, type: 'PAYMENT_MISMATCH' } });
    assert.equal(audit.length, 1);

    const b = await admit(stack, ug, { tuitionFee: { amount: 42100, currency: 'HKD' } });
    await send('/api/webhooks/payments', payment(b.applicationNo));
    await eventually(
      () => statusOf(stack, b.applicationNo),
      (v) => v.items.find((i) => i.key === 'TUITION_RECEIPT')!.state === 'VERIFIED',
    );
  });

  describe('while the workflow is still open after its outcome (the withdrawal email not yet out)', () => {
    let open: TestStack;
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    before(async () => {
      open = await startStack(
        {},
        {
          activities: (real): RegistrationActivities => ({
            ...real,
            sendEmail: async (request) => {
              if (request.message.kind === 'WITHDRAWAL') await held;
              return real.sendEmail(request);
            },
          }),
        },
      );
    });
    after(async () => {
      release();
      await open?.stop();
    });

    it('the workflow records the payment itself (next seq, LATE_EVENT email) and mails it before it closes', async () => {
      const a = await admit(open, { studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' });
      const declined = await fetchJson(`${open.url}/api/registrations/${a.applicationNo}/decline`, { method: 'POST', bearer: a.session, json: {} });
      assert.equal(declined.status, 200);
      const event = payment(a.applicationNo, { paymentRef: 'PAY-WHILE-CLOSING' });
      const body = JSON.stringify(event);
      const res = await fetchJson(`${open.url}/api/webhooks/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(open.config.WEBHOOK_SECRET, body) },
        body,
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.recordedLate, true);
      const h = open.temporal.workflow.getHandle(registrationWorkflowId(a.applicationNo));
      assert.equal((await h.describe()).status.name, 'RUNNING', 'still open: the withdrawal email is held');
      const rows = await eventually(
        () => open.prisma.lateEvent.findMany({ where: { registrationNo: a.applicationNo } }),
        (r) => r.length === 1,
      );
      assert.equal(rows[0]!.deliveryKey, null);
      assert.equal((rows[0]!.data as { paymentRef: string }).paymentRef, 'PAY-WHILE-CLOSING');
      release();
      const result = await h.result();
      assert.equal(result.status, 'WITHDRAWN');
      const s = await statusOf(open, a.applicationNo);
      assert.deepEqual(
        s.emails.map((e) => e.kind),
        ['INVITATION', 'WITHDRAWAL', 'LATE_EVENT'],
      );
      assert.equal(s.emails[2]!.idempotencyKey, `registration-${a.applicationNo}:LATE_EVENT:1`);
      assert.deepEqual(s.emails[2]!.to, [open.config.REGISTRY_ALERT_EMAIL]);
    });
  });
});
