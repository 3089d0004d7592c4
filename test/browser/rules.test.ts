/**
 * The cohort's policy numbers (docs/domain.md, "Policy numbers") in a real browser, on both portals (a
 * 3-day service level reads "3 working days", never 5), the submitted form
 * read-only for the student and corrected by staff through the Correct… dialog,
 * and "Email me a new link" on the signed-out page.
 */
import assert from 'node:assert/strict';
import { SIGN_IN_LINK_ACCEPTED } from '../../src/gateway/routes/session';
import { admit, eventually, fetchJson, statusOf } from '../gateway/support';
import { uniq } from '../kit/servers';
import { item, openSignInLink } from './chromium';
import { browserSuite } from './suite';
import { validForm } from '../kit/samples';

const WAIT = { timeout: 30_000 };

describe('portal: policy numbers, form correction, new sign-in link (real browser)', function () {
  this.timeout(180_000);

  const ui = browserSuite('rules');

  it('a 3-day cohort reads "3 working days" on the student and staff pages; staff correct the form, the student sees it read-only', async () => {
    const a = await admit(ui.stack, { cohortId: uniq('cohort-3d-'), name: 'Tsang Ka Yan' }, { verificationSlaWorkingDays: 3, resubmissionWindow: '10 days' });
    const submitted = await fetchJson(`${ui.stack.url}/api/registrations/${a.applicationNo}/form`, {
      method: 'POST',
      bearer: a.session,
      json: { form: validForm },
    });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));

    const p = ui.page;
    await openSignInLink(p, `${ui.stack.config.publicBaseUrl}/invite?token=${a.inviteToken}`);
    await item(p, 'FORM', 'VERIFIED').waitFor(WAIT);
    assert.match(await p.getByTestId('sla-text').innerText(), /within 3 working days of your submission/);
    assert.match(await p.locator('#aside').innerText(), /at least 10 days to upload a corrected one/);
    assert.match(await p.locator('#aside').innerText(), /remind you 7 and 1 days before each deadline/);
    assert.doesNotMatch(await p.locator('body').innerText(), /5 working days/);
    const summary = item(p, 'FORM', 'VERIFIED').getByTestId('form-summary');
    assert.match(await summary.innerText(), /\+852 5555 0000/);
    assert.equal(await item(p, 'FORM', 'VERIFIED').locator('input').count(), 0, 'read-only');

    const staff = await ui.newPage({ width: 1360, height: 900 });
    await staff.goto(`${ui.stack.config.publicBaseUrl}/staff/`);
    await staff.fill('#api-key', ui.stack.officerKey);
    await staff.click('button[type=submit]');
    await staff.getByRole('heading', { name: 'Cohort dashboard' }).waitFor(WAIT);
    await staff.getByRole('link', { name: 'Review queue' }).click();
    await staff.getByRole('heading', { name: 'Review queue' }).waitFor(WAIT);
    assert.doesNotMatch(await staff.locator('body').innerText(), /within 5/);
    await staff.goto(`${ui.stack.config.publicBaseUrl}/staff/registrations/${a.applicationNo}`);
    await staff.getByRole('heading', { name: 'Tsang Ka Yan' }).waitFor(WAIT);
    assert.match(await staff.getByTestId('policy-numbers').innerText(), /Verification within 3 working days · resubmission window 10 days/);
    assert.match(await staff.locator('#form-card').innerText(), /Clear Water Bay, Kowloon/);

    await staff.getByRole('button', { name: 'Correct…' }).click();
    const dialog = staff.getByRole('dialog');
    await dialog.getByLabel('Phone', { exact: true }).fill('+852 5555 1234');
    await dialog.getByLabel('Reason').fill('The student phoned with a new number.');
    await dialog.getByRole('button', { name: 'Save correction' }).click();
    await staff.getByText('Form corrected.').waitFor(WAIT);
    await staff.locator('#form-card', { hasText: '+852 5555 1234' }).waitFor(WAIT);
    // The audit trail (read model) keeps who, why, before and after.
    await eventually(
      () => fetchJson(`${ui.stack.url}/api/registrations/${a.applicationNo}/audit`, { bearer: ui.stack.officerKey }),
      (r) => r.body.items.some((e: any) => e.type === 'FORM_CORRECTED'),
    ).then((r) => {
      const e = r.body.items.find((x: any) => x.type === 'FORM_CORRECTED');
      assert.match(e.actor, /^staff:officer\./);
      assert.deepEqual(e.data, { reason: 'The student phoned with a new number.', before: { phone: '+852 5555 0000' }, after: { phone: '+852 5555 1234' } });
    });
    // The student's open page shows the corrected form by itself.
    await item(p, 'FORM', 'VERIFIED').getByTestId('form-summary').filter({ hasText: '+852 5555 1234' }).waitFor(WAIT);
  });

  it('signed out: "Email me a new link" gives the same answer whether or not the details match, and mails the address on record once', async () => {
    const a = await admit(ui.stack, { cohortId: uniq('cohort-') });
    const p = ui.page;
    await p.goto(`${ui.stack.config.publicBaseUrl}/portal/`);
    await p.getByRole('heading', { name: 'Open your invitation link' }).waitFor(WAIT);

    const ask = async (applicationNo: string, email: string) => {
      await p.getByLabel('Application number').fill(applicationNo);
      await p.getByLabel(/Personal email/).fill(email);
      await p.getByRole('button', { name: 'Email me a new link' }).click();
      await p.locator('#new-link-result', { hasText: SIGN_IN_LINK_ACCEPTED }).waitFor(WAIT);
      const answer = await p.locator('#new-link-result').innerText();
      await p.evaluate(() => (document.getElementById('new-link-result')!.textContent = ''));
      return answer;
    };
    const wrong = await ask(a.applicationNo, 'someone.else@example.com');
    const right = await ask(a.applicationNo, a.student.personalEmail.toUpperCase());
    assert.equal(wrong, right, 'nothing to learn from the answer');

    const s = await eventually(
      () => statusOf(ui.stack, a.applicationNo),
      (v) => v.emails.some((e) => e.kind === 'SIGN_IN_LINK'),
    );
    const links = s.emails.filter((e) => e.kind === 'SIGN_IN_LINK');
    assert.deepEqual(
      links.map((e) => e.to),
      [[a.student.personalEmail]],
      'one email, for the matching request only, to the address on record',
    );
  });
});
