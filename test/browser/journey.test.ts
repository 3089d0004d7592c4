/**
 * The whole registration in a real browser, through the real gateway, a real
 * Temporal dev server, a worker with the real workflow and activities (outbox
 * emails, PostgreSQL projection) and the real PostgreSQL:
 *
 *   staff import a cohort → the invitation link is read from the outbox → the
 *   student opens it → the identity provider's signed webhook activates the
 *   account (the open page notices without reloading) → form → uploads (ID
 *   document, visa, a photo checked against the spec in the browser) → staff
 *   reject the ID document, the student sees why and replaces it → staff
 *   verify everything → the student's page shows COMPLETED.
 *
 * `UPDATE_SCREENSHOTS=1 npx mocha test/browser/journey.test.ts` also refreshes
 * docs/screenshots/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import type { Page } from 'playwright-core';
import { activateAccount } from '../gateway/support';
import { uniq } from '../kit/servers';
import { fillForm, item, screenshot, sendForReview, uploadFile } from './chromium';
import { browserSuite } from './suite';
import { aPdf } from '../kit/samples';

const WAIT = { timeout: 30_000 };
const STAFF_NAME = 'Officer Wong';

describe('portal journey in a real browser', function () {
  this.timeout(300_000);

  const ui = browserSuite('journey');

  it('import → invitation from the outbox → webhook activation → form → uploads → staff review → COMPLETED', async () => {
    const gw = ui.stack;
    const base = gw.config.publicBaseUrl;
    const cohortId = uniq('cohort-');
    const applicationNo = uniq('A').toUpperCase();
    const deadline = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const { key } = await createStaffKey(gw.prisma, { name: STAFF_NAME, role: 'admin' });

    // --- Staff sign in and import the cohort ---------------------------------
    const staff = await ui.newPage({ width: 1360, height: 900 }, { acceptDownloads: true });
    await staff.goto(`${base}/staff/`);
    await staff.locator('#api-key').waitFor(WAIT);
    await screenshot(staff, 'staff-sign-in', { fullPage: false });
    await staff.fill('#api-key', 'pgk_not_a_real_key');
    await staff.click('button[type=submit]');
    await staff.getByText('This key is not valid').waitFor(WAIT);
    await staff.fill('#api-key', key);
    await staff.click('button[type=submit]');
    await staff.getByRole('heading', { name: 'Cohort dashboard' }).waitFor(WAIT);
    assert.equal(await staff.evaluate(() => sessionStorage.getItem('progreg.staffKey')), key);

    await staff.getByRole('link', { name: 'Import cohort' }).click();
    const csv = cohortCsv(cohortId, applicationNo, deadline);
    await staff.setInputFiles('#cohort-file', { name: `${cohortId}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await staff.getByRole('button', { name: 'Check file' }).click();
    await staff.locator('#import-preview').waitFor(WAIT);
    await staff.getByRole('button', { name: 'Start 3 registrations and send 3 invitations' }).click();
    await staff.locator('[data-import-status="DONE"]').waitFor(WAIT);
    assert.equal(await stat(staff, 'total'), '4');
    assert.equal(await stat(staff, 'started'), '3');
    assert.equal(await stat(staff, 'rejected'), '1');
    assert.match(await staff.locator('[data-import-status] table').innerText(), /personalEmail/);
    await screenshot(staff, 'staff-import');

    // --- The invitation, from the outbox -----------------------------------------
    const registrationUrl = await invitationLink(gw.config.outboxDir, applicationNo);
    assert.ok(registrationUrl.startsWith(`${base}/invite?token=`), registrationUrl);

    // --- The student opens the link ------------------------------------------------
    const student = ui.page;
    // From the email (the browser sends Sec-Fetch-Site: none): a signed-out browser is asked once, then signed in.
    await student.goto(registrationUrl);
    await student.getByRole('heading', { name: 'Sign in to program registration?' }).waitFor();
    await student.getByRole('button', { name: `Sign in as ${applicationNo}` }).click();
    await item(student, 'ACTIVATION', 'PENDING').waitFor(WAIT);
    assert.equal(new URL(student.url()).pathname, '/portal/');
    assert.equal(new URL(student.url()).search, '', 'the token does not stay in the address bar');
    assert.match(await student.locator('#welcome').innerText(), /Welcome, Chan Tai Man/);
    assert.match(await student.locator('#next-step').innerText(), /Activate your HKUST account/);
    assert.deepEqual(await student.locator('#steps > li').evaluateAll((els) => els.map((e) => e.getAttribute('data-item'))), [
      'ACTIVATION',
      'FORM',
      'ID_DOCUMENT',
      'VISA',
      'PHOTO',
    ]);
    await screenshot(student, 'student-checklist');
    await student.setViewportSize({ width: 390, height: 844 });
    await screenshot(student, 'student-checklist-mobile', { fullPage: false });
    await student.setViewportSize({ width: 1280, height: 900 });

    // --- The identity provider activates the account (signed webhook); the page follows without reloading ---
    await student.evaluate(() => ((window as unknown as { journeyMarker: boolean }).journeyMarker = true));
    await activateAccount(gw, applicationNo);
    await item(student, 'ACTIVATION', 'VERIFIED').waitFor(WAIT);
    assert.equal(
      await student.evaluate(() => (window as unknown as { journeyMarker?: boolean }).journeyMarker),
      true,
      'the page updated itself, it was not reloaded',
    );
    assert.match(await student.locator('#summary').innerText(), /connect\.ust\.hk/);

    // --- The registration form -----------------------------------------------------
    await student.locator('#next-step').getByRole('button', { name: 'Go to this step' }).click();
    await fillForm(student, {
      day: '5',
      month: '4',
      year: '2003',
      nationality: 'Singaporean',
      phone: 'call me',
      address: '12 Orchard Road, #05-01, Singapore 238823',
      contactName: 'Chan Mei Ling',
      relationship: 'Mother',
      contactPhone: '+65 8123 0000',
    });
    // A phone number that is not one, and no consent: the page stops the form and lists both at the top and next to each field.
    await student.getByRole('button', { name: 'Continue' }).click();
    await student.locator('#form-errors').getByText('Confirm that you have read the Personal Information Collection Statement').waitFor(WAIT);
    await student.locator('#f-phone-error').getByText('Enter a phone number with digits, spaces and an optional +').waitFor(WAIT);
    await student.getByLabel('Mobile phone').fill('+65 8123 4567');
    assert.equal(await student.locator('#f-phone-error').isVisible(), false, 'the complaint next to the field goes once the field is corrected');
    await student.getByLabel(/I have read the Personal Information Collection Statement/).check();
    await screenshot(student, 'student-form');
    await student.getByRole('button', { name: 'Continue' }).click();
    await student.getByTestId('check-answers').getByText('5 April 2003').waitFor(WAIT);
    await screenshot(student, 'student-form-check');
    await student.getByRole('button', { name: 'Send registration form' }).click();
    await item(student, 'FORM', 'VERIFIED').waitFor(WAIT);

    // --- Uploads: ID document and visa (PDF), then the photo ----------------------
    await uploadFile(student, 'ID_DOCUMENT', { name: 'passport.pdf', mimeType: 'application/pdf', buffer: aPdf('Passport of Chan Tai Man') });
    await sendForReview(student, 'ID_DOCUMENT');
    await item(student, 'ID_DOCUMENT', 'SUBMITTED').waitFor(WAIT);
    await uploadFile(student, 'VISA', { name: 'student-visa.pdf', mimeType: 'application/pdf', buffer: aPdf('Entry permit') });
    await sendForReview(student, 'VISA');
    await item(student, 'VISA', 'SUBMITTED').waitFor(WAIT);

    // A landscape photo is stopped in the browser with what to fix; a portrait one inside the spec goes through.
    const photoPanel = student.locator('[data-upload="PHOTO"]');
    await photoPanel.locator('input[type=file]').setInputFiles({ name: 'holiday.jpg', mimeType: 'image/jpeg', buffer: await jpeg(student, 900, 600) });
    await photoPanel.getByText('Must be portrait').waitFor(WAIT);
    assert.equal(await photoPanel.getByRole('button', { name: 'Upload' }).isDisabled(), true);
    await photoPanel.locator('input[type=file]').setInputFiles({ name: 'id-photo.jpg', mimeType: 'image/jpeg', buffer: await jpeg(student, 600, 800) });
    await photoPanel.getByText('Portrait orientation').waitFor(WAIT);
    await screenshot(student, 'student-photo-upload');
    await photoPanel.getByRole('button', { name: 'Upload' }).click();
    await sendForReview(student, 'PHOTO');
    await item(student, 'PHOTO', 'SUBMITTED').waitFor(WAIT);
    assert.match(await student.locator('#next-step').innerText(), /Nothing to do for now/);

    // The student can download what they sent.
    const sent = student.locator('[data-item="ID_DOCUMENT"] .files a').first();
    const download = await student.request.get(new URL((await sent.getAttribute('href'))!, base).toString());
    assert.equal(download.status(), 200);
    assert.equal(download.headers()['content-type'], 'application/pdf');

    // --- Staff: the review queue, then reject the ID document ------------------------
    await staff.goto(`${base}/staff/queue?cohortId=${cohortId}`);
    await staff.locator(`tr[data-application="${applicationNo}"]`).first().waitFor(WAIT);
    const queued = await staff.locator(`tr[data-application="${applicationNo}"]`).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-item')));
    assert.deepEqual([...queued].sort(), ['ID_DOCUMENT', 'PHOTO', 'VISA']);
    await screenshot(staff, 'staff-review-queue');

    await staff.locator(`tr[data-application="${applicationNo}"][data-item="ID_DOCUMENT"]`).getByText('Review').click();
    await staff.locator('#review-ID_DOCUMENT').waitFor(WAIT);
    const temporalHref = await staff.getByTestId('temporal-link').getAttribute('href');
    assert.equal(temporalHref, `${gw.config.temporalUiUrl}/namespaces/default/workflows/registration-${applicationNo}`);
    const [file] = await Promise.all([staff.waitForEvent('download'), staff.locator('#review-ID_DOCUMENT').getByRole('button', { name: 'Download' }).click()]);
    assert.equal(file.suggestedFilename(), 'passport.pdf');

    await staff.locator('#review-ID_DOCUMENT').getByRole('button', { name: 'Reject…' }).click();
    const dialog = staff.getByRole('dialog');
    await dialog.getByLabel('Reason').selectOption('UNREADABLE');
    await dialog.getByLabel(/Note to the student/).fill('The scan is blurred; please upload a sharper copy of the photo page.');
    await screenshot(staff, 'staff-reject-dialog', { fullPage: false });
    await dialog.getByRole('button', { name: 'Reject item' }).click();
    await staff.locator('#review-ID_DOCUMENT[data-state="REJECTED"]').waitFor(WAIT);

    // --- The student sees why, live, and replaces the file --------------------------
    await item(student, 'ID_DOCUMENT', 'REJECTED').waitFor(WAIT);
    const rejected = await student.locator('[data-item="ID_DOCUMENT"]').innerText();
    assert.match(rejected, /The file is unreadable or blurred/);
    assert.match(rejected, /The scan is blurred; please upload a sharper copy/);
    await screenshot(student, 'student-rejected');
    await uploadFile(student, 'ID_DOCUMENT', { name: 'passport-rescan.pdf', mimeType: 'application/pdf', buffer: aPdf('Passport of Chan Tai Man, sharper') });
    await sendForReview(student, 'ID_DOCUMENT');
    await item(student, 'ID_DOCUMENT', 'SUBMITTED').waitFor(WAIT);

    // --- Staff verify everything ------------------------------------------------------
    await staff.reload();
    for (const key of ['ID_DOCUMENT', 'VISA', 'PHOTO']) {
      const card = staff.locator(`#review-${key}`);
      await card.getByRole('button', { name: 'Verify' }).click();
      await staff.locator(`#review-${key}[data-state="VERIFIED"]`).waitFor(WAIT);
    }
    const trail = await staff.getByTestId('audit-trail').innerText();
    assert.match(trail, new RegExp(`staff:${STAFF_NAME}`));
    assert.match(trail, /system:idp/);
    await screenshot(staff, 'staff-registration');

    // --- The student's page says COMPLETED, by itself -----------------------------------
    await student.locator('#outcome').getByText('Your program registration is complete').waitFor(WAIT);
    assert.equal(await student.locator('#status').innerText(), 'Completed');
    assert.equal(await student.locator('#steps > li[data-state="VERIFIED"]').count(), 5);
    assert.equal(await student.evaluate(() => (window as unknown as { journeyMarker?: boolean }).journeyMarker), true);
    await screenshot(student, 'student-completed');
  });
});

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const stat = (page: Page, name: string) => page.locator(`[data-stat="${name}"] .n`).innerText();

/** Three students of the journey's cohort (the one who owes the fee with hers), and one row the import must reject. */
function cohortCsv(cohortId: string, applicationNo: string, deadline: string): string {
  const row = (no: string, name: string, email: string, program: string, level: string, route: string, residency: string, fee = '') =>
    [no, name, email, program, level, route, residency, cohortId, deadline, fee].join(',');
  return [
    'applicationNo,name,personalEmail,programCode,studyLevel,admissionRoute,residency,cohortId,registrationDeadline,tuitionFee',
    row(applicationNo, 'Chan Tai Man', `${applicationNo.toLowerCase()}@example.com`, 'MSC-IT', 'TPG', '', 'NON_LOCAL'),
    row(uniq('A'), 'Lee Ka Yan', 'ka.yan.lee@example.com', 'BENG-COMP', 'UG', 'NON_JUPAS', 'LOCAL', '42100 HKD'),
    row(uniq('A'), 'Wong Siu Fung', 'siu.fung.wong@example.com', 'BSC-MATH', 'UG', 'JUPAS', 'LOCAL'),
    row(uniq('A'), 'Broken Row', 'not-an-email', 'BBA', 'UG', 'JUPAS', 'LOCAL'),
  ].join('\n');
}

/** The registration link of the student's invitation, as the outbox rendered it. */
async function invitationLink(outboxDir: string, applicationNo: string): Promise<string> {
  const dir = path.join(outboxDir, applicationNo);
  const until = Date.now() + 30_000;
  for (;;) {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.txt')) : [];
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      if (!/^Subject: HKUST: Invitation to Program Registration$/m.test(text)) continue;
      const link = /https?:\/\/\S+\/invite\?token=[A-Za-z0-9._-]+/.exec(text);
      if (link) return link[0];
    }
    if (Date.now() > until) throw new Error(`no invitation for ${applicationNo} in ${dir}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A JPEG drawn by the browser itself: a plain light background and a head-and-shoulders silhouette, with sensor-like noise. */
async function jpeg(page: Page, width: number, height: number): Promise<Buffer> {
  const dataUrl = await page.evaluate(
    ([w, h]) => {
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const g = canvas.getContext('2d')!;
      g.fillStyle = '#e9eef4';
      g.fillRect(0, 0, w, h);
      g.fillStyle = '#2d3a4a';
      g.beginPath();
      g.ellipse(w / 2, h * 1.02, w * 0.42, h * 0.36, 0, 0, Math.PI * 2);
      g.fill();
      g.fillStyle = '#c99a7b';
      g.beginPath();
      g.ellipse(w / 2, h * 0.42, Math.min(w, h) * 0.2, Math.min(w, h) * 0.26, 0, 0, Math.PI * 2);
      g.fill();
      const img = g.getImageData(0, 0, w, h);
      let seed = 7;
      for (let i = 0; i < img.data.length; i += 4) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const n = (seed % 13) - 6;
        img.data[i] += n;
        img.data[i + 1] += n;
        img.data[i + 2] += n;
      }
      g.putImageData(img, 0, 0);
      return canvas.toDataURL('image/jpeg', 0.9);
    },
    [width, height] as const,
  );
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
}
