/**
 * Single sign-on settings (src/config.ts): development gets the simulator
 * with a secret made at start; a configured provider needs its client and
 * role map everywhere; production refuses tokens over http, a short or
 * published client secret, a redirect off the portal's origin, and half a
 * configuration.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, PUBLISHED_SECRETS } from '../../src/config';

const secret = () => randomBytes(24).toString('base64url');
const prod = {
  NODE_ENV: 'production',
  TOKEN_SECRET: secret(),
  WEBHOOK_SECRET: secret(),
  PUBLIC_BASE_URL: 'https://register.example.edu',
  RESEND_API_KEY: 're_live_key',
};
const sso = {
  OIDC_ISSUER_URL: 'https://login.example.edu/realms/ust',
  OIDC_CLIENT_ID: 'progreg',
  OIDC_CLIENT_SECRET: secret(),
  OIDC_ROLE_MAP: 'registry-admins=admin, registry-officers=officer',
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
  });
});
