/**
 * The cohort dashboard in a real browser: the charts draw the seeded cohort's
 * figures (worked out by hand from the table in test/support/dashboard-cohort.ts),
 * a click on a bar opens the list behind it, nothing breaks the CSP, and an
 * admin's export downloads the cohort. Plus the queue's Review next button.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { startGateway } from '../gateway/support';
import { DASHBOARD_NOW, HOSTILE_NAME, seedDashboardCohort, type SeededCohort } from '../support/dashboard-cohort';
import { uniq } from '../kit/servers';
import { expectAccessible } from './axe';
import { screenshot } from './chromium';
import { browserSuite } from './suite';

const WAIT = { timeout: 30_000 };

describe('cohort dashboard in a real browser', function () {
  this.timeout(120_000);
  // A gateway alone (the seeded rows have no workflows), on the seeded cohort's clock.
  const ui = browserSuite('dashboard', {
    start: () => startGateway({ now: () => DASHBOARD_NOW.getTime() }),
    context: { viewport: { width: 1360, height: 1000 }, acceptDownloads: true },
  });
  let adminKey: string;
  let seeded: SeededCohort;

  before(async function () {
    this.timeout(60_000);
    adminKey = (await createStaffKey(ui.stack.prisma, { name: 'Alice Chan', role: 'admin' })).key;
    seeded = await seedDashboardCohort(
      ui.stack.prisma,
      uniq('browser-dash-'),
      uniq('B')
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .slice(0, 12),
    );
  });

  async function openDashboard(p: Page): Promise<void> {
    await p.goto(`${ui.stack.url}/staff/`);
    await p.fill('#api-key', adminKey);
    await p.click('button[type=submit]');
    await p.getByRole('heading', { name: 'Cohort dashboard' }).waitFor(WAIT);
    await p.goto(`${ui.stack.url}/staff/?cohortId=${encodeURIComponent(seeded.cohortId)}`);
    await p.locator('canvas[data-chart="backlog"]').waitFor(WAIT);
  }

  const plotted = (p: Page, chart: string) => p.locator(`canvas[data-chart="${chart}"]`).evaluate((c) => JSON.parse((c as HTMLCanvasElement).dataset.values!));

  /** Pixels the chart painted (not transparent): a chart that failed to draw has none. */
  const painted = (p: Page, chart: string) =>
    p.locator(`canvas[data-chart="${chart}"]`).evaluate((c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n;
    });

  /** Where on the canvas a colour was painted (CSS pixels), i.e. where a bar of that colour is. */
  const spotOf = (p: Page, chart: string, rgb: [number, number, number]) =>
    p.locator(`canvas[data-chart="${chart}"]`).evaluate((c, [r, g, b]) => {
      const canvas = c as HTMLCanvasElement;
      const { data, width } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      const ratio = canvas.width / canvas.clientWidth;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i] === r && data[i + 1] === g && data[i + 2] === b && data[i + 3] === 255) {
          const x = (i / 4) % width;
          const y = Math.floor(i / 4 / width);
          return { x: x / ratio + 2, y: y / ratio + 2 };
        }
      }
      return null;
    }, rgb);

  it('draws the seeded cohort: status, category, burn-down with its deadlines, outstanding items, review backlog', async () => {
    const p = ui.page;
    await openDashboard(p);
    assert.match(await p.locator('.page-head p').innerText(), /registration deadline Fri, 20 Aug 2027, payment deadline Thu, 19 Aug 2027/);

    // In progress S2 S3 S4 S6; incomplete none; completed S1; withdrawn S5.
    assert.deepEqual(await plotted(p, 'status'), [[4, 0, 1, 1]]);
    // RPG-LOCAL S4, TPG-NON_LOCAL S3, UG-JUPAS-LOCAL S1 S5, UG-NON_JUPAS-LOCAL S2, UG-NON_JUPAS-NON_LOCAL S6.
    assert.deepEqual(await plotted(p, 'category'), [[1, 1, 2, 1, 1]]);
    // 9–18 Aug: 5 5 5 (S1 in on the 11th, S6 admitted) 4 (S5 declined) 3 (S4 in) … ; 19 and 20 Aug are still to come.
    // With the projection from today (3) at the pace so far: 2 fewer in 9 days, 2/9 a day, so 3 - 2/9 and 3 - 4/9, rounded: 3 and 3.
    assert.deepEqual(await plotted(p, 'burndown'), [
      [5, 5, 5, 4, 3, 3, 3, 3, 3, 3, null, null],
      [null, null, null, null, null, null, null, null, null, 3, 3, 3],
    ]);
    // Form, identification, visa, receipt, photo, final transcript: never handed in / rejected / awaiting review.
    assert.deepEqual(await plotted(p, 'outstanding'), [
      [1, 1, 0, 1, 3, 1],
      [0, 0, 1, 0, 0, 0],
      [0, 3, 0, 0, 1, 0],
    ]);
    // Ages 0–6 working days: S3 photo 0, S3 identification 2, S4 3, S2 6 (past the 5-day service level).
    assert.deepEqual(await plotted(p, 'backlog'), [[1, 0, 1, 1, 0, 0, 1]]);
    // Late events: S5 paid twice after withdrawing, S1 activated after completing.
    assert.deepEqual(await plotted(p, 'late'), [[2, 1]]);

    for (const chart of ['status', 'category', 'burndown', 'outstanding', 'backlog', 'late']) {
      assert.ok((await painted(p, chart)) > 2000, `${chart} chart is drawn`);
    }
    assert.match(await p.locator('#chart-burndown .chart-summary').innerText(), /3 of 5 still miss a compulsory item today/);
    assert.match(await p.locator('#chart-burndown .chart-summary').innerText(), /At the pace so far, 3 would still miss one at the registration deadline/);
    assert.match(await p.locator('#chart-backlog .chart-summary').innerText(), /4 items waiting for review; service level 5 working days; 1 past it/);
    assert.match((await p.locator('canvas[data-chart="status"]').getAttribute('aria-label'))!, /In progress 4, Incomplete 0, Completed 1, Withdrawn 1/);
    await screenshot(p, 'staff-dashboard');
    await expectAccessible(p, 'cohort dashboard with every chart');
    assert.deepEqual(ui.problems, []);
  });

  it('a click on a bar opens the list behind it; the burn-down and the breaches link to theirs', async () => {
    const p = ui.page;
    await openDashboard(p);
    // The "In progress" bar is painted in the info blue #1d4f91.
    const spot = await spotOf(p, 'status', [0x1d, 0x4f, 0x91]);
    assert.ok(spot, 'the In progress bar is on the canvas');
    await p.locator('canvas[data-chart="status"]').click({ position: spot! });
    await p.getByRole('heading', { name: 'Registrations', exact: true }).waitFor(WAIT);
    const url = new URL(p.url());
    assert.equal(url.pathname, '/staff/registrations');
    assert.equal(url.searchParams.get('status'), 'IN_PROGRESS');
    assert.equal(url.searchParams.get('cohortId'), seeded.cohortId);
    await p.waitForFunction(() => document.querySelectorAll('tr[data-application]').length === 4, undefined, WAIT);
    const [, s2, s3, s4, , s6] = seeded.no;
    assert.deepEqual((await p.locator('tr[data-application]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-application')))).sort(), [
      s2,
      s3,
      s4,
      s6,
    ]);

    await p.goBack();
    await p.locator('#chart-burndown').getByRole('link', { name: 'See who' }).click();
    await p.getByTestId('extra-filters').waitFor(WAIT);
    assert.match(await p.getByTestId('extra-filters').innerText(), /missing a compulsory item/);
    await p.waitForFunction(() => document.querySelectorAll('tr[data-application]').length === 3, undefined, WAIT);

    await p.goBack();
    await p.getByTestId('breaches').click();
    await p.getByRole('heading', { name: 'Review queue' }).waitFor(WAIT);
    await p.waitForFunction(() => document.querySelectorAll('tr[data-application]').length === 1, undefined, WAIT);
    assert.equal(await p.locator('tr[data-application]').getAttribute('data-application'), s2);

    // The late events' figures table links each bar to its filtered list.
    await p.goBack();
    await p.locator('#chart-late summary').click();
    await p
      .locator('#chart-late')
      .getByRole('link', { name: /Payments/ })
      .click();
    await p.getByRole('heading', { name: 'Late events' }).waitFor(WAIT);
    assert.equal(new URL(p.url()).searchParams.get('kind'), 'PAYMENT');
    assert.equal(new URL(p.url()).searchParams.get('cohortId'), seeded.cohortId);
    await p.waitForFunction(() => document.querySelectorAll('tr[data-kind="PAYMENT"]').length === 2, undefined, WAIT);
    assert.equal(await p.locator('tr[data-kind="ACTIVATION"]').count(), 0);
    assert.deepEqual(ui.problems, []);
  });

  it('an admin exports the cohort as CSV from the dashboard; the hostile name arrives as text', async () => {
    const p = ui.page;
    await openDashboard(p);
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Export CSV' }).click()]);
    assert.equal(download.suggestedFilename(), `registrations-${seeded.cohortId}.csv`);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    assert.equal(csv.trim().split('\r\n').length, 7, 'header and six students');
    assert.ok(csv.includes(`"'${HOSTILE_NAME.replace(/"/g, '""')}"`), 'the formula is prefixed with a quote');
  });

  it('Review next on the queue opens the oldest unreviewed item', async () => {
    const p = ui.page;
    await openDashboard(p);
    await p.goto(`${ui.stack.url}/staff/queue?cohortId=${encodeURIComponent(seeded.cohortId)}`);
    await p.getByRole('button', { name: 'Review next' }).click();
    // S2's identification (Tue 10 Aug) is the oldest. The seeded rows have no workflow behind them, so only the address is checked.
    await p.waitForURL((u) => u.pathname === `/staff/registrations/${seeded.no[1]}` && u.hash === '#review-ID_DOCUMENT', WAIT);
  });

  it('an unknown program says so instead of six empty charts; the staff pages fit a phone (no sideways scroll, the navigation all on screen)', async () => {
    const p = ui.page;
    await openDashboard(p);
    await p.goto(`${ui.stack.url}/staff/?cohortId=${encodeURIComponent(seeded.cohortId)}&programCode=NO-SUCH-PROGRAM`);
    const empty = p.getByTestId('dashboard-empty');
    await empty.waitFor(WAIT);
    assert.match(
      await empty.innerText(),
      new RegExp(`No registrations match[\\s\\S]*Cohort ${seeded.cohortId} has no registration for program NO-SUCH-PROGRAM`),
    );
    assert.equal(await p.locator('canvas').count(), 0);
    await expectAccessible(p, 'dashboard, no registration matches');

    await p.setViewportSize({ width: 390, height: 844 });
    for (const path of ['/staff/', '/staff/registrations', '/staff/queue', '/staff/import']) {
      await p.goto(`${ui.stack.url}${path}`);
      await p.locator('h1').first().waitFor(WAIT);
      await p.waitForLoadState('networkidle');
      const fit = await p.evaluate(() => {
        const nav = Array.from(document.querySelectorAll<HTMLElement>('#staff-nav a, #staff-nav button'));
        const off = nav.filter((e) => {
          const r = e.getBoundingClientRect();
          return r.width > 0 && (r.left < 0 || r.right > window.innerWidth);
        });
        return { sideways: document.documentElement.scrollWidth > document.documentElement.clientWidth, off: off.map((e) => e.textContent) };
      });
      assert.deepEqual(fit, { sideways: false, off: [] }, `${path} at 390 px`);
    }
  });
});
