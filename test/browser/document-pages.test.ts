/**
 * Several files per document in Chromium (docs/domain.md, "Files and pages"):
 * at desktop and phone widths a student adds three pages to the
 * identification item, removes one, and sends the other two for review; the
 * staff page then shows both pages of the submission, each with its download.
 * axe-core checks the new states.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { signInvitationToken } from '../../src/links';
import { admit } from '../gateway/support';
import { aPdf } from '../kit/samples';
import { uniq } from '../kit/servers';
import { expectAccessible } from './axe';
import { item, openSignInLink, sendForReview, uploadFile } from './chromium';
import { browserSuite } from './suite';

const WAIT = { timeout: 30_000 };

describe('document pages in a real browser', function () {
  this.timeout(240_000);
  const ui = browserSuite('document-pages');

  const pages = (p: Page) => p.locator('[data-pages="ID_DOCUMENT"] li');
  const pageNames = async (p: Page) => (await pages(p).locator('.name').allInnerTexts()).map((t) => t.trim());

  for (const [width, height] of [
    [1366, 800],
    [390, 844],
  ] as const) {
    it(`${width}×${height}: three pages added, the second removed, two sent for review; staff see both pages`, async () => {
      const a = await admit(ui.stack, { cohortId: uniq('cohort-pages-') });
      const student = await ui.newPage({ width, height });
      await openSignInLink(student, `${ui.stack.config.publicBaseUrl}/invite?token=${await signInvitationToken(ui.stack.config, a.applicationNo)}`);
      await item(student, 'ID_DOCUMENT', 'PENDING').waitFor(WAIT);

      await uploadFile(student, 'ID_DOCUMENT', { name: 'hkid-front.pdf', mimeType: 'application/pdf', buffer: aPdf('HKID front') });
      await pages(student).first().waitFor(WAIT);
      await uploadFile(student, 'ID_DOCUMENT', { name: 'wrong-scan.pdf', mimeType: 'application/pdf', buffer: aPdf('not this one') });
      await pages(student).nth(1).waitFor(WAIT);
      await uploadFile(student, 'ID_DOCUMENT', { name: 'hkid-back.pdf', mimeType: 'application/pdf', buffer: aPdf('HKID back') });
      await pages(student).nth(2).waitFor(WAIT);
      assert.deepEqual(await pageNames(student), ['Page 1: hkid-front.pdf', 'Page 2: wrong-scan.pdf', 'Page 3: hkid-back.pdf']);
      assert.equal(await item(student, 'ID_DOCUMENT', 'PENDING').count(), 1, 'pages not sent are not a submission');
      assert.match(await student.locator('#next-step').innerText(), /Send your identification document\(s\) for review[\s\S]*You added 3 pages/);
      await expectAccessible(student, `student page with three pages ready to send (${width} px)`);

      await student.getByRole('button', { name: 'Remove page 2, wrong-scan.pdf' }).click();
      await student.waitForFunction(() => document.querySelectorAll('[data-pages="ID_DOCUMENT"] li').length === 2, undefined, WAIT);
      assert.deepEqual(await pageNames(student), ['Page 1: hkid-front.pdf', 'Page 2: hkid-back.pdf']);
      assert.match(await student.locator('[data-pages="ID_DOCUMENT"]').innerText(), /Ready to send: 2 of at most 10 pages/);

      await sendForReview(student, 'ID_DOCUMENT');
      const sent = item(student, 'ID_DOCUMENT', 'SUBMITTED');
      await sent.waitFor(WAIT);
      assert.equal(await student.locator('[data-upload="ID_DOCUMENT"]').count(), 0, 'nothing can be added until the registry decides');
      assert.equal(await student.locator('[data-pages="ID_DOCUMENT"]').count(), 0);
      const files = await sent.locator('.files li').allInnerTexts();
      assert.equal(files.length, 2);
      assert.match(files.join('\n'), /hkid-front\.pdf[\s\S]*page 1 of 2/);
      assert.match(files.join('\n'), /hkid-back\.pdf[\s\S]*page 2 of 2/);
      await expectAccessible(student, `student page with two pages sent (${width} px)`);

      const staff = ui.page;
      await staff.setViewportSize({ width, height });
      await staff.goto(`${ui.stack.config.publicBaseUrl}/staff/`);
      await staff.fill('#api-key', ui.stack.officerKey);
      await staff.click('button[type=submit]');
      await staff.getByRole('heading', { name: 'Cohort dashboard' }).waitFor(WAIT);
      await staff.goto(`${ui.stack.config.publicBaseUrl}/staff/registrations/${a.applicationNo}`);
      const card = staff.locator('#review-ID_DOCUMENT[data-state="SUBMITTED"]');
      await card.waitFor(WAIT);
      const staffFiles = await card.locator('.files li').allInnerTexts();
      assert.equal(staffFiles.length, 2, staffFiles.join('\n'));
      assert.match(staffFiles.join('\n'), /hkid-back\.pdf[\s\S]*v1 page 2 of 2/);
      assert.match(staffFiles.join('\n'), /hkid-front\.pdf[\s\S]*v1 page 1 of 2/);
      assert.doesNotMatch(staffFiles.join('\n'), /wrong-scan/);
      assert.equal(await card.getByRole('button', { name: 'Download' }).count(), 2);
      await expectAccessible(staff, `staff registration with a submission of two pages (${width} px)`);
    });
  }
});
