/**
 * The staff import in a real browser, at desktop and phone widths: a letter saved as .xlsx is
 * refused with what it is; *Check file* shows what the import would do in words (new registrations,
 * refused rows with their reasons, invitation emails) and starts nothing; the confirm button starts
 * exactly those registrations.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { fetchJson } from '../gateway/support';
import { uniq } from '../kit/servers';
import { expectAccessible } from './axe';
import { screenshot } from './chromium';
import { browserSuite } from './suite';

const WAIT = { timeout: 30_000 };
const HEADER = 'applicationNo,name,personalEmail,programCode,studyLevel,admissionRoute,residency,cohortId,registrationDeadline,paymentDeadline,supplementary';

describe('staff import: check the file, then confirm (real browser)', function () {
  this.timeout(240_000);
  const ui = browserSuite('import-preview');

  const registered = async (no: string) => (await fetchJson(`${ui.stack.url}/api/registrations/${no}`, { bearer: ui.stack.adminKey })).status === 200;
  const stat = (p: Page, id: string) => p.locator(`#import-preview [data-stat="${id}"] .n`).innerText();
  const noSideways = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

  for (const [width, height] of [
    [1366, 800],
    [390, 844],
  ] as const) {
    it(`at ${width}×${height}: a .xlsx letter is refused, Check file previews in words, Start imports exactly that`, async () => {
      const p = await ui.newPage({ width, height });
      await p.goto(`${ui.stack.config.publicBaseUrl}/staff/`);
      await p.fill('#api-key', ui.stack.adminKey);
      await p.click('button[type=submit]');
      await p.getByRole('heading', { name: 'Cohort dashboard' }).waitFor(WAIT);
      await p.goto(`${ui.stack.config.publicBaseUrl}/staff/import`);
      await p.getByRole('heading', { name: 'Import cohort' }).waitFor(WAIT);

      await p.setInputFiles('#cohort-file', {
        name: 'cohort.xlsx',
        mimeType: 'application/octet-stream',
        buffer: Buffer.from('Dear Registry,\nthe list follows.\n'),
      });
      await p.getByRole('button', { name: 'Check file' }).click();
      const alert = p.getByRole('alert');
      await alert.waitFor(WAIT);
      assert.match(await alert.innerText(), /The file was not checked\.[\s\S]*text but not a cohort CSV/);
      assert.doesNotMatch(await p.locator('main').innerText(), /Import finished|0 rows/);

      const n = uniq('W')
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '');
      const cohort = uniq('c-check-');
      const row = (no: string, name: string, email: string) => `${no},${name},${email},BSC-COMP,UG,JUPAS,LOCAL,${cohort},2099-08-31,,`;
      const csv = [
        HEADER,
        row(`${n}1`, 'CHAN Tai Man', 'tm@example.com'),
        row(`${n}2`, 'LEE Ka Yan', 'ky@example.com'),
        row(`${n}3`, '', 'x@example.com'),
      ].join('\n');
      await p.setInputFiles('#cohort-file', { name: `${cohort}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv) });
      assert.equal(await p.getByRole('alert').count(), 0, 'another file puts the old answer away');
      await p.getByRole('button', { name: 'Check file' }).click();
      await p.locator('#import-preview').waitFor(WAIT);
      assert.equal(await p.evaluate(() => document.activeElement?.id), 'preview-title', 'focus on the preview');
      assert.deepEqual(
        [await stat(p, 'total'), await stat(p, 'new'), await stat(p, 'existing'), await stat(p, 'refused'), await stat(p, 'emails')],
        ['3', '2', '0', '1', '2'],
      );
      assert.match(
        await p.getByTestId('preview-summary').innerText(),
        /would start 2 new registrations and send 2 invitation emails\. 1 row would be refused .* Nothing has been started yet\./,
      );
      const refused = await p.locator('#import-preview table').innerText();
      assert.match(refused, /4\s+\w+3\s+Name \(name\): is missing/);
      assert.doesNotMatch(refused, /Too small|expected string/);
      assert.ok(await noSideways(p), 'no horizontal scroll');
      await expectAccessible(p, `import preview at ${width}px`);
      if (width > 1000) await screenshot(p, 'staff-import-preview');
      assert.equal(await registered(`${n}1`), false, 'nothing started by the check');

      await p.getByRole('button', { name: 'Start 2 registrations and send 2 invitations' }).click();
      await p.locator('[data-import-status="DONE"]').waitFor(WAIT);
      assert.equal(await p.locator('[data-import-status] [data-stat="started"] .n').innerText(), '2');
      assert.equal(await registered(`${n}1`), true);
      assert.equal(await registered(`${n}2`), true);
      assert.ok(await noSideways(p), 'no horizontal scroll');
      await expectAccessible(p, `import finished at ${width}px`);
    });
  }
});
