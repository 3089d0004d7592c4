/**
 * An email Resend refuses for good (an invalid address) is not retried; the
 * registry must see it on the registration's page to reach the student another
 * way. Real stack with the real `resend` SDK against the local fake Resend.
 */
import assert from 'node:assert/strict';
import { admit, startStack } from '../gateway/support';
import { FakeResend, resendError } from '../kit/fake-resend';
import { browserSuite, signInStaff } from './suite';

const WAIT = { timeout: 30_000 };

describe('a refused email in the staff pages', function () {
  this.timeout(120_000);
  const resend = new FakeResend();
  const ui = browserSuite('email-failure', {
    start: async () => {
      await resend.start();
      return startStack({ RESEND_API_KEY: 're_test_key', RESEND_BASE_URL: resend.baseUrl });
    },
    context: { viewport: { width: 1360, height: 900 } },
  });
  after(() => resend.stop());

  it('shows the undelivered invitation, to whom and why, as an alert on the registration', async () => {
    resend.respondWith(resendError.invalidAddress);
    const { applicationNo, student } = await admit(ui.stack, { name: 'Tsang Ka Yan' });
    const page = ui.page;
    await signInStaff(page, ui.stack.config.publicBaseUrl, ui.stack.officerKey);
    await page.goto(`${ui.stack.config.publicBaseUrl}/staff/registrations/${applicationNo}`);
    const alert = page.getByRole('alert').filter({ hasText: 'not delivered' });
    await alert.waitFor(WAIT);
    const text = await alert.innerText();
    assert.match(text, /Invitation to /);
    assert.ok(text.includes(student.personalEmail), text);
    assert.match(text, /Invalid `to` field/);
    assert.equal(resend.delivered.length, 0, 'the refused invitation was not sent');
    assert.equal(resend.requests.length, 1, 'and not retried');
  });
});
