/**
 * The codec endpoint's check of the Temporal UI's ID token
 * (src/gateway/auth/temporal-ui-token.ts), at the gateway: a real OpenID
 * provider (oidc-provider) publishes the signing key this test holds, so the
 * test signs the tokens a provider would issue, and the ones it must not be
 * taken for. Only a token for the UI's client, unexpired, signed by the
 * provider and of an account with a registry role opens a payload.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { EncryptionCodec } from '../../src/temporal/payload-codec';
import { freePort } from '../kit/servers';
import { fetchJson, startGateway, type TestGateway } from './support';

const UI_CLIENT = 'temporal-ui';
const b64 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('base64');
const toWire = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
  data: b64(p.data),
});

async function signingKey(kid: string) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid };
  return { privateKey, jwk };
}

describe('codec endpoint: the Temporal UI ID token', function () {
  this.timeout(120_000);
  let issuer: string;
  let idp: Server;
  let gw: TestGateway;
  let providerKey: Awaited<ReturnType<typeof signingKey>>;
  let sealed: ReturnType<typeof toWire>;

  before(async () => {
    providerKey = await signingKey('provider-1');
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    const { default: Provider } = await import('oidc-provider');
    const provider = new Provider(issuer, {
      clients: [{ client_id: UI_CLIENT, client_secret: randomBytes(32).toString('base64url'), redirect_uris: ['http://localhost:8233/auth/sso/callback'] }],
      jwks: { keys: [providerKey.jwk] },
      features: { devInteractions: { enabled: false } },
    });
    const handle = provider.callback();
    idp = await new Promise((resolve) => {
      const s = createServer((req, res) => void handle(req, res)).listen(port, '127.0.0.1', () => resolve(s));
    });
    gw = await startGateway({
      env: {
        OIDC_ISSUER_URL: issuer,
        OIDC_CLIENT_ID: 'progreg-portal',
        OIDC_CLIENT_SECRET: randomBytes(32).toString('base64url'),
        OIDC_ROLE_MAP: 'registry-admins=admin,registry-officers=officer',
        TEMPORAL_UI_OIDC_CLIENT_ID: UI_CLIENT,
        TEMPORAL_UI_URL: 'http://localhost:8233/',
      },
    });
    [sealed] = (await new EncryptionCodec(gw.config.payloadKeys).encode([defaultPayloadConverter.toPayload('Chan Tai Man')])).map(toWire);
  });
  after(async () => {
    await gw?.close();
    idp?.closeAllConnections();
    await new Promise((r) => idp?.close(r));
  });

  /** An ID token as the provider issues it to the UI for an officer, with `change` applied. */
  const idToken = async (change: { aud?: string; groups?: string[]; exp?: number | null; key?: Awaited<ReturnType<typeof signingKey>>; iss?: string } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const key = change.key ?? providerKey;
    const jwt = new SignJWT({ name: 'Officer Wong', groups: change.groups ?? ['registry-officers'] })
      .setProtectedHeader({ alg: 'RS256', kid: key.jwk.kid! })
      .setIssuer(change.iss ?? issuer)
      .setSubject('officer-wong')
      .setAudience(change.aud ?? UI_CLIENT)
      .setIssuedAt(change.exp ? change.exp - 600 : now);
    if (change.exp !== null) jwt.setExpirationTime(change.exp ?? now + 600);
    return jwt.sign(key.privateKey);
  };
  const decode = (idTokenHeader?: string) =>
    fetchJson(`${gw.url}/codec/decode`, {
      method: 'POST',
      json: { payloads: [sealed] },
      headers: {
        'x-namespace': 'default',
        // As the UI sends it: the provider's access token as Bearer (not ours), the ID token beside it.
        ...(idTokenHeader === undefined ? {} : { authorization: 'Bearer provider-access-token', 'authorization-extras': idTokenHeader }),
      },
    });

  it("opens the payload for an officer's ID token issued to the UI's client", async () => {
    const res = await decode(await idToken());
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [opened] = res.body.payloads as { data: string }[];
    assert.equal(Buffer.from(opened!.data, 'base64').toString(), '"Chan Tai Man"');
  });

  it('refuses every other token, and none, with the JSON error body and nothing opened', async () => {
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    const cases: [string, string | undefined, number, string][] = [
      ['no token (and no cookie or key)', undefined, 401, 'UNAUTHENTICATED'],
      ["a token for the gateway's own client", await idToken({ aud: 'progreg-portal' }), 401, 'UNAUTHENTICATED'],
      ['a token from another issuer', await idToken({ iss: 'https://elsewhere.example' }), 401, 'UNAUTHENTICATED'],
      ['an expired token', await idToken({ exp: hourAgo }), 401, 'TOKEN_EXPIRED'],
      ['a token without an expiry', await idToken({ exp: null }), 401, 'UNAUTHENTICATED'],
      ['a token signed by another key under the same kid', await idToken({ key: { ...(await signingKey('provider-1')) } }), 401, 'UNAUTHENTICATED'],
      ['a token signed by a key the provider does not publish', await idToken({ key: await signingKey('other-1') }), 401, 'UNAUTHENTICATED'],
      ['not a JWT', 'not-a-token', 401, 'UNAUTHENTICATED'],
      ['an account without a registry role', await idToken({ groups: ['faculty'] }), 403, 'FORBIDDEN'],
    ];
    for (const [what, token, status, code] of cases) {
      const res = await decode(token);
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, what);
      assert.equal(res.body.code, code, what);
      assert.equal(typeof res.body.message, 'string', what);
      assert.doesNotMatch(JSON.stringify(res.body), /Chan Tai Man/, what);
    }
  });
});
