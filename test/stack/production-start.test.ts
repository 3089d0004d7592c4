/**
 * The production entry points fail closed: started as an operator would start
 * them, with nothing set, they refuse to run (exit code 2) and name what is
 * missing. And a production gateway neither serves the identity-provider
 * simulator nor sends a session cookie without `Secure`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { projectRoot } from '../../src/paths';
import { signInvitationToken } from '../../src/links';
import { fetchJson, startGateway } from '../gateway/support';

/** The environment without anything progreg reads, as on a fresh server. */
function bareEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR']) if (process.env[name]) env[name] = process.env[name];
  return { ...env, ...extra };
}

function run(entry: string, env: NodeJS.ProcessEnv, nodeFlags: string[] = []): Promise<{ code: number | null; output: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', entry], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('exit', (code) => resolve({ code, output, ms: Date.now() - t0 }));
  });
}

describe('production start (fail closed)', function () {
  this.timeout(60_000);

  for (const entry of ['src/gateway/server.ts', 'src/worker.ts']) {
    it(`${entry} without secrets exits 2 and names each missing variable`, async () => {
      const { code, output } = await run(entry, bareEnv({ DATABASE_URL: 'postgresql://127.0.0.1:1/none' }));
      assert.equal(code, 2, output);
      assert.match(output, /TOKEN_SECRET: must be set in production/);
      assert.match(output, /WEBHOOK_SECRET: must be set in production/);
      assert.match(output, /PUBLIC_BASE_URL: must be the https:\/\/ address/);
      assert.match(output, /RESEND_API_KEY: must be set in production, or choose the outbox explicitly with EMAIL_TRANSPORT=outbox/);
      assert.match(output, /TEMPORAL_PAYLOAD_KEYS: must be set in production/);
    });
  }

  it('the worker refuses a workflow cache its V8 heap limit cannot hold, in any mode; the same cache under a larger limit passes', async () => {
    // Development, so that nothing but the cache and the database is at stake; no metrics port to bind.
    const env = bareEnv({ NODE_ENV: 'development', WORKER_CACHED_WORKFLOWS: '1000', WORKER_METRICS_PORT: '0' });
    // 128 MB of old space: half of the heap is about 88 MB, room for some 165 registrations at 0.3 MB each, not 1,000.
    const small = await run('src/worker.ts', env, ['--max-old-space-size=128']);
    assert.equal(small.code, 2, small.output);
    assert.match(small.output, /WORKER_CACHED_WORKFLOWS=1000: does not fit the V8 heap limit of \d+ MB/);
    assert.match(small.output, /--max-old-space-size/);
    // 1,024 MB: room for about 1,650; the worker goes on to its next check (no DATABASE_URL in this environment).
    const large = await run('src/worker.ts', env, ['--max-old-space-size=1024']);
    assert.equal(large.code, 2, large.output);
    assert.doesNotMatch(large.output, /WORKER_CACHED_WORKFLOWS/);
    assert.match(large.output, /DATABASE_URL: must be set/);
  });

  it('the gateway refuses unsafe single sign-on: an http issuer, a short client secret, a redirect off the portal', async () => {
    const secret = () => randomBytes(32).toString('base64url');
    const { code, output } = await run(
      'src/gateway/server.ts',
      bareEnv({
        DATABASE_URL: 'postgresql://127.0.0.1:1/none',
        TOKEN_SECRET: secret(),
        WEBHOOK_SECRET: secret(),
        PUBLIC_BASE_URL: 'https://register.example.edu',
        EMAIL_TRANSPORT: 'outbox',
        OIDC_ISSUER_URL: 'http://login.example.edu/realms/ust',
        OIDC_CLIENT_ID: 'progreg',
        OIDC_CLIENT_SECRET: randomBytes(8).toString('hex'), // 16 characters
        OIDC_ROLE_MAP: 'registry-officers=officer',
        OIDC_REDIRECT_URL: 'https://attacker.example.com/auth/callback',
      }),
    );
    assert.equal(code, 2, output);
    assert.match(output, /OIDC_ISSUER_URL: must be https in production/);
    assert.match(output, /OIDC_CLIENT_SECRET: must be at least 32 characters/);
    assert.match(output, /OIDC_REDIRECT_URL: must be https on PUBLIC_BASE_URL's origin/);
  });

  it('the gateway refuses the secrets published in the repository (the dev default and the old compose fallbacks)', async () => {
    const { code, output } = await run(
      'src/gateway/server.ts',
      bareEnv({
        DATABASE_URL: 'postgresql://127.0.0.1:1/none',
        TOKEN_SECRET: 'progreg-dev-secret-change-me-0123456789',
        WEBHOOK_SECRET: 'compose-webhook-secret-change',
        PUBLIC_BASE_URL: 'http://register.example.edu',
        EMAIL_TRANSPORT: 'outbox',
      }),
    );
    assert.equal(code, 2, output);
    assert.match(output, /TOKEN_SECRET: is a value published in the progreg repository/);
    assert.match(output, /WEBHOOK_SECRET: must be at least 32 characters/);
    assert.match(output, /PUBLIC_BASE_URL: must be the https/);
    assert.doesNotMatch(output, /RESEND_API_KEY/);
  });

  it('a production gateway has no identity-provider simulator and sets the session cookie as __Host-progreg_session (Secure, Path=/, no Domain)', async () => {
    const gw = await startGateway({
      env: {
        NODE_ENV: 'production',
        TOKEN_SECRET: randomBytes(24).toString('base64url'),
        WEBHOOK_SECRET: randomBytes(24).toString('base64url'),
        PUBLIC_BASE_URL: 'https://register.example.edu',
        EMAIL_TRANSPORT: 'outbox',
        TEMPORAL_PAYLOAD_KEYS: `prod-1:${randomBytes(32).toString('base64')}`,
      },
    });
    try {
      const token = await signInvitationToken(gw.config, 'A2799001');
      const simulator = await fetchJson(`${gw.url}/idp/activate?token=${token}`);
      assert.equal(simulator.status, 404);
      const session = await fetchJson(`${gw.url}/api/session`, { method: 'POST', json: { token } });
      assert.equal(session.status, 200, JSON.stringify(session.body));
      const setCookie = session.headers.get('set-cookie') ?? '';
      // The browser keeps a __Host- cookie only with Secure, Path=/ and no Domain: no sibling subdomain can set or shadow it.
      assert.match(setCookie, /^__Host-progreg_session=[^;]+;/);
      const attributes = setCookie.split(';').map((a) => a.trim().toLowerCase());
      assert.ok(attributes.includes('secure'), setCookie);
      assert.ok(attributes.includes('path=/'), setCookie);
      assert.ok(!attributes.some((a) => a.startsWith('domain=')), setCookie);
      // The gateway reads it back under that name (and not under the plain one a sibling could set).
      const value = setCookie.slice(0, setCookie.indexOf(';'));
      assert.equal((await fetchJson(`${gw.url}/api/session`, { headers: { cookie: value } })).status, 200);
      const plain = value.replace(/^__Host-/, '');
      assert.equal((await fetchJson(`${gw.url}/api/session`, { headers: { cookie: plain } })).status, 401);
    } finally {
      await gw.close();
    }
  });
});
