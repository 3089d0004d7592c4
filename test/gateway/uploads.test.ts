import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LocalDiskBlobStore } from '../../src/uploads/store';
import { aPdf, aPng, admit, fetchJson, startStack, statusOf, uploadFile, type TestStack } from './support';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('gateway: uploads', function () {
  this.timeout(120_000);
  let stack: TestStack;
  let blobs: LocalDiskBlobStore;
  before(async () => {
    stack = await startStack();
    blobs = new LocalDiskBlobStore(stack.config.uploadDir);
  });
  after(async () => stack?.stop());

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
    assert.equal(res.body.document.uploadedBy, `student:${a.applicationNo}`);
    assert.deepEqual(fs.readFileSync(blobs.pathOf(sha(pdf))), pdf);

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
    assert.equal(await stack.prisma.document.count({ where: { registrationNo: a.applicationNo } }), 1);
    assert.equal((await statusOf(stack, a.applicationNo)).items.find((i) => i.key === 'ID_DOCUMENT')!.submissions.length, 1);
    const dir = path.dirname(blobs.pathOf(sha(pdf)));
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f === sha(pdf)), [sha(pdf)]);
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
    const list = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/documents`, { bearer: a.session });
    assert.deepEqual(list.body.items.map((d: any) => d.id), [up.body.document.id]);
  });

  it('staff may upload on a student\'s behalf; the upload records who did it', async () => {
    const a = await admit(stack);
    const res = await uploadFile(docUrl(a.applicationNo, 'ID_DOCUMENT'), aPdf(), 'id.pdf', { bearer: stack.officerKey });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.body.document.uploadedBy, /^staff:officer\./);
  });
});
