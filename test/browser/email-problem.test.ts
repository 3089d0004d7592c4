/**
 * A bounced invitation on the staff pages in a real browser (docs/domain.md, Invitations that
 * bounce), at desktop and phone widths: the registrations list flags the student and filters by
 * the flag; Correct email… on the flagged student sends one fresh invitation (the fake Resend is
 * the ground truth) and the flag goes.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { admit, eventually, startStack, type TestStack } from '../gateway/support';
import { FakeResend } from '../kit/fake-resend';
import { expectAccessible } from './axe';
import { browserSuite, signInStaff } from './suite';

const WAIT = { timeout: 30_000 };

describe('staff: a personal email that bounced, flagged and corrected (real browser)', function () {
  this.timeout(240_000);
  let fake: FakeResend;
  const ui = browserSuite<TestStack>('email-problem', {
    start: async () => {
      fake = await new FakeResend().start();
      const stack = await startStack({ RESEND_API_KEY: fake.apiKey, RESEND_BASE_URL: fake.baseUrl, REGISTRY_ALERT_EMAIL: 'registry-alerts@ust.hk' });
      fake.sendEventsTo(`${stack.url}/api/webhooks/email`, stack.config.RESEND_WEBHOOK_SECRET!);
      return {
        ...stack,
        async stop() {
          await fake.eventsSettled();
          await stack.stop();
          await fake.stop();
        },
      };
    },
  });
  const noSideways = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

  for (const [width, height] of [
    [1366, 800],
    [390, 844],
  ] as const) {
    it(`at ${width}×${height}: the list flags the bounced student and filters by it; Correct email… sends one invitation and the flag goes`, async () => {
      const cohortId = `cohort-flag-${randomUUID().slice(0, 8)}`;
      const a = await admit(ui.stack, { cohortId, name: 'Yip Hoi Ching', personalEmail: `bounced+${randomUUID().slice(0, 8)}@resend.dev` });
      const other = await admit(ui.stack, { cohortId, name: 'Kwok Man Lai' });
      const base = ui.stack.config.publicBaseUrl;
      const p = await ui.newPage({ width, height });
      await signInStaff(p, base, ui.stack.officerKey);

      const list = `${base}/staff/registrations?cohortId=${cohortId}`;
      const flag = p.locator(`tr[data-application="${a.applicationNo}"] [data-flag="email"]`);
      await eventually(
        async () => {
          await p.goto(list);
          await p.locator(`tr[data-application="${other.applicationNo}"]`).waitFor(WAIT);
          return flag.count();
        },
        (n) => n === 1,
        30_000,
      );
      assert.equal(await flag.innerText(), 'Personal email bounced');
      assert.equal(await p.locator(`tr[data-application="${other.applicationNo}"] [data-flag]`).count(), 0);
      assert.ok(await noSideways(p), 'no horizontal scroll');
      await expectAccessible(p, `registrations list with a flag at ${width}px`);

      await p.getByLabel('Personal email problem only').check();
      await p.getByRole('button', { name: /Filter|Apply|Search/ }).click();
      await p.waitForURL(/emailProblem=true/);
      await p.locator(`tr[data-application="${a.applicationNo}"]`).waitFor(WAIT);
      assert.equal(await p.locator('tbody tr[data-application]').count(), 1, 'only the flagged student');

      await p.locator(`tr[data-application="${a.applicationNo}"] a`).first().click();
      await p.getByRole('heading', { name: 'Yip Hoi Ching' }).waitFor(WAIT);
      await p.waitForLoadState('networkidle');
      // The staff student page fits this width too: no sideways scroll.
      assert.ok(await noSideways(p), 'no horizontal scroll on the staff student page');
      await p.getByRole('button', { name: 'Correct email…' }).click();
      const dialog = p.getByRole('dialog');
      const corrected = `${a.applicationNo.toLowerCase()}@example.com`;
      await dialog.getByLabel('New personal email').fill(corrected);
      await dialog.getByLabel('Reason').fill('The student phoned: a typo in the application form.');
      await dialog.getByRole('button', { name: 'Correct and re-invite' }).click();
      await p.getByText('Email corrected: a fresh invitation is on its way.').waitFor(WAIT);

      await eventually(
        async () => fake.delivered.filter((e) => e.to.includes(corrected)).length,
        (n) => n === 1,
        30_000,
      );
      await eventually(
        async () => {
          await p.goto(`${list}&emailProblem=true`);
          await p.getByRole('heading', { name: 'Registrations' }).waitFor(WAIT);
          return p.locator('tbody tr[data-application]').count();
        },
        (n) => n === 0,
        30_000,
      );
      assert.equal(fake.delivered.filter((e) => e.to.includes(corrected)).length, 1, 'exactly one new invitation');
      assert.deepEqual(ui.problems, []);
    });
  }
});
