/**
 * Correct email… on the staff registration page in a real browser (docs/domain.md,
 * Invitations that bounce): what the browser can see is refused in the open
 * dialog before anything is sent, the server's refusal (the address already on
 * record) is shown there too with what was typed kept, and a new address is
 * sent with its reason and reaches the workflow.
 */
import assert from 'node:assert/strict';
import { admit, eventually, statusOf } from '../gateway/support';
import { uniq } from '../kit/servers';
import { browserSuite, openAsOfficer } from './suite';

const WAIT = { timeout: 30_000 };

describe('staff Correct email… dialog (real browser)', function () {
  this.timeout(180_000);
  const ui = browserSuite('correct-email');

  it('refuses a missing address and the address on record in the open dialog, then sends a new one with its reason', async () => {
    const a = await admit(ui.stack, { cohortId: uniq('cohort-'), name: 'Lam Wing Sze', personalEmail: 'lam.wing.sze@example.org' });
    const staff = await openAsOfficer(ui, a.applicationNo, 'Lam Wing Sze');

    await staff.getByRole('button', { name: 'Correct email…' }).click();
    const dialog = staff.getByRole('dialog');
    await dialog.getByText('Now: lam.wing.sze@example.org.', { exact: false }).waitFor(WAIT);
    const sent: string[] = [];
    staff.on('request', (r) => void (r.url().endsWith('/personal-email') && sent.push(r.postData() ?? '')));

    // No address: said in the dialog, nothing sent.
    await dialog.getByLabel('Reason').fill('Student phoned: the address had a typo');
    await dialog.getByRole('button', { name: 'Correct and re-invite' }).click();
    await dialog.getByTestId('correct-email-error').filter({ hasText: 'Type the new email address.' }).waitFor(WAIT);
    assert.deepEqual(sent, []);

    // The address already on record: the server refuses, the dialog stays open with what was typed.
    await dialog.getByLabel('New personal email').fill('lam.wing.sze@example.org');
    await dialog.getByRole('button', { name: 'Correct and re-invite' }).click();
    await dialog
      .getByTestId('correct-email-error')
      .filter({ hasText: /^Not corrected: .*already the personal email on record/ })
      .waitFor(WAIT);
    assert.equal(await dialog.getByLabel('Reason').inputValue(), 'Student phoned: the address had a typo');

    await dialog.getByLabel('New personal email').fill('lam.wingsze@example.org');
    const request = staff.waitForRequest((r) => r.url().endsWith('/personal-email'));
    await dialog.getByRole('button', { name: 'Correct and re-invite' }).click();
    assert.deepEqual((await request).postDataJSON(), { personalEmail: 'lam.wingsze@example.org', reason: 'Student phoned: the address had a typo' });
    await staff.getByText('Email corrected: a fresh invitation is on its way.').waitFor(WAIT);
    assert.equal(await dialog.count(), 0, 'the dialog closed once saved');
    await eventually(
      () => statusOf(ui.stack, a.applicationNo),
      (s) => s.student.personalEmail === 'lam.wingsze@example.org',
    );
    assert.deepEqual(ui.problems, []);
  });
});
