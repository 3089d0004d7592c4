/**
 * The staff pages show what must not vanish: payments and activations that
 * arrived after the outcome (Late events, filterable by kind) and a payment
 * that does not match the cohort's fee (flagged in the review queue), and
 * the student's page shows a short payment as still owed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SIGNATURE_HEADER, signWebhook } from '../../src/gateway/webhooks/signature';
import { registrationWorkflowId } from '../../workflows/registration/api';
import { admit, eventually, fetchJson } from '../gateway/support';
import { openSignInLink, screenshot } from './chromium';
import { browserSuite } from './suite';

const WAIT = { timeout: 30_000 };

describe('staff pages: late events and flagged payments (browser)', function () {
  this.timeout(180_000);
  const ui = browserSuite('late-events');

  const pay = (applicationNo: string, amount: number) => {
    const body = JSON.stringify({ id: randomUUID(), type: 'payment.confirmed', applicationNo, paymentRef: `PAY-${applicationNo}`, amount, currency: 'HKD' });
    return fetchJson(`${ui.stack.url}/api/webhooks/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(ui.stack.config.WEBHOOK_SECRET, body) },
      body,
    });
  };

  it('a late payment is listed under Late events, and the kind filter hides it; a short payment is flagged in the review queue', async () => {
    const ug = { studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' } as const;
    const closed = await admit(ui.stack, ug);
    await fetchJson(`${ui.stack.url}/api/registrations/${closed.applicationNo}/decline`, { method: 'POST', bearer: closed.session, json: {} });
    await ui.stack.temporal.workflow.getHandle(registrationWorkflowId(closed.applicationNo)).result();
    assert.equal((await pay(closed.applicationNo, 42100)).body.recordedLate, true);
    await eventually(
      () => ui.stack.prisma.lateEvent.count({ where: { registrationNo: closed.applicationNo } }),
      (n) => n === 1,
    );

    const short = await admit(ui.stack, ug, { tuitionFee: { amount: 42100, currency: 'HKD' } });
    await pay(short.applicationNo, 100);
    await eventually(
      () => ui.stack.prisma.checklistItem.findUnique({ where: { registrationNo_key: { registrationNo: short.applicationNo, key: 'TUITION_RECEIPT' } } }),
      (i) => !!i?.flag,
    );

    const p = ui.page;
    await p.goto(`${ui.stack.config.publicBaseUrl}/staff/`);
    await p.fill('#api-key', ui.stack.officerKey);
    await p.click('button[type=submit]');
    // Staff sign-in lands on the cohort dashboard (the /staff/ home).
    await p.getByRole('heading', { name: 'Cohort dashboard' }).waitFor(WAIT);

    await p.goto(`${ui.stack.config.publicBaseUrl}/staff/queue?kind=TUITION_RECEIPT`);
    const flagged = p.locator(`tr[data-application="${short.applicationNo}"] [data-flag]`);
    await flagged.waitFor(WAIT);
    // 100 HKD of a 42,100 HKD fee leaves 42,000 HKD to pay (docs/domain.md, The tuition fee).
    assert.match(await flagged.innerText(), /underpaid: 100 HKD of 42100 HKD paid, 42000 HKD outstanding/);

    await p.getByRole('link', { name: 'Late events' }).click();
    await p.getByRole('heading', { name: 'Late events' }).waitFor(WAIT);
    await p.getByLabel('Application no.').fill(closed.applicationNo);
    await p.getByLabel('Event').selectOption('PAYMENT');
    await p.getByRole('button', { name: 'Apply' }).click();
    const row = p.locator(`tr[data-application="${closed.applicationNo}"][data-kind="PAYMENT"]`);
    await row.waitFor(WAIT);
    assert.match(await row.innerText(), /Payment/);
    assert.match(await row.innerText(), /PAY-/);
    await screenshot(p, 'staff-late-events', { fullPage: false });

    await p.getByLabel('Event').selectOption('ACTIVATION');
    await p.getByRole('button', { name: 'Apply' }).click();
    await p.getByText('No late events.').waitFor(WAIT);
    assert.equal(await p.locator('tr[data-application]').count(), 0);
  });

  it("the student's page shows a short payment as still owed, with the shortfall in words, never as under review", async () => {
    const ug = { studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' } as const;
    const short = await admit(ui.stack, ug, { tuitionFee: { amount: 42100, currency: 'HKD' } });
    await pay(short.applicationNo, 100);
    const p = await ui.newPage();
    await openSignInLink(p, `${ui.stack.config.publicBaseUrl}/invite?token=${short.inviteToken}`);
    const fee = p.locator('#steps > li[data-item="TUITION_RECEIPT"]');
    // 100 HKD of a 42,100 HKD fee leaves 42,000 HKD to pay (docs/domain.md, The tuition fee).
    await fee.getByTestId('part-paid').waitFor(WAIT);
    assert.equal(await fee.getByTestId('item-state').innerText(), 'Part paid');
    assert.equal(await fee.getByTestId('part-paid').innerText(), 'Part paid: 100 HKD of 42,100 HKD received; 42,000 HKD still to pay.');
    assert.doesNotMatch(await fee.innerText(), /Under review|Expect a result/);
    // The one thing to do next is to pay the rest, and the fee is not counted as being checked.
    assert.match(await p.locator('#summary').innerText(), /Pay the rest of the tuition fee/);
    assert.doesNotMatch(await p.locator('#summary').innerText(), /under review/);
    await screenshot(p, 'student-part-paid', { fullPage: false });
  });
});
