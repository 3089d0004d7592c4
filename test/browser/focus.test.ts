/**
 * Focus and feedback on the student's page, in a real browser at a desktop and
 * a phone width, against the real stack:
 *
 * - the keyboard alone (Tab, Shift+Tab, Enter, Space and typing) takes a
 *   student from the invitation link to a checklist with every compulsory step
 *   sent, the file chooser opened with Space;
 * - every focus ring reaches 3:1 against what is behind it (focus-rings.ts),
 *   in every state of that journey and on the staff sign-in;
 * - after an upload, and when a staff decision redraws the card the focus was
 *   in, the focus moves to that card and the change is read out from the
 *   checklist's live region; no toast;
 * - an upload cut off mid-way says so in plain words and sends the same file
 *   again with Retry;
 * - "Email me a new link" answers visibly every time, whatever the case of
 *   the application number.
 */
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { signInvitationToken } from '../../src/links';
import { SIGN_IN_LINK_ACCEPTED } from '../../src/gateway/routes/session';
import { activateAccount, admit, eventually, fetchJson, statusOf } from '../gateway/support';
import { uniq } from '../kit/servers';
import { aPdf } from '../kit/samples';
import { expectAccessible } from './axe';
import { item, openSignInLink, sendForReview } from './chromium';
import { expectFocusRings } from './focus-rings';
import { browserSuite } from './suite';

const WAIT = { timeout: 30_000 };

const WIDTHS = [
  ['desktop', { width: 1366, height: 800 }],
  ['phone', { width: 390, height: 844 }],
] as const;

const focusedId = (p: Page) => p.evaluate(() => document.activeElement?.id ?? '');
const isFocused = async (p: Page, target: Locator) => p.evaluate((el) => document.activeElement === el, await target.elementHandle(WAIT));

/** Presses Tab (or Shift+Tab) until the element has the focus: it is reachable by keyboard, in order. */
async function tabTo(p: Page, target: Locator, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<void> {
  const handle = await target.elementHandle(WAIT);
  for (let i = 0; i < 80; i++) {
    if (await p.evaluate((el) => document.activeElement === el, handle)) return;
    await p.keyboard.press(key);
  }
  throw new Error(
    `could not reach ${target.toString()} with ${key}; the focus is on ${await p.evaluate(() => document.activeElement?.outerHTML.slice(0, 120))}`,
  );
}

/** Tabs to a field and types into it (keys only). */
async function typeInto(p: Page, field: Locator, text: string): Promise<void> {
  await tabTo(p, field);
  await p.keyboard.type(text);
}

describe('focus and feedback on the student page: keyboard only, focus rings, focus after changes, interrupted uploads', function () {
  this.timeout(300_000);
  const ui = browserSuite('focus');
  const base = () => ui.stack.config.publicBaseUrl;

  for (const [width, viewport] of WIDTHS) {
    it(`${width}: keyboard only from the invitation link to a checklist with every compulsory step sent, every focus ring at 3:1`, async () => {
      const a = await admit(ui.stack, { cohortId: uniq('kbd-'), name: 'Wong Ka Ho' });
      const p = await ui.newPage(viewport);
      // The email link arrives from outside the site, so the portal asks first (docs/gateway.md); the keyboard answers.
      await p.goto(`${base()}/invite?token=${await signInvitationToken(ui.stack.config, a.applicationNo)}`);
      const confirm = p.getByRole('button', { name: /^Sign in as / });
      await confirm.waitFor(WAIT);
      for (let tabs = 0; tabs < 10 && !(await confirm.evaluate((b) => b === document.activeElement)); tabs++) await p.keyboard.press('Tab');
      await p.keyboard.press('Enter');
      await item(p, 'ACTIVATION', 'PENDING').waitFor(WAIT);
      await expectFocusRings(p, `${width}: checklist`);
      await activateAccount(ui.stack, a.applicationNo);
      await item(p, 'ACTIVATION', 'VERIFIED').waitFor(WAIT);

      // What to do next → Go to this step: the focus lands in the form's first field.
      const go = p.locator('#next-step').getByRole('button', { name: 'Go to this step' });
      await tabTo(p, go);
      await p.keyboard.press('Enter');
      await p.getByLabel('Nationality').waitFor(WAIT);
      assert.equal(await focusedId(p), 'f-legalName');

      // Continue with nothing but the name: the error summary takes the focus; Enter on a link goes to its field.
      await tabTo(p, p.getByRole('button', { name: 'Continue' }));
      await p.keyboard.press('Enter');
      await p.locator('#form-errors li').first().waitFor(WAIT);
      assert.equal(await focusedId(p), 'form-errors');
      await expectFocusRings(p, `${width}: form with its error summary`);
      await tabTo(p, p.locator('#form-errors').getByRole('link', { name: 'Enter your date of birth' }));
      await p.keyboard.press('Enter');
      assert.equal(await focusedId(p), 'f-dateOfBirth-day');
      await p.keyboard.type('9');
      await p.keyboard.press('Tab');
      await p.keyboard.type('11');
      await p.keyboard.press('Tab');
      await p.keyboard.type('2008');
      await typeInto(p, p.getByLabel('Nationality'), 'Chinese');
      await typeInto(p, p.getByLabel('Mobile phone'), '+852 9876 5432');
      await typeInto(p, p.getByLabel('Correspondence address'), 'Flat 8A, 3 Chi Fu Road');
      await p.keyboard.press('Enter'); // a second line in the address
      await p.keyboard.type('Pok Fu Lam');
      await typeInto(p, p.locator('#f-emergencyContact-name'), 'Wong Tai Sin');
      await typeInto(p, p.getByLabel('Relationship to you'), 'Mother');
      await typeInto(p, p.locator('#f-emergencyContact-phone'), '+852 2345 6789');
      // Back up with Shift+Tab to the relationship, and forward again to the consent box: Space ticks it.
      await tabTo(p, p.getByLabel('Relationship to you'), 'Shift+Tab');
      await p.keyboard.press('End'); // Tab into a field selects its text: keep it and add to it
      await p.keyboard.type(' (step-mother)');
      const consent = p.getByLabel(/I have read the Personal Information Collection Statement/);
      await tabTo(p, consent);
      await p.keyboard.press('Space');
      assert.equal(await consent.isChecked(), true);
      await tabTo(p, p.getByRole('button', { name: 'Continue' }));
      await p.keyboard.press('Enter');

      const check = p.getByTestId('check-answers');
      await check.waitFor(WAIT);
      assert.equal(await focusedId(p), 'check-title');
      assert.match(await check.innerText(), /Date of birth\s+9 November 2008/);
      assert.match(await check.innerText(), /Mother \(step-mother\)/);
      await expectFocusRings(p, `${width}: check your answers`);
      await tabTo(p, p.getByRole('button', { name: 'Send registration form' }));
      await p.keyboard.press('Enter');
      await item(p, 'FORM', 'VERIFIED').locator('[data-confirmation]').waitFor(WAIT);
      assert.equal(await p.evaluate(() => document.activeElement?.hasAttribute('data-confirmation')), true);

      // The identification document: Space on the file field opens the chooser, Enter on Upload sends it.
      const input = p.locator('[data-upload="ID_DOCUMENT"] input[type=file]');
      // Listening first turns the browser's file-chooser interception on well before the key is pressed (the a11y test's race).
      const chooserOpened = p.waitForEvent('filechooser', { timeout: 60_000 });
      chooserOpened.catch(() => undefined);
      await tabTo(p, input);
      await p.keyboard.press('Space');
      await (await chooserOpened).setFiles({ name: 'hkid-front.pdf', mimeType: 'application/pdf', buffer: aPdf('HKID front') });
      const send = p.locator('[data-upload="ID_DOCUMENT"]').getByRole('button', { name: 'Upload' });
      await p.waitForFunction((el) => !(el as HTMLButtonElement).disabled, await send.elementHandle());
      await expectFocusRings(p, `${width}: upload panel with a chosen file`);
      await tabTo(p, send);
      await p.keyboard.press('Enter');
      // The page is listed, ready to send: the focus is on that list, and the page says what to do next.
      await p.waitForFunction(() => document.activeElement?.getAttribute('data-pages') === 'ID_DOCUMENT', undefined, WAIT);
      await p.locator('#announcer', { hasText: 'Identification document(s): page received.' }).waitFor({ state: 'attached', ...WAIT });
      await tabTo(p, p.locator('[data-pages="ID_DOCUMENT"]').getByRole('button', { name: 'Send this page for review' }));
      await p.keyboard.press('Enter');
      await item(p, 'ID_DOCUMENT', 'SUBMITTED').waitFor(WAIT);
      // The focus is on the changed card, and the change is read out.
      await p.waitForFunction(() => document.activeElement?.id === 'item-ID_DOCUMENT', undefined, WAIT);
      await p.locator('#announcer', { hasText: 'Identification document(s): Under review.' }).waitFor({ state: 'attached', ...WAIT });

      const v = await statusOf(ui.stack, a.applicationNo);
      assert.deepEqual(
        v.items.filter((i) => i.compulsory).map((i) => [i.key, i.state]),
        [
          ['ACTIVATION', 'VERIFIED'],
          ['FORM', 'VERIFIED'],
          ['ID_DOCUMENT', 'SUBMITTED'],
        ],
      );
      assert.equal(v.form?.emergencyContact.relationship, 'Mother (step-mother)');
      assert.equal(v.form?.correspondenceAddress, 'Flat 8A, 3 Chi Fu Road\nPok Fu Lam');
      await expectFocusRings(p, `${width}: checklist with the compulsory steps sent`);
      await expectAccessible(p, `${width}: checklist after the keyboard journey`);
      assert.equal(await p.locator('#toasts .toast').count(), 0, 'no toast');
    });

    it(`${width}: a decision arriving live moves the focus to the card it was in and is read out; signed out and staff sign-in rings`, async () => {
      const a = await admit(ui.stack, { cohortId: uniq('live-') });
      const p = await ui.newPage(viewport);
      await openSignInLink(p, `${base()}/invite?token=${await signInvitationToken(ui.stack.config, a.applicationNo)}`);
      const panel = p.locator('[data-upload="ID_DOCUMENT"]');
      await panel.locator('input[type=file]').setInputFiles({ name: 'passport.pdf', mimeType: 'application/pdf', buffer: aPdf() });
      await panel.getByRole('button', { name: 'Upload' }).click();
      await p.waitForFunction(() => document.activeElement?.getAttribute('data-pages') === 'ID_DOCUMENT', undefined, WAIT);
      await sendForReview(p, 'ID_DOCUMENT');
      await item(p, 'ID_DOCUMENT', 'SUBMITTED').waitFor(WAIT);
      await p.waitForFunction(() => document.activeElement?.id === 'item-ID_DOCUMENT', undefined, WAIT);

      // The student is on the file they sent (its download link) when the officer's rejection arrives.
      const sentFile = p.locator('#item-ID_DOCUMENT .files a').first();
      await tabTo(p, sentFile);
      assert.equal(await isFocused(p, sentFile), true);
      const rejected = await fetchJson(`${ui.stack.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/reject`, {
        method: 'POST',
        bearer: ui.stack.officerKey,
        json: { reasonCode: 'UNREADABLE', note: 'The photo page is blurred.' },
      });
      assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
      await item(p, 'ID_DOCUMENT', 'REJECTED').waitFor(WAIT);
      await p.waitForFunction(() => document.activeElement?.id === 'item-ID_DOCUMENT', undefined, WAIT);
      await p
        .locator('#announcer', { hasText: 'Identification document(s): Action needed. The reason is in its step.' })
        .waitFor({ state: 'attached', ...WAIT });
      assert.equal(await p.locator('#toasts .toast').count(), 0, 'no toast');

      await p.context().clearCookies();
      await p.goto(`${base()}/portal/`);
      await p.getByRole('heading', { name: 'Open your invitation link' }).waitFor(WAIT);
      await expectFocusRings(p, `${width}: signed out`);
      await p.goto(`${base()}/staff/`);
      await p.locator('#api-key').waitFor(WAIT);
      await expectFocusRings(p, `${width}: staff sign-in`);
    });

    it(`${width}: an upload cut off mid-way says it was interrupted and may not have been saved, and Retry sends the same file`, async () => {
      const a = await admit(ui.stack, { cohortId: uniq('cut-') });
      const p = await ui.newPage(viewport);
      await openSignInLink(p, `${base()}/invite?token=${await signInvitationToken(ui.stack.config, a.applicationNo)}`);
      const panel = p.locator('[data-upload="ID_DOCUMENT"]');
      // The connection is reset under the upload once (the browser's own network stack reports it as it would a dropped line).
      await p.route('**/items/ID_DOCUMENT/pages', (route) => route.abort('connectionreset'), { times: 1 });
      await panel.locator('input[type=file]').setInputFiles({ name: 'passport.pdf', mimeType: 'application/pdf', buffer: aPdf('Passport') });
      await panel.getByRole('button', { name: 'Upload' }).click();
      const problem = panel.getByRole('alert');
      await problem.getByText('The upload was interrupted. Your file may not have been saved.').waitFor(WAIT);
      assert.doesNotMatch(await problem.innerText(), /not accepted/);
      const retry = panel.getByRole('button', { name: 'Retry' });
      assert.equal(await isFocused(p, retry), true, 'the focus is on Retry');
      assert.equal((await statusOf(ui.stack, a.applicationNo)).items.find((i) => i.key === 'ID_DOCUMENT')?.state, 'PENDING');
      await expectAccessible(p, `${width}: an interrupted upload`);
      await retry.click();
      await sendForReview(p, 'ID_DOCUMENT');
      await item(p, 'ID_DOCUMENT', 'SUBMITTED').waitFor(WAIT);
      const sent = (await statusOf(ui.stack, a.applicationNo)).items.find((i) => i.key === 'ID_DOCUMENT')!;
      assert.deepEqual(
        sent.submissions.map((s) => s.originalName),
        ['passport.pdf'],
      );
    });

    it(`${width}: "Email me a new link" answers on the page every time, and a lower-case application number finds the registration`, async () => {
      const a = await admit(ui.stack, { cohortId: uniq('link-') });
      const p = await ui.newPage(viewport);
      await p.goto(`${base()}/portal/`);
      await p.getByRole('heading', { name: 'Open your invitation link' }).waitFor(WAIT);
      const result = p.locator('#new-link-result');
      for (let i = 0; i < 2; i++) {
        await p.getByLabel('Application number').fill(a.applicationNo.toLowerCase());
        await p.getByLabel(/Personal email/).fill(a.student.personalEmail);
        await p.getByRole('button', { name: 'Email me a new link' }).click();
        await result.filter({ hasText: SIGN_IN_LINK_ACCEPTED }).waitFor(WAIT);
      }
      await eventually(
        () => statusOf(ui.stack, a.applicationNo),
        (v) => v.emails.some((e) => e.kind === 'SIGN_IN_LINK'),
      );
    });
  }
});
