/**
 * The ports tests give their servers: never one the kernel may hand another process meanwhile (an ephemeral one,
 * as the Temporal dev server's own random ports are), never one already in use, never the same twice.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { ephemeralRange, freePort } from '../kit/servers';

describe('free ports for the servers a test starts', () => {
  it('are below the ephemeral range, distinct, and free', async () => {
    const [low] = ephemeralRange();
    const ports: number[] = [];
    for (let i = 0; i < 300; i++) ports.push(await freePort());
    assert.equal(new Set(ports).size, ports.length, 'no port handed out twice');
    assert.ok(
      ports.every((p) => p >= 10_000 && p < low),
      `all in 10000–${low - 1}: ${ports.filter((p) => p < 10_000 || p >= low).join(', ')}`,
    );
  });

  it('skips ports other servers hold', async () => {
    // Another process's servers, on ports taken directly: about a tenth of the range, so 300 ports asked meet a
    // few hundred busy ones on the way.
    const [low] = ephemeralRange();
    const held: net.Server[] = [];
    for (let port = 10_000; port < low; port += 10) {
      const srv = net.createServer();
      const ok = await new Promise<boolean>((resolve) => {
        srv.once('error', () => resolve(false));
        srv.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (ok) held.push(srv);
    }
    const busy = new Set(held.map((s) => (s.address() as net.AddressInfo).port));
    assert.ok(busy.size > 1_000, `${busy.size} ports held`);
    try {
      for (let i = 0; i < 300; i++) {
        const port = await freePort();
        assert.ok(!busy.has(port), `${port} is held by another server`);
      }
    } finally {
      await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
    }
  });
});
