import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { README, withConfigTable } from '../../scripts/config-doc';
import { ConfigError, loadConfig, PUBLISHED_SECRETS, requireDatabaseUrl } from '../../src/config';

const dev = { NODE_ENV: 'development' };
/** A production environment that passes every check; each test breaks one thing. Secrets made here: any written in the repository is published. */
const prod = {
  NODE_ENV: 'production',
  TOKEN_SECRET: randomBytes(24).toString('base64url'),
  WEBHOOK_SECRET: randomBytes(24).toString('base64url'),
  PUBLIC_BASE_URL: 'https://register.example.edu',
  RESEND_API_KEY: 're_live_key',
  TEMPORAL_PAYLOAD_KEYS: `prod-1:${randomBytes(32).toString('base64')}`,
  RESEND_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
};
const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
};

describe('config', () => {
  it('runs on embedded defaults with nothing set but NODE_ENV=development', () => {
    const c = loadConfig(dev);
    assert.equal(c.DATABASE_URL, undefined);
    assert.equal(c.GATEWAY_PORT, 3000);
    assert.equal(c.temporalUiUrl, 'http://localhost:8233');
    assert.ok(c.outboxDir.endsWith('/var/outbox'));
  });

  it("puts the import on a task queue of its own: the registrations' queue + `-import`, or TEMPORAL_IMPORT_TASK_QUEUE", () => {
    assert.equal(loadConfig(dev).importTaskQueue, 'registration-import');
    assert.equal(loadConfig({ ...dev, TEMPORAL_TASK_QUEUE: 'reg-2027' }).importTaskQueue, 'reg-2027-import');
    assert.equal(loadConfig({ ...dev, TEMPORAL_TASK_QUEUE: 'reg-2027', TEMPORAL_IMPORT_TASK_QUEUE: 'imports' }).importTaskQueue, 'imports');
  });

  it('names every bad variable in one clear error', () => {
    assert.throws(
      () => loadConfig({ ...dev, GATEWAY_PORT: 'eighty', DATABASE_URL: 'not a url', LOG_LEVEL: 'loud' }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(
          e.problems.map((p) => p.split('=')[0]),
          ['LOG_LEVEL', 'DATABASE_URL', 'GATEWAY_PORT'],
        );
        assert.match(e.message, /GATEWAY_PORT="eighty"/);
        return true;
      },
    );
  });

  it('the production entry points require DATABASE_URL, with a message saying so', () => {
    assert.throws(
      () => requireDatabaseUrl(loadConfig(dev)),
      (e: unknown) => e instanceof ConfigError && /DATABASE_URL: must be set/.test(e.message),
    );
    assert.equal(requireDatabaseUrl(loadConfig({ ...dev, DATABASE_URL: 'postgresql://db/progreg' })), 'postgresql://db/progreg');
  });

  it('is production unless development is chosen, and production refuses to start on nothing', () => {
    assert.deepEqual(
      problemsOf({}).map((p) => p.split(':')[0]),
      ['TOKEN_SECRET', 'WEBHOOK_SECRET', 'PUBLIC_BASE_URL', 'RESEND_API_KEY', 'RESEND_WEBHOOK_SECRET', 'TEMPORAL_PAYLOAD_KEYS'],
    );
    assert.equal(loadConfig(prod).NODE_ENV, 'production');
    assert.equal(loadConfig(prod).emailTransport, 'resend');
  });

  it("production with Resend refuses to start without the email events' signing secret, or with the published dev one, or one not in Resend's format", () => {
    const { RESEND_WEBHOOK_SECRET: _unset, ...withoutIt } = prod;
    assert.match(problemsOf(withoutIt).join(), /^RESEND_WEBHOOK_SECRET: must be set in production when emails go through Resend/);
    assert.match(
      problemsOf({ ...prod, RESEND_WEBHOOK_SECRET: 'whsec_cHJvZ3JlZy1kZXYtcmVzZW5kLXdlYmhvb2stc2VjcmV0LTAxMjM=' }).join(),
      /^RESEND_WEBHOOK_SECRET: is a value published/,
    );
    assert.match(
      problemsOf({ ...prod, RESEND_WEBHOOK_SECRET: randomBytes(24).toString('hex') }).join(),
      /^RESEND_WEBHOOK_SECRET: must be the signing secret Resend shows/,
    );
    // The outbox needs none: the endpoint then refuses every event.
    assert.equal(loadConfig({ ...withoutIt, RESEND_API_KEY: '', EMAIL_TRANSPORT: 'outbox' }).RESEND_WEBHOOK_SECRET, undefined);
    assert.equal(loadConfig(dev).RESEND_WEBHOOK_SECRET?.startsWith('whsec_'), true);
  });

  it('production refuses a secret that is short, or published in the repository, naming the variable', () => {
    assert.deepEqual(problemsOf({ ...prod, TOKEN_SECRET: 'x'.repeat(31) }), ['TOKEN_SECRET: must be at least 32 characters']);
    assert.match(
      problemsOf({ ...prod, WEBHOOK_SECRET: 'progreg-dev-secret-change-me-0123456789' }).join(),
      /^WEBHOOK_SECRET: is a value published in the progreg repository/,
    );
    assert.match(problemsOf({ ...prod, TOKEN_SECRET: 'compose-token-secret-please-change-0000' }).join(), /^TOKEN_SECRET: is a value published/);
    assert.match(problemsOf({ ...prod, WEBHOOK_SECRET: prod.TOKEN_SECRET }).join(), /^WEBHOOK_SECRET: must differ from TOKEN_SECRET/);
    // The value itself never appears in the message (it lands in logs).
    const short = randomBytes(8).toString('hex');
    assert.doesNotMatch(problemsOf({ ...prod, TOKEN_SECRET: short }).join(), new RegExp(short));
  });

  it('production refuses a secret no generator made: spaces, one character, a short pattern repeated', () => {
    for (const weak of [' '.repeat(32), 'x'.repeat(40), 'abcd'.repeat(10), '0123456789'.repeat(4)]) {
      assert.deepEqual(
        problemsOf({ ...prod, TOKEN_SECRET: weak }).map((p) => p.split(':')[0]),
        ['TOKEN_SECRET'],
        JSON.stringify(weak),
      );
      assert.match(problemsOf({ ...prod, WEBHOOK_SECRET: weak }).join(), /^WEBHOOK_SECRET: is too predictable/);
    }
    // What the generators give passes: 16 random bytes in hex (128 bits) and in base64.
    for (let i = 0; i < 200; i++) {
      assert.deepEqual(problemsOf({ ...prod, TOKEN_SECRET: randomBytes(16).toString('hex'), WEBHOOK_SECRET: randomBytes(24).toString('base64') }), []);
    }
    // Development keeps its published default.
    assert.equal(loadConfig({ ...dev, TOKEN_SECRET: 'x'.repeat(40) }).TOKEN_SECRET.length, 40);
  });

  it('production refuses metrics endpoints on a non-loopback address without METRICS_TOKEN', () => {
    assert.deepEqual(problemsOf(prod), [], 'loopback by default');
    assert.match(
      problemsOf({ ...prod, METRICS_HOST: '0.0.0.0' }).join(),
      /^METRICS_TOKEN: must be set in production when the metrics endpoints listen on 0\.0\.0\.0/,
    );
    assert.match(problemsOf({ ...prod, METRICS_HOST: '10.1.2.3' }).join(), /^METRICS_TOKEN: /);
    assert.deepEqual(problemsOf({ ...prod, METRICS_HOST: '0.0.0.0', METRICS_TOKEN: randomBytes(24).toString('base64url') }), []);
    assert.deepEqual(problemsOf({ ...prod, METRICS_HOST: '0.0.0.0', GATEWAY_METRICS_PORT: '0', WORKER_METRICS_PORT: '0' }), [], 'no endpoint, nothing exposed');
    for (const loopback of ['127.0.0.1', '127.0.0.53', '::1', '[::1]', 'localhost', 'LocalHost'])
      assert.deepEqual(problemsOf({ ...prod, METRICS_HOST: loopback }), [], loopback);
    // A name under .localhost goes to DNS on a plain glibc host, so it may be any address.
    for (const other of ['metrics.localhost', '[::2]', '128.0.0.1'])
      assert.match(problemsOf({ ...prod, METRICS_HOST: other }).join(), /^METRICS_TOKEN: /, other);
    assert.match(problemsOf({ ...prod, METRICS_HOST: '0.0.0.0', METRICS_TOKEN: 'a'.repeat(40) }).join(), /^METRICS_TOKEN: is too predictable/);
    assert.match(problemsOf({ ...prod, METRICS_TOKEN: 'short' }).join(), /^METRICS_TOKEN: must be at least 32 characters/);
    assert.deepEqual(problemsOf({ ...dev, METRICS_HOST: '0.0.0.0' }), [], 'development trusts its own network');
  });

  it("production takes TRUST_PROXY as a hop count or the proxies' addresses and subnets, never `true`", () => {
    assert.match(problemsOf({ ...prod, TRUST_PROXY: 'true' }).join(), /^TRUST_PROXY: must be a hop count .*got true/);
    assert.match(problemsOf({ ...prod, TRUST_PROXY: '10.0.0.0/33' }).join(), /^TRUST_PROXY: .*"10\.0\.0\.0\/33"/);
    assert.match(problemsOf({ ...prod, TRUST_PROXY: 'everyone' }).join(), /^TRUST_PROXY: /);
    for (const ok of ['1', '2', 'loopback', '10.0.0.0/8, 192.168.1.7', 'uniquelocal,fd00::/8'])
      assert.deepEqual(problemsOf({ ...prod, TRUST_PROXY: ok }), [], ok);
    assert.equal(loadConfig({ ...dev, TRUST_PROXY: 'true' }).TRUST_PROXY, true);
  });

  it('production requires an https PUBLIC_BASE_URL', () => {
    assert.match(problemsOf({ ...prod, PUBLIC_BASE_URL: 'http://register.example.edu' }).join(), /^PUBLIC_BASE_URL: must be the https:\/\/ address/);
    assert.match(problemsOf({ ...prod, PUBLIC_BASE_URL: undefined }).join(), /^PUBLIC_BASE_URL: must be the https/);
  });

  it('production without RESEND_API_KEY refuses unless the outbox is chosen explicitly', () => {
    assert.match(
      problemsOf({ ...prod, RESEND_API_KEY: undefined }).join(),
      /^RESEND_API_KEY: must be set in production, or choose the outbox explicitly with EMAIL_TRANSPORT=outbox/,
    );
    const outbox = loadConfig({ ...prod, RESEND_API_KEY: undefined, EMAIL_TRANSPORT: 'outbox' });
    assert.equal(outbox.emailTransport, 'outbox');
    assert.match(problemsOf({ ...dev, EMAIL_TRANSPORT: 'resend' }).join(), /^RESEND_API_KEY: must be set when EMAIL_TRANSPORT=resend/);
  });

  it('production refuses a Temporal address off this machine without TLS', () => {
    assert.match(
      problemsOf({ ...prod, TEMPORAL_ADDRESS: 'temporal.internal:7233' }).join(),
      /^TEMPORAL_ADDRESS: temporal\.internal:7233 is off this machine, so the connection must use TLS in production/,
    );
    assert.match(
      problemsOf({ ...prod, TEMPORAL_ADDRESS: '10.1.2.3:7233', TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA_FILE: '/ca.pem' }).join(),
      /^TEMPORAL_ADDRESS: /,
    );
    assert.match(problemsOf({ ...prod, TEMPORAL_ADDRESS: '[2001:db8::1]:7233' }).join(), /^TEMPORAL_ADDRESS: /);
    assert.match(problemsOf({ ...prod, TEMPORAL_ADDRESS: 'temporal.localhost:7233' }).join(), /^TEMPORAL_ADDRESS: /);
    // TLS on (explicitly, by a CA file, or by an API key), or a loopback address, starts.
    for (const ok of [
      { TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_TLS: 'true' },
      { TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_TLS_CA_FILE: '/etc/progreg/temporal-ca.pem' },
      { TEMPORAL_ADDRESS: 'progreg.a1b2c.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key' },
      { TEMPORAL_ADDRESS: 'localhost:7233' },
      { TEMPORAL_ADDRESS: '127.0.0.1:7233' },
      { TEMPORAL_ADDRESS: '[::1]:7233' },
      { TEMPORAL_ADDRESS: '::1' },
      {},
    ])
      assert.deepEqual(problemsOf({ ...prod, ...ok }), [], JSON.stringify(ok));
    // Development talks to anything in the clear.
    assert.equal(loadConfig({ ...dev, TEMPORAL_ADDRESS: 'temporal.internal:7233' }).TEMPORAL_ADDRESS, 'temporal.internal:7233');
  });

  it('production refuses a PostgreSQL URL off this machine without an sslmode that encrypts', () => {
    const db = 'postgresql://progreg:pw@db.internal:5432/progreg';
    assert.match(problemsOf({ ...prod, DATABASE_URL: db }).join(), /^DATABASE_URL: db\.internal is off this machine, .*got no sslmode/);
    for (const weak of ['disable', 'allow', 'prefer'])
      assert.match(problemsOf({ ...prod, DATABASE_URL: `${db}?sslmode=${weak}` }).join(), new RegExp(`^DATABASE_URL: .*got sslmode=${weak}`), weak);
    // A libpq host parameter off the machine counts, whatever the URL's host says.
    assert.match(problemsOf({ ...prod, DATABASE_URL: 'postgresql://progreg:pw@localhost/progreg?host=db.internal' }).join(), /^DATABASE_URL: /);
    for (const ok of [
      `${db}?sslmode=require`,
      `${db}?sslmode=verify-ca`,
      `${db}?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem`,
      'postgresql://progreg:pw@localhost:5432/progreg',
      'postgresql://progreg:pw@127.0.0.1:5432/progreg',
      'postgresql://progreg:pw@[::1]:5432/progreg',
      'postgresql://progreg@localhost/progreg?host=/var/run/postgresql',
    ])
      assert.deepEqual(problemsOf({ ...prod, DATABASE_URL: ok }), [], ok);
    assert.equal(loadConfig({ ...dev, DATABASE_URL: db }).DATABASE_URL, db);
  });

  it('command-line tools are refused the same cleartext transports (an import sends names to Temporal)', () => {
    const tool = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig(env, { purpose: 'tool' });
        return [];
      } catch (e) {
        return (e as ConfigError).problems.map((p) => p.split(':')[0]);
      }
    };
    const keys = { TEMPORAL_PAYLOAD_KEYS: prod.TEMPORAL_PAYLOAD_KEYS };
    assert.deepEqual(tool({ ...keys, TEMPORAL_ADDRESS: 'temporal.internal:7233', DATABASE_URL: 'postgresql://p:p@db.internal/progreg' }), [
      'TEMPORAL_ADDRESS',
      'DATABASE_URL',
    ]);
    assert.deepEqual(tool({ ...keys, TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_TLS: 'true' }), []);
  });

  it('command-line tools (which neither serve nor sign) skip the server checks', () => {
    assert.equal(loadConfig({}, { purpose: 'tool' }).NODE_ENV, 'production');
  });
});

describe('README configuration table', () => {
  it('matches src/config/variables.ts (run `npm run config:doc -- --write` after adding a variable)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    assert.equal(readme, withConfigTable(readme));
  });
});

/*
 * Single sign-on settings (src/config/oidc.ts): development gets the simulator
 * with a secret made at start; a configured provider needs its client and
 * role map everywhere; production refuses tokens over http, a short or
 * published client secret, a redirect off the portal's origin, and half a
 * configuration.
 */
const sso = {
  OIDC_ISSUER_URL: 'https://login.example.edu/realms/ust',
  OIDC_CLIENT_ID: 'progreg',
  OIDC_CLIENT_SECRET: randomBytes(24).toString('base64url'),
  OIDC_ROLE_MAP: 'registry-admins=admin, registry-officers=officer',
};
const variables = (env: NodeJS.ProcessEnv) => problemsOf(env).map((p) => p.split(/[=:]/)[0]);

describe('config: single sign-on (OpenID Connect)', () => {
  it('development without a provider uses the simulator at PUBLIC_BASE_URL/idp, with a client secret made at each start', () => {
    const a = loadConfig({ NODE_ENV: 'development', GATEWAY_PORT: '4100' });
    const b = loadConfig({ NODE_ENV: 'development', GATEWAY_PORT: '4100' });
    assert.equal(a.oidc?.simulated, true);
    assert.equal(a.oidc?.issuer, 'http://localhost:4100/idp');
    assert.equal(a.oidc?.redirectUrl, 'http://localhost:4100/auth/callback');
    assert.deepEqual(a.oidc?.roleMap, { 'registry-admins': 'admin', 'registry-officers': 'officer' });
    assert.ok(a.oidc!.clientSecret.length >= 32);
    assert.notEqual(a.oidc!.clientSecret, b.oidc!.clientSecret);
  });

  it('development with a real activation page and no provider has no single sign-on (the simulator is not served)', () => {
    assert.equal(loadConfig({ NODE_ENV: 'development', IDP_ACTIVATION_URL: 'https://idp.example.edu/activate' }).oidc, undefined);
  });

  it('production without a provider has no single sign-on and starts (staff use API keys)', () => {
    assert.deepEqual(problemsOf(prod), []);
    assert.equal(loadConfig(prod).oidc, undefined);
  });

  it('production with a complete https provider starts, with the settings as given', () => {
    const c = loadConfig({ ...prod, ...sso, OIDC_ROLE_CLAIM: 'realm_access.roles' });
    assert.equal(c.oidc?.simulated, false);
    assert.equal(c.oidc?.issuer, 'https://login.example.edu/realms/ust');
    assert.equal(c.oidc?.redirectUrl, 'https://register.example.edu/auth/callback');
    assert.equal(c.oidc?.roleClaim, 'realm_access.roles');
    assert.deepEqual(c.oidc?.roleMap, { 'registry-admins': 'admin', 'registry-officers': 'officer' });
  });

  it('production refuses an http issuer', () => {
    assert.deepEqual(variables({ ...prod, ...sso, OIDC_ISSUER_URL: 'http://login.example.edu/realms/ust' }), ['OIDC_ISSUER_URL']);
  });

  it('refuses a short client secret, and production refuses a published one or one shared with the token secret', () => {
    assert.deepEqual(variables({ ...prod, ...sso, OIDC_CLIENT_SECRET: 'short-secret' }), ['OIDC_CLIENT_SECRET']);
    assert.deepEqual(variables({ NODE_ENV: 'development', ...sso, OIDC_CLIENT_SECRET: 'short-secret' }), ['OIDC_CLIENT_SECRET']);
    assert.deepEqual(variables({ ...prod, ...sso, OIDC_CLIENT_SECRET: PUBLISHED_SECRETS[0] }), ['OIDC_CLIENT_SECRET']);
    assert.deepEqual(variables({ ...prod, ...sso, OIDC_CLIENT_SECRET: prod.TOKEN_SECRET }), ['OIDC_CLIENT_SECRET']);
  });

  it('production refuses a redirect URL off the portal origin, or over http', () => {
    assert.deepEqual(variables({ ...prod, ...sso, OIDC_REDIRECT_URL: 'https://elsewhere.example.com/auth/callback' }), ['OIDC_REDIRECT_URL']);
    assert.deepEqual(variables({ ...prod, ...sso, OIDC_REDIRECT_URL: 'http://register.example.edu/auth/callback' }), ['OIDC_REDIRECT_URL']);
  });

  it('a provider without its client id, secret or role map is refused in any mode; a bad role map names the pair', () => {
    const { OIDC_CLIENT_ID: _i, OIDC_CLIENT_SECRET: _s, OIDC_ROLE_MAP: _m, ...issuerOnly } = sso;
    assert.deepEqual(variables({ ...prod, ...issuerOnly }).sort(), ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_ROLE_MAP']);
    assert.deepEqual(variables({ NODE_ENV: 'development', ...issuerOnly }).sort(), ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_ROLE_MAP']);
    const bad = problemsOf({ ...prod, ...sso, OIDC_ROLE_MAP: 'registry-officers=officer,deans=dean' });
    assert.equal(bad.length, 1);
    assert.match(bad[0]!, /^OIDC_ROLE_MAP: "deans=dean"/);
    assert.deepEqual(variables({ ...prod, ...sso, OIDC_SCOPES: 'email profile' }), ['OIDC_SCOPES']);
  });

  it('production refuses half a configuration: a client id or secret without an issuer', () => {
    assert.deepEqual(variables({ ...prod, OIDC_CLIENT_ID: 'progreg' }), ['OIDC_ISSUER_URL']);
    assert.match(problemsOf({ ...prod, TEMPORAL_UI_OIDC_CLIENT_ID: 'temporal-ui' }).join(), /^OIDC_ISSUER_URL: must be set when TEMPORAL_UI_OIDC_CLIENT_ID is/);
  });
});
