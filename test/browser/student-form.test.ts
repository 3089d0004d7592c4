/**
 * The once-only registration form in a real browser, at a desktop and a phone
 * width, against the real stack: the error summary (a link per field, the
 * focus on it, "Error: " in the title) with the messages written for each
 * field, the day, month and year boxes, "Check your answers" with its Change
 * links, the send, and the confirmation that says what happens next; a
 * refusal by the gateway lands in the same summary. "Go to this step" puts
 * the focus on the form's first field.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { signInvitationToken } from '../../src/links';
import { activateAccount, admit, statusOf } from '../gateway/support';
import { uniq } from '../kit/servers';
import { expectAccessible } from './axe';
import { fillForm, item, openSignInLink } from './chromium';
import { browserSuite } from './suite';

const WAIT = { timeout: 30_000 };

const WIDTHS = [
  ['desktop', { width: 1366, height: 800 }],
  ['phone', { width: 390, height: 844 }],
] as const;

/** The messages of an empty form, in the form's order, as written for each field (docs: the GOV.UK error-message advice). */
const EMPTY_FORM_MESSAGES = [
  'Enter your full legal name, as in your passport or identity card',
  'Enter your date of birth',
  'Enter your nationality',
  'Enter a phone number, like +852 9123 4567',
  'Enter your correspondence address',
  'Enter the name of your emergency contact',
  'Enter how your emergency contact is related to you, like Parent',
  'Enter your emergency contact’s phone number, like +852 9123 4567',
  'Confirm that you have read the Personal Information Collection Statement and consent to the use of your personal data',
];

const focusedId = (p: Page) => p.evaluate(() => document.activeElement?.id ?? '');
const summaryMessages = (p: Page) => p.locator('#form-errors li').allInnerTexts();

describe('the registration form: error summary, date boxes, check your answers, confirmation', function () {
  this.timeout(240_000);
  const ui = browserSuite('student-form');

  async function openForm(viewport: { width: number; height: number }): Promise<{ p: Page; applicationNo: string }> {
    const a = await admit(ui.stack, { cohortId: uniq('form-'), name: 'Lee Wing Sze' });
    await activateAccount(ui.stack, a.applicationNo);
    const p = await ui.newPage(viewport);
    await openSignInLink(p, `${ui.stack.config.publicBaseUrl}/invite?token=${await signInvitationToken(ui.stack.config, a.applicationNo)}`);
    await item(p, 'ACTIVATION', 'VERIFIED').waitFor(WAIT);
    assert.match(await p.locator('#next-step').innerText(), /Complete the registration form/);
    await p.locator('#next-step').getByRole('button', { name: 'Go to this step' }).click();
    await p.getByLabel('Nationality').waitFor(WAIT);
    // The focus is in the form, on its first field: the next key the student types goes into it, not to the toggle.
    assert.equal(await focusedId(p), 'f-legalName');
    return { p, applicationNo: a.applicationNo };
  }

  for (const [width, viewport] of WIDTHS) {
    it(`${width}: every missing answer in the summary, in words for each field; then check, change, send, and what happens next`, async () => {
      const { p, applicationNo } = await openForm(viewport);
      const title = await p.title();
      await p.getByLabel('Full legal name').fill('');
      await p.getByRole('button', { name: 'Continue' }).click();

      const summary = p.locator('#form-errors');
      await summary.waitFor(WAIT);
      assert.equal(await focusedId(p), 'form-errors', 'the summary takes the focus');
      assert.match(await summary.getByRole('heading').innerText(), /There is a problem/);
      assert.deepEqual(await summaryMessages(p), EMPTY_FORM_MESSAGES);
      assert.equal(await p.title(), `Error: ${title}`);
      assert.doesNotMatch(await p.locator('body').innerText(), /Please fill in this field/);
      // Each message is also next to its field.
      assert.match(await p.locator('#f-nationality-error').innerText(), /Enter your nationality/);
      assert.equal(await p.getByLabel('Nationality').getAttribute('aria-invalid'), 'true');
      await expectAccessible(p, `${width}: the form with its error summary`);

      // A link in the summary takes the focus to its field.
      await summary.getByRole('link', { name: 'Enter your nationality' }).click();
      assert.equal(await focusedId(p), 'f-nationality');
      await summary.getByRole('link', { name: 'Enter your date of birth' }).click();
      assert.equal(await focusedId(p), 'f-dateOfBirth-day');

      // Day, month and year: a date that does not exist, a missing year, then a real one.
      await fillForm(p, {
        legalName: 'Lee Wing Sze',
        day: '31',
        month: '4',
        year: '2009',
        nationality: 'Chinese',
        phone: 'call me',
        address: 'Flat 3B, 12 Tai Po Road\nSham Shui Po, Kowloon',
        contactName: 'Lee Siu Ming',
        relationship: 'Father',
        contactPhone: '+852 6123 0000',
        consent: true,
      });
      await p.getByRole('button', { name: 'Continue' }).click();
      await p.locator('#form-errors li').first().waitFor(WAIT);
      assert.deepEqual(await summaryMessages(p), [
        'Date of birth must be a real date',
        'Enter a phone number with digits, spaces and an optional + only, like +852 9123 4567',
      ]);
      await p.getByLabel('Mobile phone').fill('+852 9123 4567');
      await p.getByLabel('Day').fill('1');
      await p.getByLabel('Year').fill('');
      await p.getByRole('button', { name: 'Continue' }).click();
      await p.locator('#form-errors li').first().waitFor(WAIT);
      assert.deepEqual(await summaryMessages(p), ['Date of birth must include a year']);
      assert.equal(await p.getByLabel('Year').getAttribute('aria-invalid'), 'true');
      assert.equal(await p.getByLabel('Day').getAttribute('aria-invalid'), null, 'only the box that is wrong is marked');
      await p.getByLabel('Month').fill('May');
      await p.getByLabel('Year').fill('2009');
      await p.getByRole('button', { name: 'Continue' }).click();

      // Check your answers: every answer, the date in words, a Change link per answer.
      const check = p.getByTestId('check-answers');
      await check.waitFor(WAIT);
      assert.equal(await focusedId(p), 'check-title');
      assert.equal(await p.title(), title, 'no "Error:" once the answers are right');
      assert.equal(await p.locator('form.registration-form').isVisible(), false);
      const answers = await check.innerText();
      assert.match(answers, /Date of birth\s+1 May 2009/);
      assert.match(answers, /Mobile phone\s+\+852 9123 4567/);
      assert.match(answers, /Flat 3B, 12 Tai Po Road\nSham Shui Po, Kowloon/);
      assert.match(answers, /Preferred name\s+Not given/);
      await expectAccessible(p, `${width}: check your answers`);

      await check.getByRole('link', { name: 'Change nationality' }).click();
      assert.equal(await focusedId(p), 'f-nationality', 'Change goes to the very field');
      assert.equal(await check.isVisible(), false);
      await p.getByLabel('Nationality').fill('Chinese (Hong Kong SAR)');
      await p.getByRole('button', { name: 'Continue' }).click();
      await check.waitFor(WAIT);
      assert.match(await check.innerText(), /Nationality\s+Chinese \(Hong Kong SAR\)/);

      await p.getByRole('button', { name: 'Send registration form' }).click();
      const confirmation = item(p, 'FORM', 'VERIFIED').locator('[data-confirmation]');
      await confirmation.waitFor(WAIT);
      assert.equal(await p.evaluate(() => document.activeElement?.hasAttribute('data-confirmation')), true, 'the focus moves to the confirmation');
      const said = await confirmation.innerText();
      assert.match(said, /Registration form sent/);
      assert.match(said, /What happens next/);
      assert.match(said, /Carry on with the 2 steps still to do below: Identification document\(s\) and ID-card photo\./);
      assert.match(await item(p, 'FORM', 'VERIFIED').getByTestId('form-summary').innerText(), /Date of birth\s+1 May 2009/);
      await expectAccessible(p, `${width}: the form sent`);

      const sent = (await statusOf(ui.stack, applicationNo)).form!;
      assert.equal(sent.dateOfBirth, '2009-05-01');
      assert.equal(sent.nationality, 'Chinese (Hong Kong SAR)');
      assert.equal(sent.preferredName, undefined);
    });

    it(`${width}: a refusal by the gateway lands in the error summary and next to its field`, async () => {
      const { p, applicationNo } = await openForm(viewport);
      await fillForm(p, {
        day: '14',
        month: '3',
        year: '2006',
        // A control character (pasted from somewhere) is nothing this page checks; the gateway refuses it.
        nationality: 'Chin\u0001ese',
        phone: '+852 9123 4567',
        address: '1 Clear Water Bay Road',
        contactName: 'Lee Siu Ming',
        relationship: 'Father',
        contactPhone: '+852 6123 0000',
        consent: true,
      });
      const title = await p.title();
      await p.getByRole('button', { name: 'Continue' }).click();
      await p.getByRole('button', { name: 'Send registration form' }).click();

      await p.locator('#form-errors li').first().waitFor(WAIT);
      assert.deepEqual(await summaryMessages(p), ['Nationality must not contain control characters (found U+0001)']);
      assert.equal(await focusedId(p), 'form-errors');
      assert.equal(await p.title(), `Error: ${title}`);
      assert.equal(await p.getByLabel('Nationality').getAttribute('aria-invalid'), 'true');
      assert.equal(await item(p, 'FORM', 'PENDING').count(), 1);
      assert.equal((await statusOf(ui.stack, applicationNo)).form, undefined, 'nothing was kept');

      await p.locator('#form-errors').getByRole('link').click();
      assert.equal(await focusedId(p), 'f-nationality');
      await p.getByLabel('Nationality').fill('Chinese');
      await p.getByRole('button', { name: 'Continue' }).click();
      await p.getByRole('button', { name: 'Send registration form' }).click();
      await item(p, 'FORM', 'VERIFIED').waitFor(WAIT);
      assert.equal((await statusOf(ui.stack, applicationNo)).form?.nationality, 'Chinese');
    });
  }
});
