/**
 * An upload refused before its body is read (a registration already closed,
 * another student's registration) is delivered: the client, still sending its
 * file, reads the 4xx answer instead of a broken pipe. Node's fetch (undici), as the portal's
 * API clients use it, with 20 uploads of 2 MB at once; and over a raw socket
 * that reads the answer first and sends the rest of its body after it.
 */
import assert from 'node:assert/strict';
import { admit, eventually, fetchJson, startStack, type Admitted, type TestStack } from './support';
import { connect } from './raw-http';
import { aPdf } from '../kit/samples';

const MB = 1024 * 1024;

describe('gateway: an upload refused before its body is read gets its answer', function () {
  this.timeout(180_000);
  let stack: TestStack;
  let a: Admitted;
  let other: Admitted;
  let withdrawn: Admitted;
  before(async () => {
    stack = await startStack();
    [a, other, withdrawn] = await Promise.all([admit(stack), admit(stack), admit(stack)]);
    const decline = await fetchJson(`${stack.url}/api/registrations/${withdrawn.applicationNo}/decline`, {
      method: 'POST',
      bearer: withdrawn.session,
      json: {},
    });
    if (decline.status !== 200) throw new Error(`decline: ${decline.status}`);
    // Closed is judged from the read model before the body (a fact that never changes back): wait until it says so.
    await eventually(
      () => stack.prisma.registration.findUnique({ where: { applicationNo: withdrawn.applicationNo } }),
      (r) => r?.status === 'WITHDRAWN',
    );
  });
  after(async () => stack?.stop());

  /** A 2 MB PDF-looking file, as multipart/form-data. */
  function twoMegabytes(): FormData {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(Buffer.concat([aPdf(), Buffer.alloc(2 * MB, 0x20)]))], { type: 'application/pdf' }), 'big.pdf');
    return form;
  }

  async function twentyAtOnce(url: string, bearer: string): Promise<string[]> {
    return Promise.all(
      Array.from({ length: 20 }, async () => {
        try {
          const res = await fetch(url, { method: 'POST', body: twoMegabytes(), headers: { authorization: `Bearer ${bearer}` } });
          const body = (await res.json()) as { code: string };
          return `${res.status} ${body.code}`;
        } catch (e) {
          const cause = (e as { cause?: NodeJS.ErrnoException }).cause;
          return `network error ${cause?.code ?? cause?.message ?? (e as Error).message}`;
        }
      }),
    );
  }

  it('20 uploads of 2 MB to a withdrawn registration all read 409 INVALID_TRANSITION', async () => {
    const results = await twentyAtOnce(`${stack.url}/api/registrations/${withdrawn.applicationNo}/items/ID_DOCUMENT/documents`, withdrawn.session);
    assert.deepEqual(results, Array(20).fill('409 INVALID_TRANSITION'));
  });

  it("20 uploads of 2 MB to another student's item all read 403 FORBIDDEN", async () => {
    const results = await twentyAtOnce(`${stack.url}/api/registrations/${other.applicationNo}/items/ID_DOCUMENT/documents`, a.session);
    assert.deepEqual(results, Array(20).fill('403 FORBIDDEN'));
  });

  it('a client that reads the refusal, then sends the rest of its 2 MB body, is read to the end without a reset', async () => {
    const body = Buffer.concat([
      Buffer.from('--b\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n\r\n'),
      aPdf(),
      Buffer.alloc(2 * MB, 0x20),
      Buffer.from('\r\n--b--\r\n'),
    ]);
    const socket = await connect(stack.url);
    let received = '';
    let error: string | undefined;
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
    socket.write(
      `POST /api/registrations/${withdrawn.applicationNo}/items/ID_DOCUMENT/documents HTTP/1.1\r\nHost: ${new URL(stack.url).host}\r\n` +
        `Authorization: Bearer ${withdrawn.session}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    socket.write(body.subarray(0, 16 * 1024));
    const until = Date.now() + 15_000;
    while (!received.includes('\r\n\r\n') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.match(received, /^HTTP\/1\.1 409 /, received.slice(0, 200));
    // The rest, after the answer, in pieces with pauses (a phone on a slow link).
    for (let at = 16 * 1024; at < body.length && !error; at += 64 * 1024) {
      await new Promise<void>((r) => socket.write(body.subarray(at, at + 64 * 1024), () => r()));
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(error, undefined, 'the connection was reset while the client was still sending');
    assert.ok(!socket.destroyed, 'the connection stays open after the body');
    // And usable: the next request on it is answered.
    received = '';
    socket.write(`GET /healthz HTTP/1.1\r\nHost: ${new URL(stack.url).host}\r\n\r\n`);
    const next = Date.now() + 10_000;
    while (!received.includes('\r\n\r\n') && Date.now() < next) await new Promise((r) => setTimeout(r, 20));
    assert.match(received, /^HTTP\/1\.1 200 /, received.slice(0, 200));
    socket.destroy();
  });
});
