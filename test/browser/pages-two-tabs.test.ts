/**
 * One student, one multi-page document, two tabs at once (docs/domain.md, "Files
 * and pages"; docs/gateway.md, "Pages"), in Chromium against the real stack:
 * pages are added in both tabs at the same moment and both tabs show both; one
 * tab removes a page and adds a rescan while the other tab's view is held back
 * (a tab whose updates have not arrived yet); that stale tab then removes the
 * page already gone and sends what was already sent, and each time says in
 * words that nothing was done instead of doing something silently. The item
 * sent holds exactly the pages the rules say: every page added and not taken
 * out, each under its own number, and nothing else. A stale tab sends only the
 * pages it showed. A file chosen in one tab is still there, and uploads, after
 * the other tab's page redrew its card.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Page, Request } from 'playwright-core';
import { signInvitationToken } from '../../src/links';
import { admit, eventually, statusOf } from '../gateway/support';
import { aPdf } from '../kit/samples';
import { uniq } from '../kit/servers';
import { item, openSignInLink, sendForReview, uploadFile } from './chromium';
import { browserSuite } from './suite';

const WAIT = { timeout: 30_000 };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('document pages in two tabs of one student', function () {
  this.timeout(240_000);
  const ui = browserSuite('pages-two-tabs');

  const pageNames = async (p: Page) => (await p.locator('[data-pages="ID_DOCUMENT"] li .name').allInnerTexts()).map((t) => t.trim());
  /** Waits until the tab lists these pages, in this order. */
  const shows = async (p: Page, names: string[]) => {
    await p.waitForFunction(
      (want) =>
        JSON.stringify(Array.from(document.querySelectorAll('[data-pages="ID_DOCUMENT"] li .name'), (e) => (e as HTMLElement).innerText.trim())) ===
        JSON.stringify(want),
      names,
      WAIT,
    );
  };

  /** The tab's Remove button for the page of this name, whatever its number there. */
  const removeButton = (p: Page, name: string) => p.getByRole('button', { name: new RegExp(`^Remove page \\d+, ${name.replace('.', '\\.')}$`) });

  /** The status reads each tab has sent and not had answered yet (see holdBack). */
  const statusReads = new Map<Page, Set<Request>>();
  const isStatusRead = (r: Request) => /^\/api\/registrations\/[^/]+$/.test(new URL(r.url()).pathname);
  function trackStatusReads(p: Page): void {
    const open = new Set<Request>();
    statusReads.set(p, open);
    p.on('request', (r) => isStatusRead(r) && open.add(r));
    p.on('requestfinished', (r) => open.delete(r));
    p.on('requestfailed', (r) => open.delete(r));
  }

  /**
   * Holds the tab's view back: its event stream is refused and every read of the status waits until `release()`
   * (what a tab whose updates have not arrived yet shows). Its own actions still reach the gateway. A read already
   * on its way cannot be held: it is let finish first, or its answer (the workflow's, which answers a query after
   * the updates that reached it first) could bring the other tab's later changes into the tab held back.
   */
  async function holdBack(p: Page, applicationNo: string): Promise<() => Promise<void>> {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const statusPath = `/api/registrations/${applicationNo}`;
    await p.route(
      (url) => url.pathname === `${statusPath}/events`,
      (route) => route.abort(),
    );
    await p.route(
      (url) => url.pathname === statusPath,
      async (route) => {
        await released;
        await route.continue();
      },
    );
    const open = statusReads.get(p) ?? new Set<Request>();
    const onTheirWay = [...open];
    while (onTheirWay.some((r) => open.has(r))) await new Promise((r) => setTimeout(r, 20));
    return async () => {
      release();
      await p.unrouteAll({ behavior: 'wait' });
    };
  }

  /** A student admitted and signed in by the link in one tab, the portal open in a second tab of the same browser (same session). */
  async function twoTabs(): Promise<{ a: Awaited<ReturnType<typeof admit>>; first: Page; second: Page }> {
    const a = await admit(ui.stack, { cohortId: uniq('cohort-tabs-') });
    const first = await ui.newPage({ width: 1280, height: 900 });
    trackStatusReads(first);
    await openSignInLink(first, `${ui.stack.config.publicBaseUrl}/invite?token=${await signInvitationToken(ui.stack.config, a.applicationNo)}`);
    const second = await first.context().newPage();
    await second.goto(`${ui.stack.config.publicBaseUrl}/portal/`);
    for (const tab of [first, second]) await item(tab, 'ID_DOCUMENT', 'PENDING').waitFor(WAIT);
    return { a, first, second };
  }

  it('pages added in both tabs at once, one removed and a rescan added in one, then sent: the other tab says what it could not do', async () => {
    const { a, first, second } = await twoTabs();

    // The same moment in both tabs: both pages are kept, each under its own number, and both tabs show both.
    const front = aPdf('HKID front');
    const back = aPdf('HKID back, blurred');
    const rescan = aPdf('HKID back, rescanned');
    await Promise.all([
      uploadFile(first, 'ID_DOCUMENT', { name: 'front.pdf', mimeType: 'application/pdf', buffer: front }),
      uploadFile(second, 'ID_DOCUMENT', { name: 'back.pdf', mimeType: 'application/pdf', buffer: back }),
    ]);
    const draftOf = async () => (await statusOf(ui.stack, a.applicationNo)).items.find((i) => i.key === 'ID_DOCUMENT')!.draft;
    const both = await eventually(draftOf, (d) => d.length >= 2);
    assert.deepEqual(both.map((p) => p.originalName).sort(), ['back.pdf', 'front.pdf']);
    assert.deepEqual(both.map((p) => p.page).sort(), [1, 2]);
    const order = both.map((p, i) => `Page ${i + 1}: ${p.originalName}`);
    for (const tab of [first, second]) await shows(tab, order);

    // The first tab falls behind; the second takes the blurred back out and adds a rescan.
    const releaseFirst = await holdBack(first, a.applicationNo);
    await removeButton(second, 'back.pdf').click();
    await shows(second, ['Page 1: front.pdf']);
    await uploadFile(second, 'ID_DOCUMENT', { name: 'back-rescan.pdf', mimeType: 'application/pdf', buffer: rescan });
    await shows(second, ['Page 1: front.pdf', 'Page 2: back-rescan.pdf']);
    assert.deepEqual(await pageNames(first), order, 'the first tab still shows what it last knew');

    // The stale tab removes the page already gone: refused in words, and nothing else is taken out.
    await removeButton(first, 'back.pdf').click();
    const firstError = first.locator('[data-pages="ID_DOCUMENT"] [role="alert"]');
    await firstError.waitFor({ state: 'visible', ...WAIT });
    assert.match(await firstError.innerText(), /The page was not removed\.[\s\S]*has no page \d+ waiting to be sent/);
    const afterStaleRemove = (await statusOf(ui.stack, a.applicationNo)).items.find((i) => i.key === 'ID_DOCUMENT')!;
    assert.deepEqual(
      afterStaleRemove.draft.map((p) => p.originalName),
      ['front.pdf', 'back-rescan.pdf'],
    );

    // The second tab sends; the stale first tab then tries to send the pages it shows, and is told nothing was sent.
    await sendForReview(second, 'ID_DOCUMENT');
    await item(second, 'ID_DOCUMENT', 'SUBMITTED').waitFor(WAIT);
    await sendForReview(first, 'ID_DOCUMENT');
    await first.locator('[data-pages="ID_DOCUMENT"]').getByText('Nothing was sent to the Academic Registry.').waitFor(WAIT);
    assert.match(await firstError.innerText(), /sent for review: its pages cannot change until the registry decides/);

    // Once its updates arrive, the first tab shows what was sent, as the second does.
    await releaseFirst();
    await first.reload();
    for (const tab of [first, second]) {
      const sent = item(tab, 'ID_DOCUMENT', 'SUBMITTED');
      await sent.waitFor(WAIT);
      const files = (await sent.locator('.files li').allInnerTexts()).join('\n');
      assert.match(files, /front\.pdf\n[^\n]*page 1 of 2/);
      assert.match(files, /back-rescan\.pdf\n[^\n]*page 2 of 2/);
      assert.doesNotMatch(files, /back\.pdf/);
      assert.equal(await tab.locator('[data-pages="ID_DOCUMENT"]').count(), 0);
    }

    // What the workflow holds: one submission of the two pages kept, each its own bytes; nothing left open.
    const sentItem = (await statusOf(ui.stack, a.applicationNo)).items.find((i) => i.key === 'ID_DOCUMENT')!;
    assert.equal(sentItem.state, 'SUBMITTED');
    assert.deepEqual(sentItem.draft, []);
    assert.deepEqual(
      sentItem.submissions.map((s) => [s.version, s.page, s.originalName, s.sha256]),
      [
        [1, both.find((p) => p.originalName === 'front.pdf')!.page, 'front.pdf', sha(front)],
        [1, 3, 'back-rescan.pdf', sha(rescan)],
      ],
    );
    assert.deepEqual(ui.problems, []);
  });

  it('a stale tab sends only the pages it showed: a page added in the other tab since stops the send, and the tab then shows both and sends both', async () => {
    const { a, first, second } = await twoTabs();
    const front = aPdf('HKID front, seen in both tabs');
    const back = aPdf('HKID back, added in the second tab only');
    await uploadFile(first, 'ID_DOCUMENT', { name: 'front.pdf', mimeType: 'application/pdf', buffer: front });
    for (const tab of [first, second]) await shows(tab, ['Page 1: front.pdf']);

    // The first tab falls behind while the second adds the back; the first still offers to send its one page.
    const releaseFirst = await holdBack(first, a.applicationNo);
    await uploadFile(second, 'ID_DOCUMENT', { name: 'back.pdf', mimeType: 'application/pdf', buffer: back });
    await shows(second, ['Page 1: front.pdf', 'Page 2: back.pdf']);
    assert.deepEqual(await pageNames(first), ['Page 1: front.pdf']);
    await sendForReview(first, 'ID_DOCUMENT');
    const firstError = first.locator('[data-pages="ID_DOCUMENT"] [role="alert"]');
    await firstError.getByText('Nothing was sent to the Academic Registry.').waitFor(WAIT);
    assert.match(await firstError.innerText(), /pages changed/);
    const held = (await statusOf(ui.stack, a.applicationNo)).items.find((i) => i.key === 'ID_DOCUMENT')!;
    assert.equal(held.state, 'PENDING', 'the page the stale tab never showed was not sent');
    assert.deepEqual(
      held.draft.map((p) => p.originalName),
      ['front.pdf', 'back.pdf'],
    );

    // Its status read arrives: the tab shows both pages and says why they differ from what it showed.
    await releaseFirst();
    await shows(first, ['Page 1: front.pdf', 'Page 2: back.pdf']);
    assert.match(await firstError.innerText(), /changed in another tab or window/);
    await sendForReview(first, 'ID_DOCUMENT');
    await item(first, 'ID_DOCUMENT', 'SUBMITTED').waitFor(WAIT);
    const sent = (await statusOf(ui.stack, a.applicationNo)).items.find((i) => i.key === 'ID_DOCUMENT')!;
    assert.deepEqual(
      sent.submissions.map((s) => [s.version, s.page, s.originalName, s.sha256]),
      [
        [1, 1, 'front.pdf', sha(front)],
        [1, 2, 'back.pdf', sha(back)],
      ],
    );
    assert.deepEqual(ui.problems, []);
  });

  it('a file chosen in one tab survives a page added in the other: the card is redrawn live, the choice kept, and its upload adds the second page', async () => {
    const { a, first, second } = await twoTabs();

    // The first tab has a file chosen, not yet uploaded, when the second tab's page arrives and redraws its card.
    const front = aPdf('HKID front, chosen first');
    const back = aPdf('HKID back, uploaded in the other tab');
    const panel = first.locator('[data-upload="ID_DOCUMENT"]');
    await panel.locator('input[type=file]').setInputFiles({ name: 'front.pdf', mimeType: 'application/pdf', buffer: front });
    await panel.getByText('front.pdf').waitFor(WAIT);
    await uploadFile(second, 'ID_DOCUMENT', { name: 'back.pdf', mimeType: 'application/pdf', buffer: back });
    await shows(first, ['Page 1: back.pdf']);

    // Still chosen, still checked, and its upload goes through.
    assert.ok(await panel.getByText('front.pdf').isVisible(), 'the chosen file is still shown');
    await panel.getByRole('button', { name: /^Upload/ }).click();
    await shows(first, ['Page 1: back.pdf', 'Page 2: front.pdf']);
    await shows(second, ['Page 1: back.pdf', 'Page 2: front.pdf']);
    const draft = (await statusOf(ui.stack, a.applicationNo)).items.find((i) => i.key === 'ID_DOCUMENT')!.draft;
    assert.deepEqual(
      draft.map((p) => [p.page, p.originalName, p.sha256]),
      [
        [1, 'back.pdf', sha(back)],
        [2, 'front.pdf', sha(front)],
      ],
    );
    // Uploaded: the form the card is drawn with next is empty again.
    await first
      .locator('[data-upload="ID_DOCUMENT"] input[type=file]')
      .evaluate((el) => (el as HTMLInputElement).files?.length ?? 0)
      .then((n) => assert.equal(n, 0));
    assert.deepEqual(ui.problems, []);
  });
});
