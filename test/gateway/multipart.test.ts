/**
 * Broken uploads over raw sockets, against a gateway in this process: a client
 * that disconnects mid-file, a multipart body that turns malformed after the
 * file part, and bodies larger than allowed (declared or not). Each must leave
 * no staged `.part` file and no open file descriptor under the upload folder,
 * and an oversized body must be cut off at once rather than read to its end.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { admit, eventually, startStack, type Admitted, type TestStack } from './support';
import { aPdf } from '../kit/samples';

const BOUNDARY = 'raw-socket-boundary';

/** Descriptors of this process (the gateway runs in it) open on files under `dir`. */
function openFilesUnder(dir: string): string[] {
  const real = fs.realpathSync(dir);
  return fs.readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(real) ? [target] : [];
    } catch {
      return [];
    }
  });
}

const stagedFiles = (uploadDir: string) => {
  const dir = path.join(uploadDir, 'tmp');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.part')) : [];
};

function requestHead(stack: TestStack, a: Admitted, headers: Record<string, string>): string {
  const { port } = new URL(stack.url);
  const lines = [
    `POST /api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    `Authorization: Bearer ${a.session}`,
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const filePartHead = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="id.pdf"\r\nContent-Type: application/pdf\r\n\r\n`;

function connect(stack: TestStack): Promise<net.Socket> {
  const { port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Collects what the server sends until it closes the connection. */
function readUntilClosed(socket: net.Socket): Promise<string> {
  let text = '';
  socket.on('data', (d) => (text += d.toString('latin1')));
  return new Promise((resolve) => socket.once('close', () => resolve(text)));
}

describe('gateway: broken multipart uploads (raw sockets)', function () {
  this.timeout(120_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  async function assertNothingLeft(): Promise<void> {
    await eventually(
      async () => ({ staged: stagedFiles(stack.config.uploadDir), open: openFilesUnder(stack.config.uploadDir) }),
      (v) => v.staged.length === 0 && v.open.length === 0,
      5_000,
    );
  }

  it('a client that disconnects mid-file leaves no .part file and no open descriptor', async () => {
    const a = await admit(stack);
    const socket = await connect(stack);
    socket.on('error', () => {});
    socket.write(requestHead(stack, a, { 'Content-Length': String(5 * 1024 * 1024) }));
    socket.write(filePartHead);
    socket.write(aPdf());
    socket.write(Buffer.alloc(256 * 1024, 0x20));
    // The gateway is writing the file now.
    await eventually(
      async () => stagedFiles(stack.config.uploadDir).length,
      (n) => n === 1,
      10_000,
    );
    assert.equal(openFilesUnder(stack.config.uploadDir).length, 1, 'the staged file is open while it is written');
    socket.destroy();
    await assertNothingLeft();
  });

  it('a body that turns malformed after the file part is 400 and leaves nothing', async () => {
    const a = await admit(stack);
    const before = await stack.prisma.storedFile.count();
    const body = Buffer.concat([
      Buffer.from(filePartHead),
      aPdf(),
      // The file part ends properly; the next part never does (no closing boundary before the body ends).
      Buffer.from(`\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nthis part is cut`),
    ]);
    const socket = await connect(stack);
    const answer = readUntilClosed(socket);
    socket.write(requestHead(stack, a, { 'Content-Length': String(body.length), Connection: 'close' }));
    socket.write(body);
    const text = await answer;
    assert.match(text, /^HTTP\/1\.1 400 /, text);
    assert.match(text, /Malformed multipart body/);
    await assertNothingLeft();
    assert.equal(await stack.prisma.storedFile.count(), before, 'nothing was stored');
  });

  for (const declared of [true, false]) {
    it(`an oversized body ${declared ? 'with a Content-Length' : 'sent chunked'} is answered 413 and cut off at once`, async () => {
      const a = await admit(stack);
      const socket = await connect(stack);
      socket.on('error', () => {}); // the server may reset a connection we are still writing to
      const answer = readUntilClosed(socket);
      const headers: Record<string, string> = declared ? { 'Content-Length': String(200 * 1024 * 1024) } : { 'Transfer-Encoding': 'chunked' };
      socket.write(requestHead(stack, a, headers));
      const frame = (b: Buffer) => (declared ? b : Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]));
      socket.write(frame(Buffer.concat([Buffer.from(filePartHead), aPdf()])));
      // Keep sending (as a client with 200 MB would) until the server closes the connection.
      let sent = 0;
      let closed = false;
      socket.once('close', () => (closed = true));
      const chunk = frame(Buffer.alloc(64 * 1024, 0x20));
      const started = Date.now();
      while (!closed && sent < 200 * 1024 * 1024 && Date.now() - started < 30_000) {
        if (!socket.write(chunk)) await new Promise((r) => setTimeout(r, 5));
        sent += chunk.length;
        if (sent % (1024 * 1024) === 0) await new Promise((r) => setImmediate(r));
      }
      const text = await answer;
      assert.ok(closed, 'the server closed the connection');
      assert.match(text, /^HTTP\/1\.1 413 /, text.slice(0, 200));
      assert.match(text, /PAYLOAD_TOO_LARGE/);
      assert.match(text, /connection: close/i);
      // The item allows 10 MB: the server stopped reading within a few MB of that, not at 200 MB.
      assert.ok(sent < 40 * 1024 * 1024, `the client got to send ${Math.round(sent / 1024 / 1024)} MB`);
      assert.ok(Date.now() - started < 15_000, `cut off after ${Date.now() - started} ms`);
      await assertNothingLeft();
    });
  }
});
