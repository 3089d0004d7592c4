/**
 * Every page passes an axe-core audit (WCAG 2.0, 2.1 and 2.2, A and AA; the
 * helper is test/browser/axe.ts), in the states a person meets: signed out,
 * the student's checklist with its form, upload panel and decline dialog, and
 * every staff page with its dialogs. And the three tasks that must work from
 * the keyboard alone: a student's upload, an officer's decisions, Review next.
 */
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { signInvitationToken } from '../../src/links';
import { aPdf, admit, eventually, startStack, uploadFile as apiUpload, type Admitted, type TestStack } from '../gateway/support';
import { seedDashboardCohort, type SeededCohort } from '../support/dashboard-cohort';
import { uniq } from '../support/env';
import { expectAccessible } from './axe';
import { item, keepEvidence, launchChromium } from './chromium';

const WAIT = { timeout: 30_000 };

describe('accessibility: axe-core on every page, and the keyboard alone', function () {
  this.timeout(240_000);
  let stack: TestStack;
  let browser: Browser;
  let page: Page;
  let seeded: SeededCohort;

  before(async function () {
    this.timeout(240_000);
    stack = await startStack();
    seeded = await seedDashboardCohort(stack.prisma, uniq('a11y-'), uniq('Y').toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 12));
    browser = await launchChromium();
  });
  beforeEach(async () => {
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' })).newPage();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.error(`    page at the failure: ${await keepEvidence(page, 'a11y')}`);
    await page.context().close();
  });
  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await stack?.stop();
  });

  const base = () => stack.config.publicBaseUrl;

  async function openInvitation(p: Page, a: Admitted): Promise<void> {
    await p.goto(`${base()}/invite?token=${await signInvitationToken(stack.config, a.applicationNo)}`);
    await item(p, 'ACTIVATION', 'PENDING').waitFor(WAIT);
  }

  async function signInStaff(p: Page, key: string): Promise<void> {
    await p.goto(`${base()}/staff/`);
    await p.fill('#api-key', key);
    await p.click('button[type=submit]');
    await p.getByRole('heading', { name: 'Cohort dashboard' }).waitFor(WAIT);
  }

  it('signed-out pages: the portal without a session, a broken link, staff sign-in, the API docs', async () => {
    await page.goto(`${base()}/portal/`);
    await page.getByRole('heading', { name: 'Open your invitation link' }).waitFor(WAIT);
    await expectAccessible(page, 'portal, signed out');

    await page.goto(`${base()}/invite?token=not-a-token`);
    await page.getByRole('heading', { name: 'This link does not work' }).waitFor(WAIT);
    await expectAccessible(page, 'broken invitation link');

    await page.goto(`${base()}/staff/`);
    await page.getByRole('heading', { name: 'Staff sign-in' }).waitFor(WAIT);
    await expectAccessible(page, 'staff sign-in');
    await page.fill('#api-key', 'pgk_not_a_real_key');
    await page.click('button[type=submit]');
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor(WAIT);
    await expectAccessible(page, 'staff sign-in with its error');

    await page.goto(`${base()}/docs`);
    await page.locator('.opblock, h2, section').first().waitFor(WAIT);
    await expectAccessible(page, 'API docs (/docs)');
  });

  it('the student’s pages: checklist, form, upload panel, a submitted file, the decline dialog', async () => {
    const a = await admit(stack, { cohortId: uniq('a11y-'), residency: 'NON_LOCAL' });
    await openInvitation(page, a);
    await expectAccessible(page, 'student checklist');

    await page.getByRole('button', { name: 'Fill in the registration form' }).click();
    await page.getByLabel('Nationality').waitFor(WAIT);
    await expectAccessible(page, 'student checklist with the form open');

    await page.locator('[data-upload="ID_DOCUMENT"] input[type=file]').setInputFiles({ name: 'passport.pdf', mimeType: 'application/pdf', buffer: aPdf() });
    await page.locator('[data-upload="ID_DOCUMENT"] .upload-preview').waitFor(WAIT);
    await expectAccessible(page, 'upload panel with a chosen file');
    await page.locator('[data-upload="ID_DOCUMENT"]').getByRole('button', { name: 'Upload' }).click();
    await item(page, 'ID_DOCUMENT', 'SUBMITTED').waitFor(WAIT);
    await expectAccessible(page, 'student checklist with a submitted file');

    await page.getByRole('button', { name: 'Decline my offer…' }).click();
    await page.getByRole('dialog').waitFor(WAIT);
    await expectAccessible(page, 'decline dialog');
  });

  it('every staff page: dashboard, queue, registrations, a registration with its dialogs, late events, import', async () => {
    const a = await admit(stack, { cohortId: seeded.cohortId });
    assert.equal((await apiUpload(`${stack.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents`, aPdf(), 'id.pdf', { bearer: a.session, type: 'application/pdf' })).status, 201);
    await signInStaff(page, stack.adminKey);
    await page.goto(`${base()}/staff/?cohortId=${encodeURIComponent(seeded.cohortId)}`);
    await page.locator('canvas[data-chart="backlog"]').waitFor(WAIT);
    await expectAccessible(page, 'cohort dashboard');

    await page.goto(`${base()}/staff/queue?cohortId=${encodeURIComponent(seeded.cohortId)}`);
    await page.locator('tr[data-application]').first().waitFor(WAIT);
    await expectAccessible(page, 'review queue');

    await page.goto(`${base()}/staff/registrations?cohortId=${encodeURIComponent(seeded.cohortId)}`);
    await page.locator('tr[data-application]').first().waitFor(WAIT);
    await expectAccessible(page, 'registrations list');

    await eventually(() => stack.prisma.checklistItem.findUnique({ where: { registrationNo_key: { registrationNo: a.applicationNo, key: 'ID_DOCUMENT' } } }), (i) => i?.state === 'SUBMITTED');
    await page.goto(`${base()}/staff/registrations/${a.applicationNo}`);
    await page.locator('.review-item[data-item="ID_DOCUMENT"][data-state="SUBMITTED"]').waitFor(WAIT);
    await expectAccessible(page, 'one registration');
    await page.getByRole('button', { name: 'Reject…' }).first().click();
    await page.getByRole('dialog').waitFor(WAIT);
    await expectAccessible(page, 'reject dialog');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Extend a deadline…' }).click();
    await page.getByRole('dialog').waitFor(WAIT);
    await expectAccessible(page, 'extend-deadline dialog');
    await page.keyboard.press('Escape');

    await page.goto(`${base()}/staff/late-events`);
    await page.getByRole('heading', { name: /Late events/ }).first().waitFor(WAIT);
    await expectAccessible(page, 'late events');

    await page.goto(`${base()}/staff/import`);
    await page.getByRole('heading', { name: /Import/ }).first().waitFor(WAIT);
    await expectAccessible(page, 'import');
  });

  it('keyboard only: a student chooses and uploads a file', async () => {
    const a = await admit(stack, { cohortId: uniq('a11y-') });
    await openInvitation(page, a);
    const input = page.locator('[data-upload="ID_DOCUMENT"] input[type=file]');
    await tabUntil(page, input);
    // Space on a focused file input opens the file chooser, as it does for a person.
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
    await chooser.setFiles({ name: 'passport.pdf', mimeType: 'application/pdf', buffer: aPdf() });
    const send = page.locator('[data-upload="ID_DOCUMENT"]').getByRole('button', { name: 'Upload' });
    await page.waitForFunction((el) => !(el as HTMLButtonElement).disabled, await send.elementHandle());
    await tabUntil(page, send);
    await page.keyboard.press('Enter');
    await item(page, 'ID_DOCUMENT', 'SUBMITTED').waitFor(WAIT);
  });

  it('keyboard only: an officer rejects an item with a reason (Verify: the Review next test)', async () => {
    const a = await admit(stack, { cohortId: uniq('a11y-') });
    assert.equal((await apiUpload(`${stack.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents`, aPdf(), 'id.pdf', { bearer: a.session, type: 'application/pdf' })).status, 201);
    const { key: officerKey } = await createStaffKey(stack.prisma, { name: uniq('officer.'), role: 'officer' });
    await signInStaff(page, officerKey);
    await page.goto(`${base()}/staff/registrations/${a.applicationNo}`);
    const id = page.locator('.review-item[data-item="ID_DOCUMENT"]');
    await page.locator('.review-item[data-item="ID_DOCUMENT"][data-state="SUBMITTED"]').waitFor(WAIT);

    await tabUntil(page, id.getByRole('button', { name: 'Reject…' }));
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor(WAIT);
    // The dialog takes the focus, on its first field (the reason list); then the note, then the buttons.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'reject-reason');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    await page.keyboard.type('The scan is cut off at the bottom; please send the whole page.');
    await tabUntil(page, dialog.getByRole('button', { name: 'Reject item' }));
    await page.keyboard.press('Enter');
    await page.locator('.review-item[data-item="ID_DOCUMENT"][data-state="REJECTED"]').waitFor(WAIT);
    await expectAccessible(page, 'one registration after a rejection');
  });

  it('keyboard only: Review next opens the oldest unclaimed item, and Verify decides it', async () => {
    const { key } = await createStaffKey(stack.prisma, { name: uniq('officer.'), role: 'officer' });
    await signInStaff(page, key);
    await page.goto(`${base()}/staff/queue?cohortId=${encodeURIComponent(seeded.cohortId)}`);
    await page.locator('tr[data-application]').first().waitFor(WAIT);
    await tabUntil(page, page.getByRole('button', { name: /Review next/ }));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/staff\/registrations\/[^/?#]+/, WAIT);
    const verify = page.getByRole('button', { name: 'Verify' }).first();
    await verify.waitFor(WAIT);
    await tabUntil(page, verify);
    await page.keyboard.press('Enter');
    await page.getByText(/verified\./).first().waitFor(WAIT);
  });
});

/** Presses Tab until the element has the focus (at most 80 times): proves it is reachable by keyboard, in order. */
async function tabUntil(p: Page, target: import('playwright-core').Locator): Promise<void> {
  const handle = await target.elementHandle({ timeout: 30_000 });
  for (let i = 0; i < 80; i++) {
    if (await p.evaluate((el) => document.activeElement === el, handle)) return;
    await p.keyboard.press('Tab');
  }
  throw new Error(`could not reach ${target.toString()} with the Tab key`);
}
