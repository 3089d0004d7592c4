/**
 * The staff Correct… dialog in a real browser (docs/domain.md, The checklist:
 * later changes go through staff): it changes only what the officer changed,
 * every other field of the form stays byte for byte as the student sent it
 * (an address with line breaks included), and a refused value is shown next
 * to its field in plain words while the dialog stays open with what was typed.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { RegistrationForm } from '../../workflows/registration/types';
import { admit, eventually, fetchJson, statusOf } from '../gateway/support';
import { uniq } from '../kit/servers';
import { expectAccessible } from './axe';
import { browserSuite, openAsOfficer } from './suite';
import { validForm } from '../kit/samples';

const WAIT = { timeout: 30_000 };

/** What the student sent: an address over three lines (one CRLF), optional names left out. */
const studentForm: RegistrationForm = {
  ...validForm,
  chineseName: '陳大文',
  correspondenceAddress: 'Flat 12, 3/F, Block B\nHKUST, Clear Water Bay Road\r\nKowloon',
};

describe('staff Correct… dialog (real browser)', function () {
  this.timeout(180_000);
  const ui = browserSuite('form-correction');

  async function openCorrection(name: string): Promise<{ applicationNo: string; staff: Page }> {
    const a = await admit(ui.stack, { cohortId: uniq('cohort-'), name });
    const submitted = await fetchJson(`${ui.stack.url}/api/registrations/${a.applicationNo}/form`, {
      method: 'POST',
      bearer: a.session,
      json: { form: studentForm },
    });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    const staff = await openAsOfficer(ui, a.applicationNo, name);
    await staff.getByRole('button', { name: 'Correct…' }).click();
    await staff.getByRole('dialog').waitFor(WAIT);
    return { applicationNo: a.applicationNo, staff };
  }

  it('changing only the nationality changes only the nationality: every other field, the multi-line address included, is byte-identical', async () => {
    const { applicationNo, staff } = await openCorrection('Wong Mei Ling');
    const before = (await statusOf(ui.stack, applicationNo)).form!;
    assert.equal(before.correspondenceAddress, studentForm.correspondenceAddress, 'stored as sent');

    const dialog = staff.getByRole('dialog');
    await expectAccessible(staff, 'correct-form dialog');
    // The address is a multi-line field showing its lines (a textarea reports CRLF as LF).
    const address = dialog.getByLabel('Correspondence address');
    assert.equal(await address.evaluate((el) => el.tagName), 'TEXTAREA');
    assert.equal(await address.inputValue(), 'Flat 12, 3/F, Block B\nHKUST, Clear Water Bay Road\nKowloon');
    // Styled like the staff pages' other inputs (controls.css), not the browser's bare input.
    const styleOf = (label: string) =>
      dialog.getByLabel(label, { exact: true }).evaluate((el) => {
        const s = getComputedStyle(el);
        return { display: s.display, minHeight: s.minHeight, border: s.border, borderRadius: s.borderRadius, padding: s.padding };
      });
    // The staff pages' controls (controls.css) are blocks 2.5rem high, with the theme's border; a bare input is inline.
    const styled = { display: 'block', minHeight: '40px', border: (await styleOf('Reason')).border, borderRadius: (await styleOf('Reason')).borderRadius };
    assert.notEqual(styled.border, '', 'the reason box is styled');
    for (const label of ['Nationality', 'Date of birth', 'Phone']) {
      const { padding: _p, ...s } = await styleOf(label);
      assert.deepEqual(s, styled, label);
    }

    await dialog.getByLabel('Nationality').fill('Canadian');
    await dialog.getByLabel('Reason').fill('Student sent a copy of the new passport.');
    const sent = staff.waitForRequest((r) => r.url().endsWith('/form/correction') && r.method() === 'POST');
    await dialog.getByRole('button', { name: 'Save correction' }).click();
    assert.deepEqual((await sent).postDataJSON(), { changes: { nationality: 'Canadian' }, reason: 'Student sent a copy of the new passport.' });
    await staff.getByText('Form corrected.').waitFor(WAIT);
    assert.equal(await staff.getByRole('dialog').count(), 0, 'closed once saved');

    const after = (await statusOf(ui.stack, applicationNo)).form!;
    assert.deepEqual(after, { ...before, nationality: 'Canadian' });
    assert.equal(after.correspondenceAddress, 'Flat 12, 3/F, Block B\nHKUST, Clear Water Bay Road\r\nKowloon', 'the address, CRLF and all');
    const audit = await eventually(
      () => fetchJson(`${ui.stack.url}/api/registrations/${applicationNo}/audit`, { bearer: ui.stack.officerKey }),
      (r) => r.body.items.some((e: any) => e.type === 'FORM_CORRECTED'),
    );
    const corrected = audit.body.items.find((e: any) => e.type === 'FORM_CORRECTED');
    assert.deepEqual(corrected.data, {
      reason: 'Student sent a copy of the new passport.',
      before: { nationality: 'Hong Kong' },
      after: { nationality: 'Canadian' },
    });
  });

  it('a bad date keeps the dialog open with what was typed and a plain message next to the field; a good one then saves', async () => {
    const { applicationNo, staff } = await openCorrection('Lee Ka Ho');
    const before = (await statusOf(ui.stack, applicationNo)).form!;
    const dialog = staff.getByRole('dialog');
    const dob = dialog.getByLabel('Date of birth');
    const error = dialog.locator('#cf-dateOfBirth-error');

    await dob.fill('14/03/2006');
    await dialog.getByLabel('Phone', { exact: true }).fill('+852 6000 1234');
    await dialog.getByLabel('Reason').fill('Typo in the date of birth.');
    await dialog.getByRole('button', { name: 'Save correction' }).click();
    await error.waitFor({ state: 'visible', ...WAIT });
    assert.equal(await error.innerText(), 'Enter a real date as YYYY-MM-DD, for example 2006-03-14.');
    assert.equal(await dob.getAttribute('aria-invalid'), 'true');
    assert.equal(await dialog.getByLabel('Phone', { exact: true }).inputValue(), '+852 6000 1234', 'nothing typed is lost');

    // The right shape but no such day: the gateway refuses it, and its refusal goes next to the field, in the same words.
    await dob.fill('2006-02-30');
    const answered = staff.waitForResponse((r) => r.url().endsWith('/form/correction'));
    await dialog.getByRole('button', { name: 'Save correction' }).click();
    assert.equal((await answered).status(), 400);
    await error.waitFor({ state: 'visible', ...WAIT });
    assert.equal(await error.innerText(), 'Enter a real date as YYYY-MM-DD, for example 2006-03-14.');
    await dialog.getByTestId('correction-error').filter({ hasText: 'The correction was not saved: please fix the marked fields.' }).waitFor(WAIT);
    await expectAccessible(staff, 'correct-form dialog with its errors');
    const text = await dialog.innerText();
    assert.doesNotMatch(text, /Invalid body field|changes\.dateOfBirth/);
    assert.equal(await dialog.getByLabel('Reason').inputValue(), 'Typo in the date of birth.');
    assert.deepEqual((await statusOf(ui.stack, applicationNo)).form, before, 'nothing saved');

    await dob.fill('2006-03-14');
    await dialog.getByRole('button', { name: 'Save correction' }).click();
    await staff.getByText('Form corrected.').waitFor(WAIT);
    assert.deepEqual((await statusOf(ui.stack, applicationNo)).form, { ...before, dateOfBirth: '2006-03-14', phone: '+852 6000 1234' });
    assert.deepEqual(ui.problems, []);
  });
});
