/**
 * Malformed upload requests over raw sockets, against a real gateway: each
 * shape a broken client, a dropped mobile connection or an attacker sends is
 * answered 4xx with the machine-readable error body, and the same gateway then
 * answers the next request (a student's upload goes through). The gateway runs
 * in this process, so a request that could end it fails here as an uncaught
 * exception. Nothing of a refused upload stays staged, and a refused page leaves
 * the item's open submission as it was.
 *
 * The routes that take no file (removing a page, sending the pages for review)
 * and the import preview get the same treatment: a body that ends short of its
 * Content-Length, broken chunked framing or a body that stalls is answered 4xx
 * (408 for the stall) and changes nothing: a request the gateway refuses is not
 * acted on behind its answer.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { admit, eventually, fetchJson, startStack, statusOf, uploadFile, type Admitted, type TestStack } from './support';
import { rawRequest, type RawAnswer } from './raw-http';
import { aPdf } from '../kit/samples';

const B = 'shape-boundary';

function head(stack: TestStack, pathname: string, bearer: string, headers: Record<string, string>, method = 'POST'): string {
  const { host } = new URL(stack.url);
  const lines = [
    `${method} ${pathname} HTTP/1.1`,
    `Host: ${host}`,
    `Authorization: Bearer ${bearer}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const multipart = { 'Content-Type': `multipart/form-data; boundary=${B}` };
const filePart = (name: string | undefined, file: Buffer, filename = 'id.pdf') =>
  Buffer.concat([
    Buffer.from(
      `--${B}\r\nContent-Disposition: form-data${name === undefined ? '' : `; name="${name}"`}; filename="${filename}"\r\nContent-Type: application/pdf\r\n\r\n`,
    ),
    file,
    Buffer.from('\r\n'),
  ]);
const closing = Buffer.from(`--${B}--\r\n`);

interface Shape {
  name: string;
  /** The request as written on the wire, given the upload path and bearer. */
  parts(stack: TestStack, pathname: string, bearer: string): (string | Buffer)[];
  /** Half-close after writing (the body stops short of what was announced). */
  end?: boolean;
  /** Write, then send nothing more (a body that stalls): wait past the body-idle timeout. */
  stall?: boolean;
  status: number;
  code: string;
}

const withLength = (stack: TestStack, pathname: string, bearer: string, body: Buffer, headers: Record<string, string> = multipart) => [
  head(stack, pathname, bearer, { ...headers, 'Content-Length': String(body.length) }),
  body,
];

/** The body, under a Content-Length `missing` bytes longer than it. */
const announcedLonger = (stack: TestStack, pathname: string, bearer: string, body: Buffer, missing: number) => [
  head(stack, pathname, bearer, { ...multipart, 'Content-Length': String(body.length + missing) }),
  body,
];

const SHAPES: Shape[] = [
  {
    name: 'a body that ends without its closing boundary (a dropped connection)',
    parts: (s, p, b) => withLength(s, p, b, Buffer.concat([filePart('file', aPdf()).subarray(0, -2)])),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a body shorter than its Content-Length, then the end of the stream',
    parts: (s, p, b) => announcedLonger(s, p, b, filePart('file', aPdf()), 10_000),
    end: true,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a whole form, but the body ends short of its Content-Length',
    parts: (s, p, b) => announcedLonger(s, p, b, Buffer.concat([filePart('file', aPdf()), closing]), 100),
    end: true,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a whole form, then the rest of its Content-Length never comes',
    parts: (s, p, b) => announcedLonger(s, p, b, Buffer.concat([filePart('file', aPdf()), closing]), 100),
    stall: true,
    status: 408,
    code: 'REQUEST_TIMEOUT',
  },
  {
    name: 'multipart/form-data without a boundary',
    parts: (s, p, b) => withLength(s, p, b, Buffer.concat([filePart('file', aPdf()), closing]), { 'Content-Type': 'multipart/form-data' }),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'junk instead of multipart',
    parts: (s, p, b) => withLength(s, p, b, Buffer.from('\x00\xff junk, not a form \r\n--nope\r\n'.repeat(200), 'latin1')),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'two files in one request',
    parts: (s, p, b) => withLength(s, p, b, Buffer.concat([filePart('file', aPdf('one')), filePart('file', aPdf('two')), closing])),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'two files, the second cut off by the end of the body',
    parts: (s, p, b) => withLength(s, p, b, Buffer.concat([filePart('file', aPdf('one')), filePart('file', aPdf('two')).subarray(0, -2)])),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a file part with no name',
    parts: (s, p, b) => withLength(s, p, b, Buffer.concat([filePart(undefined, aPdf()), closing])),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a file part with no name, cut off by the end of the body',
    parts: (s, p, b) => withLength(s, p, b, filePart(undefined, aPdf()).subarray(0, -2)),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
];

/** What a body-idle timeout of IDLE_SECONDS is waited past. */
const IDLE_SECONDS = 2;
const STALL_WAIT_MS = IDLE_SECONDS * 1000 + 8_000;

/** Broken requests to a route that takes no body: the request is never whole, so nothing may be done. */
const BODYLESS_SHAPES: (Omit<Shape, 'parts'> & { headers: Record<string, string>; body: string })[] = [
  {
    name: 'a body that ends short of its Content-Length',
    headers: { 'Content-Type': 'application/json', 'Content-Length': '100' },
    body: '{"reason":',
    end: true,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'broken chunked framing',
    headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
    body: 'zz\r\nabc\r\n0\r\n\r\n',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a body that stalls',
    headers: { 'Content-Type': 'application/json', 'Content-Length': '100' },
    body: '{"reason":',
    stall: true,
    status: 408,
    code: 'REQUEST_TIMEOUT',
  },
  {
    name: 'an Idempotency-Key that is not visible ASCII',
    headers: { 'Idempotency-Key': 'clé' },
    body: '',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
];

describe('gateway: malformed uploads over raw sockets answer 4xx and end nothing', function () {
  this.timeout(180_000);
  let stack: TestStack;
  let a: Admitted;
  let p: Admitted;
  /** The page `p` keeps open on ID_DOCUMENT through every refused request. */
  const PAGE = aPdf('the page kept open');
  before(async () => {
    stack = await startStack({ HTTP_BODY_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS) });
    a = await admit(stack);
    p = await admit(stack);
    const first = await uploadFile(`${stack.url}/api/registrations/${p.applicationNo}/items/ID_DOCUMENT/pages`, PAGE, 'page-1.pdf', {
      bearer: p.session,
      type: 'application/pdf',
    });
    assert.equal(first.status, 201, JSON.stringify(first.body));
  });
  after(async () => stack?.stop());

  const staged = () => {
    const dir = path.join(stack.config.uploadDir, 'tmp');
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.part')) : [];
  };

  async function thenTheGatewayStillServes(): Promise<void> {
    const health = await fetch(`${stack.url}/healthz`);
    assert.equal(health.status, 200);
  }

  /** ID_DOCUMENT of `p` as the workflow holds it: its state and its open pages (name and checksum). */
  const openPages = async (applicationNo = p.applicationNo) => {
    const item = (await statusOf(stack, applicationNo)).items.find((i) => i.key === 'ID_DOCUMENT')!;
    return { state: item.state, draft: item.draft.map((d) => [d.page, d.originalName]), sent: item.submissions.length };
  };
  const KEPT = { state: 'PENDING', draft: [[1, 'page-1.pdf']], sent: 0 };

  function assertRefused(answer: RawAnswer, shape: { status: number; code: string }): void {
    assert.equal(answer.status, shape.status, `answer: ${answer.text.slice(0, 400)} (socket: ${answer.error ?? 'closed'})`);
    assert.equal(answer.json?.code, shape.code, answer.text.slice(0, 400));
    assert.equal(typeof answer.json?.message, 'string');
    assert.equal(typeof answer.json?.requestId, 'string');
  }

  /** Sends the shape to an upload route as this student: refused, the gateway serves on, nothing stays staged. */
  async function refusedUpload(shape: Shape, who: Admitted, route: 'documents' | 'pages'): Promise<void> {
    const pathname = `/api/registrations/${who.applicationNo}/items/ID_DOCUMENT/${route}`;
    const answer = await rawRequest(stack.url, shape.parts(stack, pathname, who.session), { end: shape.end, waitMs: shape.stall ? STALL_WAIT_MS : undefined });
    assertRefused(answer, shape);
    await thenTheGatewayStillServes();
    await eventually(
      async () => staged(),
      (s) => s.length === 0,
      5_000,
    );
  }

  for (const shape of SHAPES) {
    it(`student upload: ${shape.name} → ${shape.status} ${shape.code}`, async () => {
      await refusedUpload(shape, a, 'documents');
      assert.deepEqual((await statusOf(stack, a.applicationNo)).items.find((i) => i.key === 'ID_DOCUMENT')?.submissions, [], 'nothing was recorded');
    });

    it(`a page added: ${shape.name} → ${shape.status} ${shape.code}, the open page kept as it was`, async () => {
      await refusedUpload(shape, p, 'pages');
      assert.deepEqual(await openPages(), KEPT);
    });
  }

  for (const shape of BODYLESS_SHAPES) {
    const parts = (pathname: string, method: string, bearer = p.session) => [head(stack, pathname, bearer, shape.headers, method), shape.body];
    const opts = { end: shape.end, waitMs: shape.stall ? STALL_WAIT_MS : undefined };

    it(`removing a page: ${shape.name} → ${shape.status} ${shape.code}, the page stays`, async () => {
      const answer = await rawRequest(stack.url, parts(`/api/registrations/${p.applicationNo}/items/ID_DOCUMENT/pages/1`, 'DELETE'), opts);
      assertRefused(answer, shape);
      await thenTheGatewayStillServes();
      assert.deepEqual(await openPages(), KEPT);
    });

    it(`sending the pages for review: ${shape.name} → ${shape.status} ${shape.code}, nothing is sent`, async () => {
      const answer = await rawRequest(stack.url, parts(`/api/registrations/${p.applicationNo}/items/ID_DOCUMENT/send`, 'POST'), opts);
      assertRefused(answer, shape);
      await thenTheGatewayStillServes();
      assert.deepEqual(await openPages(), KEPT);
    });
  }

  it('removing a page whose number is not one (abc, 0, -1, 1.5, 1e30, a NUL) → 400 VALIDATION_FAILED, the page stays', async () => {
    for (const page of ['abc', '0', '-1', '1.5', '1e30', '%00']) {
      const answer = await rawRequest(stack.url, [
        head(stack, `/api/registrations/${p.applicationNo}/items/ID_DOCUMENT/pages/${page}`, p.session, {}, 'DELETE'),
      ]);
      assertRefused(answer, { status: 400, code: 'VALIDATION_FAILED' });
      assert.equal(answer.json.details.issues[0].path, 'page', `${page}: ${answer.text.slice(0, 300)}`);
    }
    assert.deepEqual(await openPages(), KEPT);
  });

  const IMPORT_SHAPES: (Omit<Shape, 'parts'> & { headers: Record<string, string>; body: Buffer })[] = [
    {
      name: 'a CSV that ends short of its Content-Length',
      headers: { 'Content-Type': 'text/csv', 'Content-Length': '1000' },
      body: Buffer.from('applicationNo,name,personalEmail\nP0001,Lee Ka Yan,'),
      end: true,
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a CSV that stalls',
      headers: { 'Content-Type': 'text/csv', 'Content-Length': '1000' },
      body: Buffer.from('applicationNo,name,personalEmail\nP0001,Lee Ka Yan,'),
      stall: true,
      status: 408,
      code: 'REQUEST_TIMEOUT',
    },
    {
      name: 'JSON cut in the middle',
      headers: { 'Content-Type': 'application/json', 'Content-Length': '20' },
      body: Buffer.from('[{"applicationNo":"P'),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'broken chunked framing',
      headers: { 'Content-Type': 'text/csv', 'Transfer-Encoding': 'chunked' },
      body: Buffer.from('5\r\nabcdefghij\r\n0\r\n\r\n'),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a file part cut off by the end of the body',
      headers: multipart,
      body: filePart('file', Buffer.from('applicationNo,name\nP0001,Lee Ka Yan\n'), 'cohort.csv').subarray(0, -2),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
  ];

  for (const shape of IMPORT_SHAPES) {
    it(`admin import preview: ${shape.name} → ${shape.status} ${shape.code}, nothing written or staged`, async () => {
      const jobs = await stack.prisma.importJob.count();
      const headers =
        shape.headers['Content-Length'] || shape.headers['Transfer-Encoding']
          ? shape.headers
          : { ...shape.headers, 'Content-Length': String(shape.body.length) };
      const answer = await rawRequest(stack.url, [head(stack, '/api/imports/preview', stack.adminKey, headers), shape.body], {
        end: shape.end,
        waitMs: shape.stall ? STALL_WAIT_MS : undefined,
      });
      assertRefused(answer, shape);
      await thenTheGatewayStillServes();
      assert.equal(await stack.prisma.importJob.count(), jobs);
      await eventually(
        async () => staged(),
        (s) => s.length === 0,
        5_000,
      );
    });
  }

  it('admin import: a body that ends without its closing boundary → 400, the gateway serves on', async () => {
    const csv = Buffer.from('applicationNo,email\nA1,a@example.org\n');
    const body = filePart('file', csv, 'cohort.csv').subarray(0, -2);
    const answer = await rawRequest(stack.url, withLength(stack, '/api/imports', stack.adminKey, body));
    assertRefused(answer, { status: 400, code: 'VALIDATION_FAILED' });
    await thenTheGatewayStillServes();
  });

  it('after every refusal, the open page is removed and a new one sent for review as asked', async () => {
    const pages = `${stack.url}/api/registrations/${p.applicationNo}/items/ID_DOCUMENT`;
    const added = await uploadFile(`${pages}/pages`, aPdf('page two'), 'page-2.pdf', { bearer: p.session, type: 'application/pdf' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const removed = await fetchJson(`${pages}/pages/1`, { method: 'DELETE', bearer: p.session });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    const sent = await fetchJson(`${pages}/send`, { method: 'POST', bearer: p.session });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.deepEqual(await openPages(), { state: 'SUBMITTED', draft: [], sent: 1 });
  });

  it('after every shape, a student upload on the same gateway is taken (201)', async () => {
    const res = await uploadFile(`${stack.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents`, aPdf(), 'id.pdf', {
      bearer: a.session,
      type: 'application/pdf',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
});
