/**
 * The portal's other paths in a real browser, against the same real stack as
 * the journey: links that do not work, a refused upload, declining the offer,
 * a deadline extension the student sees without reloading (and without
 * losing what they were typing), and what an officer may and may not do in
 * the staff pages.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { SignJWT } from 'jose';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { INVITE_AUDIENCE, ISSUER, signInvitationToken, tokenKey } from '../../src/links';
import { admit } from '../gateway/support';
import { uniq } from '../kit/servers';
import { item, screenshot, uploadFile, openSignInLink } from './chromium';
import { browserSuite } from './suite';

const WAIT = { timeout: 30_000 };

describe('portal pages in a real browser', function () {
  this.timeout(180_000);

  const ui = browserSuite('pages');

  /** Opens the student's invitation link in the browser, as a click in the email would. */
  async function openInvitation(applicationNo: string): Promise<Page> {
    const p = ui.page;
    await openSignInLink(p, `${ui.stack.config.publicBaseUrl}/invite?token=${await signInvitationToken(ui.stack.config, applicationNo)}`);
    await item(p, 'ACTIVATION', 'PENDING').waitFor(WAIT);
    return p;
  }

  it('a forged or expired invitation link says what is wrong; without a session the portal asks for the link', async () => {
    const p = ui.page;
    const base = ui.stack.config.publicBaseUrl;
    await p.goto(`${base}/invite?token=not-a-token`);
    await p.getByRole('heading', { name: 'This link does not work' }).waitFor(WAIT);
    assert.equal(new URL(p.url()).search, '', 'the error code does not stay in the address bar');

    const longAgo = Math.floor(Date.now() / 1000) - 90 * 86_400;
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(INVITE_AUDIENCE)
      .setSubject(uniq('A'))
      .setIssuedAt(longAgo)
      .setExpirationTime(longAgo + 60)
      .sign(tokenKey(ui.stack.config));
    await p.goto(`${base}/invite?token=${expired}`);
    await p.getByRole('heading', { name: 'This link has expired' }).waitFor(WAIT);

    await p.goto(`${base}/portal/`);
    await p.getByRole('heading', { name: 'Open your invitation link' }).waitFor(WAIT);
  });

  it('an upload the gateway refuses is shown as not sent; declining the offer withdraws the registration on the page', async () => {
    const { applicationNo } = await admit(ui.stack, { cohortId: uniq('cohort-') });
    const p = await openInvitation(applicationNo);

    // The name says PDF, the bytes do not: the browser lets it go, the gateway judges the bytes and refuses.
    await uploadFile(p, 'ID_DOCUMENT', { name: 'passport.pdf', mimeType: 'application/pdf', buffer: Buffer.from('just some text, not a PDF at all') });
    const refusal = p.locator('[data-upload="ID_DOCUMENT"] [role=alert]');
    await refusal.waitFor(WAIT);
    assert.match(await refusal.innerText(), /not accepted, nothing was sent/);
    assert.match(await refusal.innerText(), /must be PDF/);
    assert.equal(await item(p, 'ID_DOCUMENT', 'PENDING').count(), 1);

    await p.getByRole('button', { name: 'Decline my offer…' }).click();
    const dialog = p.getByRole('dialog');
    await dialog.getByLabel(/Reason/).fill('I have accepted an offer from another university.');
    // The confirmation box is required: without it the dialog stays open.
    await dialog.getByRole('button', { name: 'Decline offer' }).click();
    assert.equal(await dialog.isVisible(), true);
    await dialog.getByLabel(/I understand/).check();
    await screenshot(p, 'student-decline-dialog', { fullPage: false });
    await dialog.getByRole('button', { name: 'Decline offer' }).click();

    await p.locator('#outcome').getByText('Your registration has been withdrawn').waitFor(WAIT);
    assert.equal(await p.locator('#status').innerText(), 'Withdrawn');
    assert.match(await p.locator('#outcome').innerText(), /You declined the offer of admission/);
    assert.equal(await p.locator('[data-upload]').count(), 0, 'nothing can be uploaded any more');
    assert.equal(await p.getByRole('button', { name: 'Decline my offer…' }).count(), 0);
  });

  it('an admin extends the deadline in the staff pages; the open student page shows the new date without reloading', async () => {
    const cohortId = uniq('cohort-');
    const { applicationNo } = await admit(ui.stack, { cohortId, name: 'Ho Wing Sze' });
    const studentPage = await openInvitation(applicationNo);
    const before = await studentPage.locator('.deadline .when').first().innerText();
    // Half-way through the form when the change arrives: what the student typed must survive the update.
    await studentPage.getByRole('button', { name: 'Fill in the registration form' }).click();
    await studentPage.getByLabel('Nationality').fill('Malaysian');

    const staffPage = await ui.newPage({ width: 1360, height: 900 });
    await signIn(staffPage, ui.stack.adminKey);
    await staffPage.goto(`${ui.stack.config.publicBaseUrl}/staff/registrations/${applicationNo}`);
    await staffPage.getByRole('button', { name: 'Extend a deadline…' }).click();
    const dialog = staffPage.getByRole('dialog');
    const until = new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10);
    await dialog.getByLabel(/New date/).fill(until);
    await dialog.getByLabel('Reason').fill('Visa appointment delayed.');
    await dialog.getByRole('button', { name: 'Extend' }).click();
    await staffPage.getByText('Deadline extended.').waitFor(WAIT);

    const [y, m, d] = until.split('-').map(Number) as [number, number, number];
    const expected = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(Date.UTC(y, m - 1, d)));
    await studentPage.locator('.deadline .when', { hasText: expected }).waitFor(WAIT);
    assert.notEqual(await studentPage.locator('.deadline .when').first().innerText(), before);
    assert.equal(await studentPage.getByLabel('Nationality').inputValue(), 'Malaysian');
    assert.match(await staffPage.locator('#dl-title').locator('..').innerText(), new RegExp(expected));
    // The student is told the deadline moved, on the page (and by email: test/workflow/paths.test.ts).
    assert.match(await studentPage.getByTestId('deadline-change').innerText(), new RegExp(`extended on .* to ${expected}`));
  });

  it('an officer finds registrations by cohort and name, cannot import or extend deadlines, and signing out forgets the key', async () => {
    const cohortId = uniq('cohort-');
    const first = await admit(ui.stack, { cohortId, name: 'Lam Chi Kwan', programCode: 'MPHIL-CSE', studyLevel: 'RPG' });
    const second = await admit(ui.stack, { cohortId, name: 'Yip Hoi Ying', residency: 'NON_LOCAL' });
    const { key } = await createStaffKey(ui.stack.prisma, { name: 'Officer Cheung', role: 'officer' });
    const p = ui.page;
    await signIn(p, key);
    assert.equal(await p.locator('#staff-nav').getByRole('link', { name: 'Import cohort' }).count(), 0);

    await p.getByRole('link', { name: 'Registrations', exact: true }).click();
    await p.getByLabel('Cohort').fill(cohortId);
    await p.getByRole('button', { name: 'Apply' }).click();
    // The projection reaches the read model shortly after the workflows start.
    await p.waitForFunction(() => document.querySelectorAll('tr[data-application]').length === 2, undefined, WAIT);
    await screenshot(p, 'staff-registrations', { fullPage: false });

    // Only the non-local student owes a visa; choosing a filter applies it at once.
    await p.getByLabel('Outstanding item').selectOption('VISA');
    await p.waitForFunction(() => document.querySelectorAll('tr[data-application]').length === 1, undefined, WAIT);
    assert.equal(await p.locator('tr[data-application]').getAttribute('data-application'), second.applicationNo);
    await p.getByLabel('Outstanding item').selectOption('');
    await p.waitForFunction(() => document.querySelectorAll('tr[data-application]').length === 2, undefined, WAIT);

    await p.getByLabel('Search').fill('Lam Chi');
    await p.getByRole('button', { name: 'Apply' }).click();
    await p.waitForFunction(() => document.querySelectorAll('tr[data-application]').length === 1, undefined, WAIT);
    assert.equal(await p.locator('tr[data-application]').getAttribute('data-application'), first.applicationNo);
    assert.match(p.url(), /q=Lam\+Chi/);

    await p.getByRole('link', { name: first.applicationNo }).click();
    await p.getByRole('heading', { name: 'Lam Chi Kwan' }).waitFor(WAIT);
    assert.equal(await p.getByRole('button', { name: 'Extend a deadline…' }).count(), 0);
    await p.goBack();
    await p.locator(`tr[data-application="${first.applicationNo}"]`).waitFor(WAIT);

    await p.goto(`${ui.stack.config.publicBaseUrl}/staff/import`);
    await p.getByText('Importing cohorts needs the administrator role.').waitFor(WAIT);

    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.getByRole('heading', { name: 'Staff sign-in' }).waitFor(WAIT);
    assert.equal(await p.evaluate(() => sessionStorage.getItem('progreg.staffKey')), null);
  });

  async function signIn(p: Page, key: string): Promise<void> {
    await p.goto(`${ui.stack.config.publicBaseUrl}/staff/`);
    await p.fill('#api-key', key);
    await p.click('button[type=submit]');
    await p.getByRole('heading', { name: 'Cohort dashboard' }).waitFor(WAIT);
  }
});
