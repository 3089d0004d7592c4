import assert from 'node:assert/strict';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { uniq } from '../kit/servers';
import { eventually, startGateway, type TestGateway } from './support';

/** Two gateways on one database, as behind a load balancer: a client's allowance is one, whichever serves it. */
describe('gateway: rate limits shared through PostgreSQL (RATE_LIMIT_STORE=postgres)', function () {
  this.timeout(60_000);
  let a: TestGateway;
  let b: TestGateway;
  before(async () => {
    const env = { RATE_LIMIT_STORE: 'postgres', AUTH_RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: '1' };
    a = await startGateway({ env });
    b = await startGateway({ env });
  });
  after(async () => {
    await a?.close();
    await b?.close();
  });

  // A client address of its own per test, so no other test's counters are involved.
  const anAddress = () => `198.18.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 254) + 1}`;
  const guess = (gw: TestGateway, client: string) =>
    fetch(`${gw.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify({ token: 'guess' }),
    }).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.text() }));

  it('three failed attempts spread over both gateways use up the allowance on both', async () => {
    const client = anAddress();
    const codes = [];
    for (const gw of [a, b, a, b, a]) codes.push((await guess(gw, client)).status);
    // With each gateway counting in its own memory, B would still answer 401 to its second attempt.
    assert.deepEqual(codes, [401, 401, 401, 429, 429]);
    const limited = await guess(b, client);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.retryAfter) > 0 && Number(limited.retryAfter) <= 60, `Retry-After ${limited.retryAfter}`);
    assert.equal((await guess(a, anAddress())).status, 401, 'another client is not limited');
  });

  it('successful sign-ins are taken back on whichever gateway: never a lock-out', async () => {
    const { key } = await createStaffKey(a.prisma, { name: uniq('officer.'), role: 'officer' });
    const client = anAddress();
    const codes = [];
    for (const gw of [a, b, a, b, a, b]) {
      codes.push((await fetch(`${gw.url}/api/staff/me`, { headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': client } })).status);
    }
    assert.deepEqual(codes, [200, 200, 200, 200, 200, 200]);
    // The hit is taken back once the response has gone out, so the last one may still be on its way.
    await eventually(
      () => a.prisma.rateLimitHit.findUnique({ where: { key: `auth:${client}` } }),
      (row) => row?.hits === 0,
      5_000,
    );
  });
});
