import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Client } from '@temporalio/client';
import path from 'node:path';
import { LocalDiskBlobStore } from '../../src/uploads/store';
import { registerDocumentUpdate, registrationWorkflowId } from '../../workflows/registration/api';
import { admit, eventually, fetchJson, projected, settled, startGateway, startStack, statusOf, uploadFile, type TestGateway, type TestStack } from './support';
import { rawRequest } from './raw-http';
import { aPdf, aPng, validForm } from '../kit/samples';
import { devServerEnv, testDataConverter } from '../kit/servers';

/** Every file under a folder (stored blobs and staged uploads alike). */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}
/** A real PDF padded to `bytes` (its type is judged from the header). */
const paddedPdf = (bytes: number) => {
  const pdf = aPdf();
  return Buffer.concat([pdf, Buffer.alloc(bytes - pdf.length, 0x20)]);
};

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('gateway: uploads', function () {
  this.timeout(120_000);
  let stack: TestStack;
  let blobs: LocalDiskBlobStore;
  /** The projection activity waits here while a test holds it (hold() to release()); open otherwise. */
  let gate: Promise<void> | undefined;
  let release = () => {};
  let projectionsStarted = 0;
  const hold = () => {
    gate = new Promise<void>((resolve) => (release = resolve));
  };
  /** The workflow ids the gateway's Temporal client has queried (its status queries), in order. */
  const queried: string[] = [];
  const queriesOf = (applicationNo: string) => queried.filter((id) => id === registrationWorkflowId(applicationNo)).length;
  before(async () => {
    const temporal = new Client({
      connection: (await devServerEnv()).client.connection,
      dataConverter: testDataConverter(),
      interceptors: {
        workflow: [
          {
            query(input, next) {
              queried.push(input.workflowExecution.workflowId);
              return next(input);
            },
          },
        ],
      },
    });
    stack = await startStack(
      {},
      {
        temporal,
        activities: (real) => ({
          ...real,
          async projectRegistration(snapshot) {
            projectionsStarted++;
            await gate;
            return real.projectRegistration(snapshot);
          },
        }),
      },
    );
    blobs = new LocalDiskBlobStore(stack.config.uploadDir);
  });
  after(async () => {
    release();
    await stack?.stop();
  });

  const docUrl = (no: string, item: string) => `${stack.url}/api/registrations/${no}/items/${encodeURIComponent(item)}/documents`;

  it('stores an identification PDF by content, records it, and the workflow has it as SUBMITTED', async () => {
    const a = await admit(stack);
    const pdf = aPdf();
    const res = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), pdf, 'passport scan.pdf', { bearer: a.session, type: 'application/pdf' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.state, 'SUBMITTED');
    assert.equal(res.body.duplicate, false);
    assert.equal(res.body.document.sha256, sha(pdf));
    assert.equal(res.body.document.mediaType, 'application/pdf');
    assert.equal(res.body.document.originalName, 'passport scan.pdf');
    // The student's own answer says who uploaded as `student` or `staff` (docs/gateway.md, The student's view).
    assert.equal(res.body.document.uploadedBy, 'student');
    assert.deepEqual(fs.readFileSync(blobs.pathOf(sha(pdf))), pdf);

    await projected(stack, a.applicationNo);
    const row = await stack.prisma.document.findUnique({ where: { id: res.body.document.id } });
    assert.equal(row?.version, 1);
    assert.equal((await stack.prisma.storedFile.findUnique({ where: { sha256: sha(pdf) } }))?.size, pdf.length);
    const status = await statusOf(stack, a.applicationNo);
    const item = status.items.find((i) => i.key === 'ID_DOCUMENT')!;
    assert.equal(item.state, 'SUBMITTED');
    assert.equal(item.submissions[0]!.sha256, sha(pdf));
    assert.equal(item.submissions[0]!.documentId, res.body.document.id);
  });

  it('the same bytes uploaded twice are stored once and recorded once', async () => {
    const a = await admit(stack);
    const pdf = aPdf();
    const first = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), pdf, 'id.pdf', { bearer: a.session });
    assert.equal(first.status, 201);
    const second = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), pdf, 'id (1).pdf', { bearer: a.session });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.duplicate, true);
    assert.equal(second.body.document.id, first.body.document.id);
    await projected(stack, a.applicationNo);
    assert.equal(await stack.prisma.document.count({ where: { registrationNo: a.applicationNo } }), 1);
    assert.equal((await statusOf(stack, a.applicationNo)).items.find((i) => i.key === 'ID_DOCUMENT')!.submissions.length, 1);
    const dir = path.dirname(blobs.pathOf(sha(pdf)));
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f === sha(pdf)),
      [sha(pdf)],
    );
    assert.deepEqual(fs.readdirSync(path.join(stack.config.uploadDir, 'tmp')), [], 'no temporary files left');
  });

  it('refuses a file larger than the item allows with 413 and keeps nothing', async () => {
    const a = await admit(stack);
    // Identification documents may be up to 10 MB: a real PDF header followed by 11 MB.
    const big = Buffer.concat([aPdf(), Buffer.alloc(11 * 1024 * 1024, 0x20)]);
    const res = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), big, 'huge.pdf', { bearer: a.session });
    assert.equal(res.status, 413);
    assert.equal(res.body.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(res.body.details.maxBytes, 10 * 1024 * 1024);
    assert.equal(await stack.prisma.document.count({ where: { registrationNo: a.applicationNo } }), 0);
    assert.deepEqual(fs.readdirSync(path.join(stack.config.uploadDir, 'tmp')), []);
  });

  it('cuts off a streamed upload that exceeds the limit even without a Content-Length', async () => {
    const a = await admit(stack);
    const boundary = 'x-test-boundary';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const body = Buffer.concat([head, aPdf(), Buffer.alloc(11 * 1024 * 1024, 0x20), tail]);
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < body.length; i += 256 * 1024) c.enqueue(new Uint8Array(body.subarray(i, i + 256 * 1024)));
        c.close();
      },
    });
    const res = await fetchJson(docUrl(a.applicationNo, 'ID_DOCUMENT'), {
      method: 'POST',
      bearer: a.session,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 413);
    assert.deepEqual(fs.readdirSync(path.join(stack.config.uploadDir, 'tmp')), []);
  });

  it('judges the type by the bytes: a text file named .pdf and claimed as PDF is 415', async () => {
    const a = await admit(stack);
    const res = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), Buffer.from('just some text, not a PDF at all\n'.repeat(20)), 'id.pdf', {
      bearer: a.session,
      type: 'application/pdf',
    });
    assert.equal(res.status, 415);
    assert.equal(res.body.code, 'UNSUPPORTED_MEDIA_TYPE');
    assert.equal(res.body.details.detected, null);
    assert.equal(res.body.details.claimed, 'application/pdf');
  });

  it('refuses a PDF for the photo (415): photos are JPEG or PNG', async () => {
    const a = await admit(stack);
    const res = await uploadFile(docUrl(a.applicationNo, 'PHOTO'), aPdf(), 'photo.png', { bearer: a.session, type: 'image/png' });
    assert.equal(res.status, 415);
    assert.equal(res.body.details.detected, 'application/pdf');
  });

  it('refuses an empty file with 400 EMPTY_FILE and a request without a file with 400', async () => {
    const a = await admit(stack);
    const empty = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), Buffer.alloc(0), 'empty.pdf', { bearer: a.session });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.code, 'EMPTY_FILE');
    const noFile = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), aPdf(), 'id.pdf', { bearer: a.session, field: 'document' });
    assert.equal(noFile.status, 400);
    assert.equal(noFile.body.code, 'VALIDATION_FAILED');
    assert.equal(noFile.body.details.issues[0].path, 'file');
    const notMultipart = await fetchJson(docUrl(a.applicationNo, 'ID_DOCUMENT'), { method: 'POST', bearer: a.session, json: { file: 'x' } });
    assert.equal(notMultipart.status, 415);
  });

  it('keeps only a harmless display name from a path-traversal file name; storage is by hash', async () => {
    const a = await admit(stack);
    const pdf = aPdf();
    const res = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), pdf, '../../../etc/passwd<script>.pdf', { bearer: a.session });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.document.originalName, 'passwd_script_.pdf');
    assert.ok(fs.existsSync(blobs.pathOf(sha(pdf))));
    assert.ok(!fs.existsSync(path.join(stack.config.uploadDir, '..', '..', '..', 'etc', 'passwd_script_.pdf')));
  });

  it('checks the photo specification on upload and says what to fix (422)', async () => {
    const a = await admit(stack);
    const landscape = aPng(500, 300);
    const res = await uploadFile(docUrl(a.applicationNo, 'PHOTO'), landscape, 'me.png', { bearer: a.session });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.code, 'PHOTO_SPEC_NOT_MET');
    assert.match(res.body.message, /height 300px is outside 400/);
    assert.match(res.body.message, /portrait/);
    assert.deepEqual(res.body.details.measured, { width: 500, height: 300, size: landscape.length, mediaType: 'image/png' });
    assert.equal((await statusOf(stack, a.applicationNo)).items.find((i) => i.key === 'PHOTO')!.state, 'PENDING');
  });

  it('accepts a photo within the specification and hands its pixel size to the workflow', async () => {
    const a = await admit(stack);
    const res = await uploadFile(docUrl(a.applicationNo, 'PHOTO'), aPng(420, 560), 'me.png', { bearer: a.session });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.state, 'SUBMITTED');
    assert.equal(res.body.submissions[0].imageWidth, 420);
    assert.equal(res.body.submissions[0].imageHeight, 560);
  });

  it('404s an item the student does not have; an item that takes no file is 409', async () => {
    const a = await admit(stack, { residency: 'LOCAL' });
    const visa = await uploadFile(docUrl(a.applicationNo, 'VISA'), aPdf(), 'visa.pdf', { bearer: a.session });
    assert.equal(visa.status, 404);
    assert.equal(visa.body.code, 'ITEM_NOT_FOUND');
    const form = await uploadFile(docUrl(a.applicationNo, 'FORM'), aPdf(), 'form.pdf', { bearer: a.session });
    assert.equal(form.status, 409);
    const badKey = await uploadFile(docUrl(a.applicationNo, '../../x'), aPdf(), 'x.pdf', { bearer: a.session });
    assert.equal(badKey.status, 400);
  });

  /** One file as a raw multipart POST (the whole body, then the server closes: `Connection: close`). */
  const rawUpload = (no: string, item: string, bearer: string, file: Buffer) => {
    const body = Buffer.concat([
      Buffer.from('--b\r\nContent-Disposition: form-data; name="file"; filename="scan.pdf"\r\nContent-Type: application/pdf\r\n\r\n'),
      file,
      Buffer.from('\r\n--b--\r\n'),
    ]);
    const head =
      `POST /api/registrations/${no}/items/${item}/documents HTTP/1.1\r\nHost: ${new URL(stack.url).host}\r\nAuthorization: Bearer ${bearer}\r\n` +
      `Content-Type: multipart/form-data; boundary=b\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    return rawRequest(stack.url, [head, body], { waitMs: 30_000 });
  };

  it("an item the registration lacks: the workflow's refusal reads as the gateway's own did (404, same body), and nothing is kept", async () => {
    const a = await admit(stack, { residency: 'LOCAL' }); // a local student owes no visa
    const before = filesUnder(stack.config.uploadDir).length;
    const pdf = aPdf('a visa scan nobody asked for');
    const answer = await rawUpload(a.applicationNo, 'VISA', a.session, pdf);
    assert.equal(answer.status, 404, answer.text.slice(0, 300));
    assert.deepEqual(
      { code: answer.json.code, message: answer.json.message, details: answer.json.details },
      { code: 'ITEM_NOT_FOUND', message: 'This registration has no item VISA.', details: { itemKey: 'VISA' } },
    );
    assert.equal(typeof answer.json.requestId, 'string');
    // The bytes were received and stored before the workflow refused; the refusal removed them, staged and stored.
    assert.equal(filesUnder(stack.config.uploadDir).length, before);
    assert.ok(!fs.existsSync(blobs.pathOf(sha(pdf))));
    assert.equal(await stack.prisma.storedFile.count({ where: { sha256: sha(pdf) } }), 0);
  });

  it('the read model lagging behind the workflow refuses nothing the workflow takes: an item row not yet written, a registration not yet projected', async () => {
    const a = await admit(stack);
    const no = a.applicationNo;
    await eventually(
      () => stack.prisma.checklistItem.count({ where: { registrationNo: no } }),
      (n) => n > 0,
    );
    // The projection has not written the photo's row yet (as while a reclassification's projection is on its way).
    await stack.prisma.checklistItem.deleteMany({ where: { registrationNo: no, key: 'PHOTO' } });
    const photo = await uploadFile(docUrl(no, 'PHOTO'), aPng(420, 560), 'photo.png', { bearer: a.session, type: 'image/png' });
    assert.equal(photo.status, 201, JSON.stringify(photo.body));
    assert.equal(photo.body.state, 'SUBMITTED');

    // Nothing of the registration in the read model yet (started moments ago): the workflow says it exists, and the
    // upload is answered without waiting for a projection (the gateway waited up to 10 s for one, then answered 503).
    const b = await admit(stack);
    await eventually(
      () => stack.prisma.registration.count({ where: { applicationNo: b.applicationNo } }),
      (n) => n === 1,
    );
    await stack.prisma.registration.delete({ where: { applicationNo: b.applicationNo } });
    const t0 = Date.now();
    const id = await uploadFile(docUrl(b.applicationNo, 'ID_DOCUMENT'), aPdf('sent before the first projection'), 'id.pdf', { bearer: b.session });
    assert.equal(id.status, 201, JSON.stringify(id.body));
    assert.ok(Date.now() - t0 < 10_000, `answered after ${Date.now() - t0} ms`);
    // And a registration that does not exist stores nothing: 404 before the body.
    const none = await uploadFile(docUrl('A0000000001', 'ID_DOCUMENT'), aPdf('for nobody'), 'id.pdf', { bearer: stack.officerKey });
    assert.equal(none.status, 404, JSON.stringify(none.body));
    assert.equal(none.body.code, 'REGISTRATION_NOT_FOUND');
    assert.equal(await stack.prisma.storedFile.count({ where: { sha256: sha(aPdf('for nobody')) } }), 0);
  });

  it('a failed workflow update never reports success and leaves no document row', async () => {
    const a = await admit(stack);
    const decline = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/decline`, { method: 'POST', bearer: a.session, json: {} });
    assert.equal(decline.status, 200);
    const res = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), aPdf(), 'id.pdf', { bearer: a.session });
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.equal(res.body.code, 'INVALID_TRANSITION');
    assert.equal(await stack.prisma.document.count({ where: { registrationNo: a.applicationNo } }), 0);
  });

  it('downloads: the owner and staff get the bytes; another student gets 403; a wrong id 404', async () => {
    const a = await admit(stack);
    const b = await admit(stack);
    const pdf = aPdf();
    const up = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), pdf, 'Hong Kong ID 身份證.pdf', { bearer: a.session });
    assert.equal(up.status, 201);
    const url = `${stack.url}/api/registrations/${a.applicationNo}/documents/${up.body.document.id}`;
    for (const bearer of [a.session, stack.officerKey]) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${bearer}` } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/pdf');
      assert.match(res.headers.get('content-disposition')!, /^attachment; .*filename\*=UTF-8''Hong%20Kong%20ID%20/);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), pdf);
    }
    const other = await fetchJson(url, { bearer: b.session });
    assert.equal(other.status, 403);
    const viaOwnPath = await fetchJson(`${stack.url}/api/registrations/${b.applicationNo}/documents/${up.body.document.id}`, { bearer: b.session });
    assert.equal(viaOwnPath.status, 404, 'a document is only found under its own registration');
    const list = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/documents?seq=${up.body.seq}`, { bearer: a.session });
    assert.deepEqual(
      list.body.items.map((d: any) => d.id),
      [up.body.document.id],
    );
  });

  it("the documents list names the upload's seq: read right after it, its projection in flight, it is the workflow's and lists it; without seq, or once projected, the workflow is not asked", async () => {
    const a = await admit(stack);
    const settledAt = await settled(stack, a.applicationNo);
    /** The list as `bearer` reads it, naming `seq` or not, and the status queries the gateway made for it. */
    const list = async (bearer: string, seq?: number) => {
      const before = queriesOf(a.applicationNo);
      const res = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/documents${seq === undefined ? '' : `?seq=${seq}`}`, { bearer });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return { items: res.body.items as any[], queries: queriesOf(a.applicationNo) - before };
    };
    // The read model holds every change: it answers alone, whether the caller names the latest change or nothing.
    assert.deepEqual(await list(stack.officerKey), { items: [], queries: 0 });
    assert.deepEqual(await list(stack.officerKey, settledAt), { items: [], queries: 0 });
    const pdf = aPdf('a passport, listed at once');
    hold();
    let up;
    let heldList: unknown[];
    try {
      const before = projectionsStarted;
      up = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), pdf, 'passport.pdf', { bearer: a.session });
      assert.equal(up.status, 201, JSON.stringify(up.body));
      assert.ok(up.body.seq > settledAt, `the upload's answer names its change: ${up.body.seq}`);
      await eventually(
        () => Promise.resolve(projectionsStarted),
        (n) => n > before,
      );
      assert.equal(await stack.prisma.document.count({ where: { registrationNo: a.applicationNo } }), 0, 'the projection is held: no row yet');
      for (const bearer of [a.session, stack.officerKey]) {
        const held = await list(bearer, up.body.seq);
        assert.deepEqual(
          held.items.map((d) => [d.id, d.itemKey, d.version, d.page, d.sha256, d.size, d.originalName]),
          [[up.body.document.id, 'ID_DOCUMENT', 1, 1, sha(pdf), pdf.length, 'passport.pdf']],
        );
        assert.equal(held.queries, 1, 'the read model is behind the seq named: the workflow is asked');
      }
      // Naming nothing: the read model as it stands, without the upload, and nothing asked of the workflow.
      assert.deepEqual(await list(a.session), { items: [], queries: 0 });
      heldList = (await list(stack.officerKey, up.body.seq)).items;
    } finally {
      release();
    }
    await projected(stack, a.applicationNo);
    // Projected: the read model answers alone, and its list is the workflow's, byte for byte.
    const after = await list(stack.officerKey, up.body.seq);
    assert.equal(after.queries, 0);
    assert.equal(JSON.stringify(after.items), JSON.stringify(heldList));
  });

  it("the audit trail names the upload's seq: read right after it, its projection in flight, it waits for the projection and has the upload; without seq it answers at once", async () => {
    const a = await admit(stack);
    await settled(stack, a.applicationNo);
    const auditUrl = `${stack.url}/api/registrations/${a.applicationNo}/audit`;
    hold();
    let trail: Promise<{ status: number; body: any }>;
    let answered = false;
    const queriesBefore = queriesOf(a.applicationNo);
    try {
      const before = projectionsStarted;
      const up = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), aPdf('a passport, audited at once'), 'passport.pdf', { bearer: stack.officerKey });
      assert.equal(up.status, 201, JSON.stringify(up.body));
      await eventually(
        () => Promise.resolve(projectionsStarted),
        (n) => n > before,
      );
      // Naming nothing: the trail as the read model holds it, at once (the projection is held), without the upload.
      const now = await fetchJson(auditUrl, { bearer: stack.officerKey });
      assert.equal(now.status, 200, JSON.stringify(now.body));
      assert.ok(!now.body.items.some((e: any) => e.type === 'DOCUMENT_REGISTERED'), JSON.stringify(now.body.items));
      assert.equal(queriesOf(a.applicationNo) - queriesBefore, 0, 'naming nothing, the trail asks nothing of the workflow');
      trail = fetchJson(`${auditUrl}?seq=${up.body.seq}`, { bearer: stack.officerKey });
      void trail.then(() => (answered = true));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(answered, false, 'the trail waits while the projection of the upload is held');
    } finally {
      release();
    }
    const res = await trail;
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const last = res.body.items[res.body.items.length - 1];
    assert.equal(last.type, 'DOCUMENT_REGISTERED');
    assert.match(last.actor, /^staff:officer\./);
    // Behind the seq it names, the trail asks the workflow once: is there such a change at all?
    assert.equal(queriesOf(a.applicationNo) - queriesBefore, 1, 'the trail asks the workflow once, only while the read model is behind');
  });

  it('an audit trail asked for a change the registration has not made is 400 at once, naming its latest (no wait would bring it)', async () => {
    const a = await admit(stack);
    const seq = await settled(stack, a.applicationNo);
    const t0 = Date.now();
    const res = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/audit?seq=${seq + 1000}`, { bearer: stack.officerKey });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.code, 'VALIDATION_FAILED');
    assert.deepEqual(res.body.details.issues, [{ in: 'query', path: 'seq', message: `at most ${seq}, the registration's latest change` }]);
    assert.ok(Date.now() - t0 < 4_000, 'answered without waiting for a projection');
  });

  it('a documents list asked for a change the registration has not made is 400 at once with the audit trail’s body, open or closed', async () => {
    const a = await admit(stack);
    /** The answers of the list and the trail naming a change 1000 past the registration's latest (request ids aside). */
    const beyond = async (latest: number) =>
      Promise.all(
        ['documents', 'audit'].map(async (read) => {
          const res = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/${read}?seq=${latest + 1000}`, { bearer: stack.officerKey });
          // Each answer has its own request id; the rest is the rule's.
          return { status: res.status, body: { ...res.body, requestId: undefined } };
        }),
      );
    const open = await settled(stack, a.applicationNo);
    const [list, trail] = await beyond(open);
    assert.equal(list.status, 400, JSON.stringify(list.body));
    assert.equal(list.body.code, 'VALIDATION_FAILED');
    assert.deepEqual(list.body.details.issues, [{ in: 'query', path: 'seq', message: `at most ${open}, the registration's latest change` }]);
    assert.deepEqual(list.body, trail.body);
    // Closed: its files are final, but a change it has not made is no more one the caller can have seen.
    const decline = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/decline`, { method: 'POST', bearer: a.session, json: {} });
    assert.equal(decline.status, 200, JSON.stringify(decline.body));
    // Settled again: the withdrawal email is the last change the workflow makes.
    await eventually(
      () => statusOf(stack, a.applicationNo),
      (s) => s.emails.some((e) => e.kind === 'WITHDRAWAL'),
    );
    const closed = await projected(stack, a.applicationNo);
    assert.equal((await stack.prisma.registration.findUniqueOrThrow({ where: { applicationNo: a.applicationNo } })).status, 'WITHDRAWN');
    const [closedList, closedTrail] = await beyond(closed);
    assert.equal(closedList.status, 400, JSON.stringify(closedList.body));
    assert.deepEqual(closedList.body.details.issues, [{ in: 'query', path: 'seq', message: `at most ${closed}, the registration's latest change` }]);
    assert.deepEqual(closedList.body, closedTrail.body);
  });

  it('an audit trail asked for a change the read model does not reach within its wait is 503 NOT_READY with Retry-After', async () => {
    const a = await admit(stack);
    await settled(stack, a.applicationNo);
    hold();
    try {
      const before = projectionsStarted;
      const up = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), aPdf('a passport, its projection held'), 'passport.pdf', {
        bearer: stack.officerKey,
      });
      assert.equal(up.status, 201, JSON.stringify(up.body));
      await eventually(
        () => Promise.resolve(projectionsStarted),
        (n) => n > before,
      );
      const res = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/audit?seq=${up.body.seq}`, { bearer: stack.officerKey });
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.equal(res.body.code, 'NOT_READY');
      assert.equal(res.body.details.seq, up.body.seq);
      assert.ok(res.body.details.projectedSeq < up.body.seq, JSON.stringify(res.body.details));
      assert.ok(Number(res.headers.get('retry-after')) > 0);
    } finally {
      release();
    }
  });

  it("staff may upload on a student's behalf; the upload records who did it", async () => {
    const a = await admit(stack);
    const res = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), aPdf(), 'id.pdf', { bearer: stack.officerKey });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.body.document.uploadedBy, /^staff:officer\./);
  });

  describe('refused uploads, quota, duplicates', () => {
    it('a refused upload leaves no bytes: on a withdrawn registration, and for an item the workflow will not take', async () => {
      const a = await admit(stack);
      const pdf = aPdf();
      const first = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), pdf, 'id.pdf', { bearer: a.session });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      const verify = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/verify`, {
        method: 'POST',
        bearer: stack.officerKey,
        json: {},
      });
      assert.equal(verify.status, 200, JSON.stringify(verify.body));

      // The read model says nothing against it; the workflow refuses (the item is verified): the bytes go again.
      const before = filesUnder(stack.config.uploadDir).length;
      const other = aPdf('a second, different scan');
      const refused = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), other, 'id2.pdf', { bearer: a.session });
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.match(refused.body.message, /already VERIFIED/);
      assert.equal(filesUnder(stack.config.uploadDir).length, before);
      assert.ok(!fs.existsSync(blobs.pathOf(sha(other))));
      assert.equal(await stack.prisma.storedFile.count({ where: { sha256: sha(other) } }), 0);
      assert.ok(fs.existsSync(blobs.pathOf(sha(pdf))), 'the verified document keeps its bytes');

      // Withdrawn, as the read model says once the decline is projected: refused before a byte is stored.
      const decline = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/decline`, { method: 'POST', bearer: a.session, json: {} });
      assert.equal(decline.status, 200);
      await projected(stack, a.applicationNo);
      const late = aPdf('uploaded after withdrawing');
      const res = await uploadFile(docUrl(a.applicationNo, 'PHOTO'), late, 'photo.pdf', { bearer: a.session });
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.equal(res.body.details.reason, 'Closed');
      assert.equal(filesUnder(stack.config.uploadDir).length, before);
      assert.equal(await stack.prisma.storedFile.count({ where: { sha256: sha(late) } }), 0);
    });

    /**
     * `shared` taken for one student's identification document, then the same bytes refused for another student's
     * (the item waived by staff): the refusal must keep the bytes the first upload holds. `meanwhile` runs between.
     */
    async function sharedThenRefused(shared: Buffer, meanwhile: () => Promise<unknown> = async () => undefined) {
      const a = await admit(stack);
      const b = await admit(stack);
      const taken = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), shared, 'id.pdf', { bearer: a.session });
      assert.equal(taken.status, 201, JSON.stringify(taken.body));
      await meanwhile();
      await fetchJson(`${stack.url}/api/registrations/${b.applicationNo}/items/ID_DOCUMENT/waive`, {
        method: 'POST',
        bearer: stack.officerKey,
        json: { reason: 'seen in person' },
      });
      const refused = await uploadFile(docUrl(b.applicationNo, 'ID_DOCUMENT'), shared, 'id.pdf', { bearer: b.session });
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.ok(fs.existsSync(blobs.pathOf(sha(shared))), 'the bytes of the upload the workflow took are still stored');
      const download = await fetch(`${stack.url}/api/registrations/${a.applicationNo}/documents/${taken.body.document.id}`, {
        headers: { authorization: `Bearer ${a.session}` },
      });
      assert.equal(download.status, 200);
      assert.deepEqual(Buffer.from(await download.arrayBuffer()), shared);
    }

    it('a refusal keeps bytes that another document still uses', async () => {
      await sharedThenRefused(aPdf('the same file, sent by two students'));
    });

    it('a refusal keeps bytes another upload was given before the projection has written its document', async () => {
      const shared = aPdf('taken for one student, refused for another, before the read model has the first');
      // The workflow answered; its projection's Document row is not there yet (the read model lags the answer). The
      // download then falls back to the live status while the row is missing, and finds the bytes.
      await sharedThenRefused(shared, () => stack.prisma.document.deleteMany({ where: { sha256: sha(shared) } }));
    });

    it('an Idempotency-Key makes a retried upload the same document; other bytes under the same key are 422', async () => {
      const a = await admit(stack);
      const pdf = aPdf();
      const send = (bytes: Buffer, key: string) => {
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(bytes)]), 'id.pdf');
        return fetchJson(docUrl(a.applicationNo, 'ID_DOCUMENT'), { method: 'POST', body: form, bearer: a.session, headers: { 'idempotency-key': key } });
      };
      const first = await send(pdf, 'retry-me-1');
      const retry = await send(pdf, 'retry-me-1');
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal(retry.status, 201, 'a retry gets the first answer');
      assert.equal(retry.body.document.id, first.body.document.id);
      assert.equal(retry.body.submissions.length, 1);
      await projected(stack, a.applicationNo);
      assert.equal(await stack.prisma.document.count({ where: { registrationNo: a.applicationNo } }), 1);
      const otherBytes = aPdf('other bytes');
      const mismatch = await send(otherBytes, 'retry-me-1');
      assert.equal(mismatch.status, 422, JSON.stringify(mismatch.body));
      assert.equal(await stack.prisma.document.count({ where: { registrationNo: a.applicationNo } }), 1);
      assert.ok(!fs.existsSync(blobs.pathOf(sha(otherBytes))), 'refused: its bytes are not kept');
      const bad = await send(pdf, 'no spaces allowed');
      assert.equal(bad.status, 400);
    });

    it('registerDocument sent twice with the same document id (different update ids) records one document', async () => {
      const a = await admit(stack);
      const pdf = aPdf();
      const up = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), pdf, 'id.pdf', { bearer: a.session });
      assert.equal(up.status, 201);
      const handle = stack.temporal.workflow.getHandle(registrationWorkflowId(a.applicationNo));
      const again = await handle.executeUpdate(registerDocumentUpdate, {
        args: [
          {
            actor: 'student:x',
            itemKey: 'ID_DOCUMENT',
            sha256: sha(pdf),
            size: pdf.length,
            mediaType: 'application/pdf',
            originalName: 'id.pdf',
            uploadedBy: 'student:x',
            documentId: up.body.document.id,
          },
        ],
        updateId: `another-update-id-${Date.now()}`,
      });
      assert.equal(again.submissions.length, 1);
      await projected(stack, a.applicationNo);
      assert.equal(await stack.prisma.document.count({ where: { registrationNo: a.applicationNo } }), 1);
      assert.equal(
        (await stack.prisma.document.findFirst({ where: { registrationNo: a.applicationNo } }))?.id,
        up.body.document.id,
        "the projection writes the gateway's id",
      );
    });

    describe('with a small quota and a low action rate limit', () => {
      let small: TestGateway;
      before(async () => {
        small = await startGateway({
          env: {
            TEMPORAL_TASK_QUEUE: stack.taskQueue,
            UPLOAD_DIR: stack.config.uploadDir,
            UPLOAD_QUOTA_MB: String(50 / 1024),
            REGISTRATION_ACTION_RATE_LIMIT_PER_MINUTE: '3',
          },
        });
      });
      after(async () => small?.close());
      const url = (no: string, item: string) => `${small.url}/api/registrations/${no}/items/${encodeURIComponent(item)}/documents`;
      /** A page kept for the item's next submission: the item stays open for the uploads after it. */
      const pageUrl = (no: string, item: string) => `${small.url}/api/registrations/${no}/items/${encodeURIComponent(item)}/pages`;

      it("refuses an upload past the registration's storage quota with 413 QUOTA_EXCEEDED and keeps nothing", async () => {
        const a = await admit(stack);
        const first = await uploadFile(pageUrl(a.applicationNo, 'ID_DOCUMENT'), paddedPdf(30 * 1024), 'id.pdf', { bearer: a.session });
        assert.equal(first.status, 201, JSON.stringify(first.body));
        const before = filesUnder(stack.config.uploadDir).length;
        const second = paddedPdf(30 * 1024);
        const res = await uploadFile(url(a.applicationNo, 'ID_DOCUMENT'), second, 'id2.pdf', { bearer: a.session });
        assert.equal(res.status, 413, JSON.stringify(res.body));
        assert.equal(res.body.code, 'QUOTA_EXCEEDED');
        assert.deepEqual(res.body.details, { quotaBytes: 50 * 1024, usedBytes: 30 * 1024, remainingBytes: 20 * 1024 });
        assert.match(res.body.message, /50 KB in all; 20 KB is left/);
        assert.equal(filesUnder(stack.config.uploadDir).length, before);
        // Something that fits still goes in.
        const fits = await uploadFile(url(a.applicationNo, 'ID_DOCUMENT'), paddedPdf(10 * 1024), 'id3.pdf', { bearer: a.session });
        assert.equal(fits.status, 201, JSON.stringify(fits.body));
      });

      it('limits actions per registration: 429 with Retry-After once its allowance is spent, other students unaffected', async () => {
        const a = await admit(stack);
        const b = await admit(stack);
        // Requests another caller cannot make count for nothing.
        for (let i = 0; i < 4; i++) assert.equal((await uploadFile(url(a.applicationNo, 'ID_DOCUMENT'), aPdf(), 'x.pdf', { bearer: b.session })).status, 403);
        const form = await fetchJson(`${small.url}/api/registrations/${a.applicationNo}/form`, {
          method: 'POST',
          bearer: a.session,
          json: { form: validForm },
        });
        assert.equal(form.status, 200, JSON.stringify(form.body));
        assert.equal((await uploadFile(pageUrl(a.applicationNo, 'ID_DOCUMENT'), aPdf(), 'id.pdf', { bearer: a.session })).status, 201);
        assert.equal((await uploadFile(url(a.applicationNo, 'ID_DOCUMENT'), aPdf(), 'id-again.pdf', { bearer: a.session })).status, 201);
        const staged = filesUnder(stack.config.uploadDir).length;
        const limited = await uploadFile(url(a.applicationNo, 'ID_DOCUMENT'), aPdf(), 'id.pdf', { bearer: a.session });
        assert.equal(limited.status, 429, JSON.stringify(limited.body));
        assert.equal(limited.body.code, 'RATE_LIMITED');
        assert.equal(limited.body.details.scope, 'registration');
        assert.equal(limited.body.details.limit, 3);
        const retryAfter = Number(limited.headers.get('retry-after'));
        assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
        assert.equal(limited.body.details.retryAfterSeconds, retryAfter);
        assert.match(limited.body.message, new RegExp(`registration ${a.applicationNo}`));
        assert.equal(filesUnder(stack.config.uploadDir).length, staged, 'a limited upload stores nothing');
        const decline = await fetchJson(`${small.url}/api/registrations/${a.applicationNo}/decline`, { method: 'POST', bearer: a.session, json: {} });
        assert.equal(decline.status, 429, 'the form, uploads and declining share the allowance');
        const status = await fetchJson(`${small.url}/api/registrations/${a.applicationNo}`, { bearer: a.session });
        assert.equal(status.status, 200, 'reading the status is not limited');
        const otherStudent = await fetchJson(`${small.url}/api/registrations/${b.applicationNo}/form`, {
          method: 'POST',
          bearer: b.session,
          json: { form: validForm },
        });
        assert.equal(otherStudent.status, 200);
      });

      it('an upload on a session that has ended is 401, stores none of its bytes and spends none of the allowance (the limit counts after the revocation check)', async () => {
        const a = await admit(stack);
        assert.equal((await fetchJson(`${small.url}/api/session`, { method: 'DELETE', bearer: a.session })).status, 204);
        const stored = filesUnder(stack.config.uploadDir).length;
        for (let i = 0; i < 4; i++) {
          const ended = await uploadFile(pageUrl(a.applicationNo, 'ID_DOCUMENT'), aPdf(`ended ${i}`), 'id.pdf', { bearer: a.session });
          assert.equal(ended.status, 401, JSON.stringify(ended.body));
          assert.equal(ended.body.code, 'UNAUTHENTICATED');
        }
        assert.equal(filesUnder(stack.config.uploadDir).length, stored, 'nothing staged or stored');
        // Signed in again from the invitation link: the registration's whole allowance (3) is left.
        const again = await fetchJson(`${small.url}/api/session`, { method: 'POST', json: { token: a.inviteToken } });
        assert.equal(again.status, 200);
        for (let i = 0; i < 3; i++) {
          const page = await uploadFile(pageUrl(a.applicationNo, 'ID_DOCUMENT'), aPdf(`page ${i}`), 'id.pdf', { bearer: again.body.token });
          assert.equal(page.status, 201, JSON.stringify(page.body));
        }
        const limited = await uploadFile(pageUrl(a.applicationNo, 'ID_DOCUMENT'), aPdf('page 4'), 'id.pdf', { bearer: again.body.token });
        assert.equal(limited.status, 429);
      });

      it('raw sockets, an ended session: an upload cut short or dropped while its checks run stores nothing and spends none of the allowance', async () => {
        const a = await admit(stack);
        assert.equal((await fetchJson(`${small.url}/api/session`, { method: 'DELETE', bearer: a.session })).status, 204);
        const stored = filesUnder(stack.config.uploadDir).length;
        const head =
          `POST /api/registrations/${a.applicationNo}/items/ID_DOCUMENT/pages HTTP/1.1\r\nHost: ${new URL(small.url).host}\r\n` +
          `Authorization: Bearer ${a.session}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 5000\r\n\r\n`;
        const start = '--b\r\nContent-Disposition: form-data; name="file"; filename="id.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 cut';
        for (let i = 0; i < 4; i++) {
          // 100 bytes of a 5,000-byte body, then the client's end: refused, whichever it meets first, the ended
          // session (401) or the body's end short of its length (400).
          const cut = await rawRequest(small.url, [head, start], { end: true });
          const refusal = { 401: 'UNAUTHENTICATED', 400: 'VALIDATION_FAILED' }[cut.status as 400 | 401];
          assert.ok(refusal, cut.text.slice(0, 300));
          assert.equal(cut.json.code, refusal);
          // The head alone, and the socket dropped while the session's checks and the read-model check run.
          const dropped = await rawRequest(small.url, [head], { waitMs: 5 });
          assert.ok(dropped.status === undefined || dropped.status === 401, dropped.text.slice(0, 300));
        }
        assert.equal(filesUnder(stack.config.uploadDir).length, stored, 'nothing staged or stored');
        const again = await fetchJson(`${small.url}/api/session`, { method: 'POST', json: { token: a.inviteToken } });
        assert.equal(again.status, 200);
        for (let i = 0; i < 3; i++) {
          const page = await uploadFile(pageUrl(a.applicationNo, 'ID_DOCUMENT'), aPdf(`raw page ${i}`), 'id.pdf', { bearer: again.body.token });
          assert.equal(page.status, 201, JSON.stringify(page.body));
        }
        assert.equal((await uploadFile(pageUrl(a.applicationNo, 'ID_DOCUMENT'), aPdf('raw page 4'), 'id.pdf', { bearer: again.body.token })).status, 429);
      });

      it("a 429 wins over the read model's refusal: a registration that does not exist", async () => {
        const nobody = `A${Date.now().toString().slice(-10)}`;
        const statuses = [];
        for (let i = 0; i < 5; i++)
          statuses.push((await uploadFile(url(nobody, 'ID_DOCUMENT'), aPdf('for nobody'), 'id.pdf', { bearer: stack.officerKey })).status);
        assert.deepEqual(statuses, [404, 404, 404, 429, 429]);
      });
    });
  });
});
