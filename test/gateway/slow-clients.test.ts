/**
 * Slow and greedy clients against a real gateway with short limits: sockets
 * that never finish their headers are answered 408 and closed after the
 * headers timeout, and 200 of them at once do not stop a student's upload; an
 * upload body that stops arriving is answered 408 after the body-idle timeout
 * and leaves nothing staged; event streams beyond the cap per principal or per
 * address are refused 429 until one closes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { admit, eventually, startStack, uploadFile, type TestStack } from './support';
import { connect, rawRequest } from './raw-http';
import { aPdf } from '../kit/samples';

describe('gateway: slow and greedy clients', function () {
  this.timeout(180_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack({
      HTTP_HEADERS_TIMEOUT_SECONDS: '2',
      HTTP_BODY_IDLE_TIMEOUT_SECONDS: '2',
      EVENT_STREAMS_PER_PRINCIPAL: '2',
      EVENT_STREAMS_PER_ADDRESS: '3',
    });
  });
  after(async () => stack?.stop());

  it("200 sockets that never finish their headers do not stop a student's upload, and are closed with 408", async () => {
    const a = await admit(stack);
    const idle: net.Socket[] = [];
    const answers: string[] = [];
    const closed: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const s = await connect(stack.url);
      s.on('error', () => {});
      let text = '';
      s.on('data', (d) => (text += d.toString('latin1')));
      closed.push(new Promise((r) => s.once('close', () => (answers.push(text), r()))));
      // Half a request line, then nothing: a slowloris client.
      s.write(i % 2 ? 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' : 'POST /api/session HTTP/1.1\r\n');
      idle.push(s);
    }
    const started = Date.now();
    const res = await uploadFile(`${stack.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents`, aPdf(), 'id.pdf', {
      bearer: a.session,
      type: 'application/pdf',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.ok(Date.now() - started < 10_000, `the upload took ${Date.now() - started} ms`);
    // Past the 2 s headers timeout (checked every second), every idle socket was answered and closed.
    await Promise.race([Promise.all(closed), new Promise((_, reject) => setTimeout(() => reject(new Error(`${answers.length} of 200 closed`)), 15_000))]);
    assert.equal(
      answers.filter((t) => /^HTTP\/1\.1 408 /.test(t) && t.includes('"REQUEST_TIMEOUT"')).length,
      200,
      answers.find((t) => !t.startsWith('HTTP/1.1 408')),
    );
    for (const s of idle) s.destroy();
  });

  it('an upload body that stops arriving is answered 408 after the idle timeout and leaves nothing staged', async () => {
    const a = await admit(stack);
    const { host } = new URL(stack.url);
    const B = 'idle-boundary';
    const started = Date.now();
    const answer = await rawRequest(
      stack.url,
      [
        `POST /api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${a.session}\r\n` +
          `Content-Type: multipart/form-data; boundary=${B}\r\nContent-Length: 500000\r\n\r\n`,
        `--${B}\r\nContent-Disposition: form-data; name="file"; filename="id.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
        aPdf(),
      ],
      { waitMs: 20_000 },
    );
    const took = Date.now() - started;
    assert.equal(answer.status, 408, answer.text.slice(0, 300));
    assert.equal(answer.json?.code, 'REQUEST_TIMEOUT');
    assert.ok(!answer.timedOut, 'the gateway closed the connection');
    assert.ok(took >= 1_900 && took < 10_000, `answered after ${took} ms`);
    const staging = path.join(stack.config.uploadDir, 'tmp');
    await eventually(
      async () => fs.readdirSync(staging).filter((f) => f.endsWith('.part')),
      (f) => f.length === 0,
      5_000,
    );
  });

  it('a body that keeps arriving slowly is not cut off by the idle timeout', async () => {
    const a = await admit(stack);
    const { host } = new URL(stack.url);
    const B = 'slow-boundary';
    const body = Buffer.concat([
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"; filename="id.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
      aPdf(),
      Buffer.from(`\r\n--${B}--\r\n`),
    ]);
    const socket = await connect(stack.url);
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.write(
      `POST /api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${a.session}\r\n` +
        `Content-Type: multipart/form-data; boundary=${B}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    // Five seconds in all, a piece every second: longer than the idle timeout, never idle that long.
    const step = Math.ceil(body.length / 5);
    for (let at = 0; at < body.length; at += step) {
      await new Promise((r) => setTimeout(r, 1_000));
      socket.write(body.subarray(at, at + step));
    }
    await new Promise((r) => socket.once('close', r));
    assert.match(text, /^HTTP\/1\.1 201 /, text.slice(0, 300));
  });

  it("the gateway's own wait before it reads a body is not the client's idleness: the upload gets the handler's answer, not a dropped connection", async () => {
    const a = await admit(stack);
    await eventually(
      () => stack.prisma.registration.findUnique({ where: { applicationNo: a.applicationNo } }),
      (r) => r !== null,
    );
    // The read model behind the workflow (a projection not landed yet) for 4 s, twice the idle timeout: the
    // upload waits for it (up to 10 s) before it reads a byte, while the whole body the client sent waits in
    // the buffers. A projection landing meanwhile (the invitation's) is taken out again.
    const behindUntil = Date.now() + 4_000;
    const behind = (async () => {
      while (Date.now() < behindUntil) {
        await stack.prisma.registration.deleteMany({ where: { applicationNo: a.applicationNo } });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const { host } = new URL(stack.url);
    const B = 'waiting-boundary';
    const body = Buffer.concat([
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"; filename="id.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
      aPdf(),
      Buffer.from(`\r\n--${B}--\r\n`),
    ]);
    const answer = await rawRequest(
      stack.url,
      [
        `POST /api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${a.session}\r\n` +
          `Content-Type: multipart/form-data; boundary=${B}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
        body,
      ],
      { waitMs: 20_000 },
    );
    await behind;
    // The handler's answer: taken once the projection lands again within its 10 s, else "still being set up".
    if (answer.status === 201) assert.equal(answer.json?.document?.originalName, 'id.pdf');
    else {
      assert.equal(answer.status, 503, `${answer.text.slice(0, 300)} (socket: ${answer.error ?? 'closed'})`);
      assert.equal(answer.json?.code, 'WORKFLOW_UNAVAILABLE');
      assert.match(answer.json?.message, /still being set up/);
    }
  });

  describe('event streams are capped', () => {
    const open = async (url: string, bearer: string) => {
      const ac = new AbortController();
      const res = await fetch(url, { headers: { accept: 'text/event-stream', authorization: `Bearer ${bearer}` }, signal: ac.signal });
      const body = res.status === 200 ? undefined : await res.json();
      return { status: res.status, body, retryAfter: res.headers.get('retry-after'), close: () => ac.abort() };
    };

    it('per principal: the third stream of one student is 429 until one closes; per address: the fourth from one address', async () => {
      const [a, b] = await Promise.all([admit(stack), admit(stack)]);
      // The stream route reads the registration from the read model, which the projection fills shortly after the start.
      for (const x of [a, b])
        await eventually(
          () => stack.prisma.registration.findUnique({ where: { applicationNo: x.applicationNo } }),
          (r) => r !== null,
        );
      const streamOf = (x: typeof a) => `${stack.url}/api/registrations/${x.applicationNo}/events`;
      const first = await open(streamOf(a), a.session);
      const second = await open(streamOf(a), a.session);
      assert.deepEqual([first.status, second.status], [200, 200]);
      const third = await open(streamOf(a), a.session);
      assert.equal(third.status, 429);
      assert.equal(third.body.code, 'RATE_LIMITED');
      assert.deepEqual(third.body.details, { limit: 2, per: 'principal' });
      assert.equal(third.retryAfter, '30');

      // Another student from the same address: one more fits (3 from this address), the next does not.
      const others = await open(streamOf(b), b.session);
      assert.equal(others.status, 200);
      const fourth = await open(streamOf(b), b.session);
      assert.equal(fourth.status, 429);
      assert.deepEqual(fourth.body.details, { limit: 3, per: 'address' });

      // A stream that closes gives its place back.
      first.close();
      const again = await eventually(
        () => open(streamOf(a), a.session),
        (r) => (r.status === 200 ? true : (r.close(), false)),
        5_000,
      );
      assert.equal(again.status, 200);
      for (const s of [second, others, again]) s.close();
    });
  });
});
