/**
 * Malformed upload requests over raw sockets, against a real gateway: each
 * shape a broken client, a dropped mobile connection or an attacker sends is
 * answered 4xx with the machine-readable error body, and the same gateway then
 * answers the next request (a student's upload goes through). The gateway runs
 * in this process, so a request that could end it fails here as an uncaught
 * exception. Nothing of a refused upload stays staged.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { admit, eventually, startStack, uploadFile, type Admitted, type TestStack } from './support';
import { rawRequest, type RawAnswer } from './raw-http';
import { aPdf } from '../kit/samples';

const B = 'shape-boundary';

function head(stack: TestStack, pathname: string, bearer: string, headers: Record<string, string>): string {
  const { host } = new URL(stack.url);
  const lines = [
    `POST ${pathname} HTTP/1.1`,
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
  status: number;
  code: string;
}

const withLength = (stack: TestStack, pathname: string, bearer: string, body: Buffer, headers: Record<string, string> = multipart) => [
  head(stack, pathname, bearer, { ...headers, 'Content-Length': String(body.length) }),
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
    parts: (s, p, b) => {
      const body = filePart('file', aPdf());
      return [head(s, p, b, { ...multipart, 'Content-Length': String(body.length + 10_000) }), body];
    },
    end: true,
    status: 400,
    code: 'VALIDATION_FAILED',
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

describe('gateway: malformed uploads over raw sockets answer 4xx and end nothing', function () {
  this.timeout(180_000);
  let stack: TestStack;
  let a: Admitted;
  before(async () => {
    stack = await startStack();
    a = await admit(stack);
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

  function assertRefused(answer: RawAnswer, shape: { status: number; code: string }): void {
    assert.equal(answer.status, shape.status, `answer: ${answer.text.slice(0, 400)} (socket: ${answer.error ?? 'closed'})`);
    assert.equal(answer.json?.code, shape.code, answer.text.slice(0, 400));
    assert.equal(typeof answer.json?.message, 'string');
    assert.equal(typeof answer.json?.requestId, 'string');
  }

  for (const shape of SHAPES) {
    it(`student upload: ${shape.name} → ${shape.status} ${shape.code}`, async () => {
      const pathname = `/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents`;
      const answer = await rawRequest(stack.url, shape.parts(stack, pathname, a.session), { end: shape.end });
      assertRefused(answer, shape);
      await thenTheGatewayStillServes();
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

  it('after every shape, a student upload on the same gateway is taken (201)', async () => {
    const res = await uploadFile(`${stack.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents`, aPdf(), 'id.pdf', {
      bearer: a.session,
      type: 'application/pdf',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
});
