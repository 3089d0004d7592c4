/**
 * Live pages in a real browser, with the pages' own timers frozen (Playwright's
 * clock, paused), so the 4-second poll can never fire and only the event
 * stream can bring a change: a staff decision appears on the open student
 * page within a second, and a student's upload on the open staff page (whose
 * clock is only let run for the short wait before it redraws).
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { signInvitationToken } from '../../src/links';
import { admit, eventually, fetchJson, uploadFile as apiUpload } from '../gateway/support';
import { uniq } from '../kit/servers';
import { item, openSignInLink } from './chromium';
import { browserSuite } from './suite';
import { aPdf } from '../kit/samples';

const WAIT = { timeout: 30_000 };

describe('live pages in a real browser (event streams, no polling)', function () {
  this.timeout(180_000);
  const ui = browserSuite('live');

  /** A page whose timers never fire: polling is impossible, so whatever changes came through the stream. */
  async function frozenPage(): Promise<Page> {
    const p = ui.page;
    await p.clock.install();
    await p.clock.pauseAt(new Date(Date.now() + 1_000));
    return p;
  }

  /** Counts the page's reads of the registration's status (the poll would be one). */
  function statusReads(p: Page, no: string): { count: number } {
    const reads = { count: 0 };
    p.on('request', (r) => void (r.method() === 'GET' && new URL(r.url()).pathname === `/api/registrations/${no}` && reads.count++));
    return reads;
  }

  it('a staff decision appears on the open student page within a second, without a reload or a poll', async () => {
    const stack = ui.stack;
    const a = await admit(stack, { cohortId: uniq('live-') });
    const upload = await apiUpload(`${stack.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents`, aPdf(), 'passport.pdf', {
      bearer: a.session,
      type: 'application/pdf',
    });
    assert.equal(upload.status, 201, JSON.stringify(upload.body));

    const p = await frozenPage();
    const reads = statusReads(p, a.applicationNo);
    await openSignInLink(p, `${stack.config.publicBaseUrl}/invite?token=${await signInvitationToken(stack.config, a.applicationNo)}`);
    await item(p, 'ID_DOCUMENT', 'SUBMITTED').waitFor(WAIT);
    await p.locator('#live[data-live="live"]').waitFor(WAIT);
    const navigations: string[] = [];
    p.on('framenavigated', (f) => void (f === p.mainFrame() && navigations.push(f.url())));
    const readsBefore = reads.count;

    // Timed from the officer's request: the workflow answers it first and projects the change just after (the
    // projection's notice is what the student's page follows).
    const t0 = Date.now();
    const decided = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/verify`, {
      method: 'POST',
      bearer: stack.officerKey,
      json: {},
    });
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
    await item(p, 'ID_DOCUMENT', 'VERIFIED').waitFor({ timeout: 5_000 });
    const ms = Date.now() - t0;
    assert.ok(ms < 1_000, `the decision appeared ${ms} ms after the officer sent it`);
    assert.deepEqual(navigations, [], 'no reload');
    assert.equal(reads.count - readsBefore, 1, 'one read of the status, asked for by the stream');
  });

  it('a student’s upload appears on the staff page of that student without a reload', async () => {
    const stack = ui.stack;
    const a = await admit(stack, { cohortId: uniq('live-') });
    await eventually(
      () => stack.prisma.registration.findUnique({ where: { applicationNo: a.applicationNo } }),
      (r) => !!r,
    );
    const p = await frozenPage();
    await p.goto(`${stack.config.publicBaseUrl}/staff/`);
    await p.fill('#api-key', stack.officerKey);
    await p.click('button[type=submit]');
    await p.getByRole('heading', { name: 'Cohort dashboard' }).waitFor(WAIT);
    await p.goto(`${stack.config.publicBaseUrl}/staff/registrations/${a.applicationNo}`);
    const review = p.locator('.review-item[data-item="ID_DOCUMENT"]');
    await review.waitFor(WAIT);
    assert.equal(await review.getAttribute('data-state'), 'PENDING');
    // The stream is open once the page asked for its token and the browser connected.
    await p.waitForResponse((r) => r.url().includes(`/api/registrations/${a.applicationNo}/events`), WAIT).catch(() => undefined);

    const upload = await apiUpload(`${stack.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents`, aPdf(), 'passport.pdf', {
      bearer: a.session,
      type: 'application/pdf',
    });
    assert.equal(upload.status, 201, JSON.stringify(upload.body));
    const t0 = Date.now();
    // The staff page waits a moment before it redraws (changes come in bursts): let its clock run as
    // fast as the real one, never near the 15 s of its fallback poll.
    const submitted = p.locator('.review-item[data-item="ID_DOCUMENT"][data-state="SUBMITTED"]');
    while (!(await submitted.count()) && Date.now() - t0 < 5_000) await p.clock.runFor(50);
    assert.equal(await submitted.count(), 1);
    assert.ok(Date.now() - t0 < 1_000, `appeared ${Date.now() - t0} ms after the upload's answer`);
    await p.getByRole('button', { name: 'Verify' }).first().waitFor(WAIT);
  });
});
