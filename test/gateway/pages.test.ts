/**
 * Several files per document over HTTP (docs/gateway.md, "Pages"): a student
 * adds pages to an item, removes one, sends the submission for review; staff
 * see and download every page; the caps and refusals are 4xx with a
 * machine-readable body. Real gateway, worker, dev server and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { aPdf, aPng } from '../kit/samples';
import { admit, fetchJson, startStack, uploadFile, type TestStack } from './support';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('gateway: document pages', function () {
  this.timeout(180_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  const itemUrl = (no: string, item = 'ID_DOCUMENT') => `${stack.url}/api/registrations/${no}/items/${encodeURIComponent(item)}`;

  it('two pages added, the first removed, the submission sent: staff see and download the page sent; the removed one is gone', async () => {
    const a = await admit(stack);
    const front = aPng(400, 300, 7);
    const back = aPdf('HKID back');
    const first = await uploadFile(`${itemUrl(a.applicationNo)}/pages`, front, 'hkid-front.png', { bearer: a.session });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.state, 'PENDING');
    assert.deepEqual([first.body.document.version, first.body.document.page, first.body.document.sha256], [1, 1, sha(front)]);
    const second = await uploadFile(`${itemUrl(a.applicationNo)}/pages`, back, 'hkid-back.pdf', { bearer: a.session });
    assert.equal(second.status, 201, JSON.stringify(second.body));
    assert.deepEqual(
      second.body.draft.map((p: { page: number; originalName: string }) => [p.page, p.originalName]),
      [
        [1, 'hkid-front.png'],
        [2, 'hkid-back.pdf'],
      ],
    );
    // The same bytes again are the same page.
    const again = await uploadFile(`${itemUrl(a.applicationNo)}/pages`, back, 'hkid-back (1).pdf', { bearer: a.session });
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    assert.equal(again.body.draft.length, 2);

    const removed = await fetchJson(`${itemUrl(a.applicationNo)}/pages/1`, { method: 'DELETE', bearer: a.session });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual(
      removed.body.draft.map((p: { page: number }) => p.page),
      [2],
    );
    const gone = await fetchJson(`${itemUrl(a.applicationNo)}/pages/1`, { method: 'DELETE', bearer: a.session });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'PAGE_NOT_FOUND');
    assert.deepEqual(gone.body.details.pages, [2]);

    const sent = await fetchJson(`${itemUrl(a.applicationNo)}/send`, { method: 'POST', bearer: a.session });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.state, 'SUBMITTED');
    assert.deepEqual(sent.body.draft, []);

    // Locked until the registry decides.
    const late = await uploadFile(`${itemUrl(a.applicationNo)}/pages`, aPdf('a third page'), 'p3.pdf', { bearer: a.session });
    assert.equal(late.status, 409);
    assert.equal(late.body.code, 'INVALID_TRANSITION');
    assert.match(late.body.message, /sent for review/);
    const removeSent = await fetchJson(`${itemUrl(a.applicationNo)}/pages/2`, { method: 'DELETE', bearer: a.session });
    assert.equal(removeSent.status, 409);
    const sendAgain = await fetchJson(`${itemUrl(a.applicationNo)}/send`, { method: 'POST', bearer: a.session });
    assert.equal(sendAgain.status, 409);

    // Staff: the live status lists the page sent (read naming the send's change, as the portal does after an action);
    // the documents list and downloads follow, one checksum per page.
    const status = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}?seq=${sent.body.seq}`, { bearer: stack.officerKey });
    const item = status.body.items.find((i: { key: string }) => i.key === 'ID_DOCUMENT');
    assert.deepEqual(
      item.submissions.map((s: { version: number; page: number; sha256: string }) => [s.version, s.page, s.sha256]),
      [[1, 2, sha(back)]],
    );
    // The documents list no older than the status just read (its projection may be a moment behind).
    const docs = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/documents?seq=${status.body.seq}`, { bearer: stack.officerKey });
    assert.deepEqual(
      docs.body.items.map((d: { page: number; sha256: string }) => [d.page, d.sha256]),
      [[2, sha(back)]],
    );
    const download = await fetch(`${stack.url}/api/registrations/${a.applicationNo}/documents/${second.body.document.id}`, {
      headers: { authorization: `Bearer ${stack.officerKey}` },
    });
    assert.equal(download.status, 200);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), back);
    const removedDownload = await fetch(`${stack.url}/api/registrations/${a.applicationNo}/documents/${first.body.document.id}`, {
      headers: { authorization: `Bearer ${stack.officerKey}` },
    });
    assert.equal(removedDownload.status, 404);
    const row = await stack.prisma.document.findUnique({ where: { id: first.body.document.id } });
    assert.ok(row?.removedAt, 'the removed page stays as a tombstone until the blob cleanup');
  });

  it('sending the pages a page showed: a page added or taken out elsewhere since is 409 PAGES_CHANGED and nothing is sent; the pages it holds then go', async () => {
    const a = await admit(stack);
    // The newest change this test has made: each read of the status names it, as the portal does after an action.
    let seen = 0;
    const made = <R extends { status: number; body: { seq?: unknown } }>(res: R): R => {
      if (res.status < 300 && typeof res.body.seq === 'number') seen = Math.max(seen, res.body.seq);
      return res;
    };
    const add = async (name: string) => {
      const res = made(await uploadFile(`${itemUrl(a.applicationNo)}/pages`, aPdf(name), `${name}.pdf`, { bearer: a.session }));
      assert.equal(res.status, 201, JSON.stringify(res.body));
    };
    const send = async (query: string) => made(await fetchJson(`${itemUrl(a.applicationNo)}/send?${query}`, { method: 'POST', bearer: a.session }));
    const held = async () => {
      const status = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}?seq=${seen}`, { bearer: a.session });
      const item = status.body.items.find((i: { key: string }) => i.key === 'ID_DOCUMENT');
      return {
        state: item.state,
        draft: item.draft.map((p: { page: number; originalName: string }) => [p.page, p.originalName]),
        sent: item.submissions.length,
      };
    };

    // One tab showed page 1; another tab then added page 2.
    await add('front');
    await add('back');
    const stale = await send('version=1&pages=1');
    assert.equal(stale.status, 409, JSON.stringify(stale.body));
    assert.equal(stale.body.code, 'PAGES_CHANGED');
    assert.deepEqual([stale.body.details.version, stale.body.details.pages], [1, [1, 2]]);
    assert.match(stale.body.message, /changed/);
    const twoOpen = {
      state: 'PENDING',
      draft: [
        [1, 'front.pdf'],
        [2, 'back.pdf'],
      ],
      sent: 0,
    };
    assert.deepEqual(await held(), twoOpen, 'nothing was sent');

    // Page 1 taken out elsewhere and a rescan added (page 3): the two numbers a tab showed do not send the rescan.
    const removed = await fetchJson(`${itemUrl(a.applicationNo)}/pages/1`, { method: 'DELETE', bearer: a.session });
    assert.equal(removed.status, 200);
    await add('front-rescan');
    assert.equal((await send('version=1&pages=1,2')).body.code, 'PAGES_CHANGED');
    // Another submission's pages of the same numbers are not these either.
    assert.equal((await send('version=2&pages=2,3')).body.code, 'PAGES_CHANGED');
    // Half an expectation is a malformed request, not a send of everything.
    const half = await send('pages=2,3');
    assert.equal(half.status, 400);
    assert.equal(half.body.code, 'VALIDATION_FAILED');
    assert.deepEqual(await held(), {
      state: 'PENDING',
      draft: [
        [2, 'back.pdf'],
        [3, 'front-rescan.pdf'],
      ],
      sent: 0,
    });

    // The pages it holds, in any order, are sent.
    const sent = await send('version=1&pages=3,2');
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.state, 'SUBMITTED');
    assert.deepEqual(
      sent.body.submissions.map((s: { version: number; page: number; originalName: string }) => [s.version, s.page, s.originalName]),
      [
        [1, 2, 'back.pdf'],
        [1, 3, 'front-rescan.pdf'],
      ],
    );
  });

  it('one Idempotency-Key for removing page 1 and then page 2 removes both: a retry is the same page, another page another removal', async () => {
    const a = await admit(stack);
    for (const n of [1, 2, 3]) {
      const res = await uploadFile(`${itemUrl(a.applicationNo)}/pages`, aPdf(`page ${n}`), `page-${n}.pdf`, { bearer: a.session });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    const remove = (page: number) =>
      fetchJson(`${itemUrl(a.applicationNo)}/pages/${page}`, { method: 'DELETE', bearer: a.session, headers: { 'Idempotency-Key': 'remove-pages' } });
    const pages = (body: { draft: { page: number }[] }) => body.draft.map((p) => p.page);
    const first = await remove(1);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(pages(first.body), [2, 3]);
    const retried = await remove(1);
    assert.equal(retried.status, 200, 'a retry of the same removal is answered as before, not 404');
    assert.deepEqual(pages(retried.body), [2, 3]);
    const second = await remove(2);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.deepEqual(pages(second.body), [3]);
  });

  it('the eleventh page is 409 PAGE_LIMIT_REACHED with the limit in its details, and nothing of it is kept', async () => {
    const a = await admit(stack);
    for (let i = 0; i < 10; i++) {
      const res = await uploadFile(`${itemUrl(a.applicationNo)}/pages`, aPdf(`page ${i}`), `p${i}.pdf`, { bearer: a.session });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    const eleventh = aPdf('one too many');
    const res = await uploadFile(`${itemUrl(a.applicationNo)}/pages`, eleventh, 'p11.pdf', { bearer: a.session });
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.equal(res.body.code, 'PAGE_LIMIT_REACHED');
    assert.deepEqual([res.body.details.limit, res.body.details.pages], [10, 10]);
    assert.equal(await stack.prisma.storedFile.count({ where: { sha256: sha(eleventh) } }), 0, 'the refused bytes are not kept');
  });

  it('sending with no page is 409; a page number that is not a number is 400', async () => {
    const a = await admit(stack);
    const empty = await fetchJson(`${itemUrl(a.applicationNo)}/send`, { method: 'POST', bearer: a.session });
    assert.equal(empty.status, 409);
    assert.equal(empty.body.code, 'INVALID_TRANSITION');
    assert.match(empty.body.message, /no pages to send/);
    const bad = await fetchJson(`${itemUrl(a.applicationNo)}/pages/first`, { method: 'DELETE', bearer: a.session });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'VALIDATION_FAILED');
  });
});
