import assert from 'node:assert/strict';
import { Client } from '@temporalio/client';
import { createPrisma } from '../../src/db/prisma';
import { signInvitationToken } from '../../src/links';
import { lazyTemporalConnection } from '../../src/temporal/connection';
import { freePort } from '../kit/servers';
import { fetchJson, startGateway, type TestGateway } from './support';

describe('gateway health and readiness', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => gw?.close());

  it('GET /healthz answers 200 with a request id', async () => {
    const res = await fetchJson(`${gw.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('GET /readyz is 200 when the real PostgreSQL and Temporal answer', async () => {
    const res = await fetchJson(`${gw.url}/readyz`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'ready');
    assert.equal(res.body.checks.database.ok, true);
    assert.equal(res.body.checks.temporal.ok, true);
  });

  it('GET /readyz is 503 naming Temporal when Temporal does not answer', async () => {
    const deadPort = await freePort();
    const connection = lazyTemporalConnection({ address: `127.0.0.1:${deadPort}` });
    const down = await startGateway({ temporal: new Client({ connection }) });
    try {
      const res = await fetchJson(`${down.url}/readyz`);
      assert.equal(res.status, 503);
      assert.equal(res.body.code, 'NOT_READY');
      assert.deepEqual(res.body.details.failed, ['temporal']);
      assert.equal(res.body.details.checks.database.ok, true);
      assert.ok(res.body.requestId);
    } finally {
      await down.close();
      await connection.close().catch(() => {});
    }
  });

  it('GET /readyz is 503 naming the database when PostgreSQL does not answer', async () => {
    const prisma = createPrisma(`postgresql://postgres:postgres@127.0.0.1:${await freePort()}/none`);
    const down = await startGateway({ prisma });
    try {
      const res = await fetchJson(`${down.url}/readyz`);
      assert.equal(res.status, 503);
      assert.deepEqual(res.body.details.failed, ['database']);
      assert.equal(res.body.details.checks.temporal.ok, true);
    } finally {
      await down.close();
      await prisma.$disconnect();
    }
  });

  it('answers unknown routes with the JSON error shape and security headers', async () => {
    const res = await fetchJson(`${gw.url}/no/such/route`, { headers: { 'x-request-id': 'trace-me-123' } });
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 'NOT_FOUND');
    assert.equal(typeof res.body.message, 'string');
    assert.deepEqual(res.body.details, {});
    assert.equal(res.body.requestId, 'trace-me-123');
    assert.equal(res.headers.get('x-request-id'), 'trace-me-123');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(res.headers.get('content-security-policy'));
    assert.equal(res.headers.get('x-powered-by'), null);
  });
});

describe('gateway logs', function () {
  this.timeout(60_000);

  it('writes one structured JSON line per request with its request id, and never the credentials', async () => {
    const lines: string[] = [];
    const gw = await startGateway({ logLines: lines });
    try {
      const res = await fetchJson(`${gw.url}/api/registrations/A1234567`, {
        headers: { 'x-request-id': 'req-abc-123', authorization: 'Bearer pgk_deadbeef_secret-value' },
      });
      assert.equal(res.status, 401);
      await new Promise((r) => setTimeout(r, 50));
      const entries = lines.map((l) => JSON.parse(l));
      const entry = entries.find((e) => e.req?.id === 'req-abc-123');
      assert.ok(entry, `a log line for the request in ${lines.length} lines`);
      assert.equal(entry.res.statusCode, 401);
      assert.equal(entry.level, 40, 'client errors are warnings');
      assert.equal(entry.req.headers.authorization, '[Redacted]');
      assert.ok(!lines.join('\n').includes('secret-value'));
    } finally {
      await gw.close();
    }
  });

  it('redacts tokens in query strings and the Referer on every request line (/invite, /idp/activate, any route)', async () => {
    const lines: string[] = [];
    const gw = await startGateway({ logLines: lines });
    try {
      const invite = await signInvitationToken(gw.config, 'A2799002');
      const paths = [
        `/invite?token=${invite}`,
        `/idp/activate?token=${invite}&x=1`,
        `/api/registrations/A2799002?Access_Token=bearer-secret-1&page=2`,
        `/no/such/route?api_key=bearer-secret-2&sig=bearer-secret-3#frag`,
      ];
      for (const p of paths) {
        await fetchJson(`${gw.url}${p}`, { headers: { referer: `https://mail.example/open?token=referer-secret-4` } });
      }
      await new Promise((r) => setTimeout(r, 50));
      const out = lines.join('\n');
      for (const secret of [invite, invite.split('.')[2]!, 'bearer-secret-1', 'bearer-secret-2', 'bearer-secret-3', 'referer-secret-4']) {
        assert.ok(!out.includes(secret), `${secret.slice(0, 12)}… appears in the log`);
      }
      const urls = lines
        .map((l) => JSON.parse(l))
        .filter((e) => e.req?.url)
        .map((e) => e.req.url);
      assert.deepEqual(urls, [
        '/invite?token=[REDACTED]',
        '/idp/activate?token=[REDACTED]&x=1',
        '/api/registrations/A2799002?Access_Token=[REDACTED]&page=2',
        '/no/such/route?api_key=[REDACTED]&sig=[REDACTED]',
      ]);
      const referers = lines
        .map((l) => JSON.parse(l))
        .filter((e) => e.req?.headers?.referer)
        .map((e) => e.req.headers.referer);
      assert.ok(referers.length >= 4 && referers.every((r) => r === 'https://mail.example/open?token=[REDACTED]'), JSON.stringify(referers));
    } finally {
      await gw.close();
    }
  });
});
