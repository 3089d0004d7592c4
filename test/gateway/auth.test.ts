import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { signSession } from '../../src/gateway/auth/student-session';
import { ISSUER, invitationLinks, signInvitationToken, tokenKey } from '../../src/links';
import { uniq } from '../kit/servers';
import { admit, fetchJson, startStack, type TestStack } from './support';

describe('gateway: authentication and authorisation', function () {
  this.timeout(120_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  const reg = (no: string, rest = '') => `${stack.url}/api/registrations/${no}${rest}`;

  describe('students', () => {
    it('exchanges an invitation token for a session cookie and a bearer token', async () => {
      const a = await admit(stack);
      const res = await fetchJson(`${stack.url}/api/session`, { method: 'POST', json: { token: a.inviteToken } });
      assert.equal(res.status, 200);
      assert.equal(res.body.applicationNo, a.applicationNo);
      assert.ok(Date.parse(res.body.expiresAt) > Date.now() + 11 * 3600_000);
      const cookie = res.headers.get('set-cookie')!;
      assert.match(cookie, /^progreg_session=/);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Lax/);

      const viaCookie = await fetchJson(`${stack.url}/api/session`, { headers: { cookie: cookie.split(';')[0]! } });
      assert.equal(viaCookie.status, 200);
      assert.equal(viaCookie.body.applicationNo, a.applicationNo);
      const status = await fetchJson(reg(a.applicationNo), { headers: { cookie: cookie.split(';')[0]! } });
      assert.equal(status.status, 200);
    });

    it('opening the invitation link signs in and lands on the portal; a bad link lands there with the error', async () => {
      const a = await admit(stack);
      const { registrationUrl, activationUrl } = await invitationLinks(stack.config, a.applicationNo);
      assert.ok(registrationUrl.startsWith(`${stack.config.publicBaseUrl}/invite?token=`));
      assert.ok(activationUrl.startsWith(`${stack.config.publicBaseUrl}/idp/activate?token=`));
      const open = await fetch(`${stack.url}${new URL(registrationUrl).pathname}${new URL(registrationUrl).search}`, { redirect: 'manual' });
      assert.equal(open.status, 303);
      assert.equal(open.headers.get('location'), '/portal/');
      assert.match(open.headers.get('set-cookie')!, /^progreg_session=/);

      // The activation link's token is another one, for the identity provider only: it signs no one in.
      const activationToken = new URL(activationUrl).searchParams.get('token')!;
      assert.notEqual(activationToken, new URL(registrationUrl).searchParams.get('token'));
      const viaActivation = await fetch(`${stack.url}/invite?token=${encodeURIComponent(activationToken)}`, { redirect: 'manual' });
      assert.equal(viaActivation.headers.get('location'), '/portal/?error=UNAUTHENTICATED');
      assert.equal(viaActivation.headers.get('set-cookie'), null);
      const exchanged = await fetchJson(`${stack.url}/api/session`, { method: 'POST', json: { token: activationToken } });
      assert.equal(exchanged.status, 401);
      // And the registration link's token activates nothing at the identity provider's page.
      const simulator = await fetch(`${stack.url}/idp/activate?token=${encodeURIComponent(new URL(registrationUrl).searchParams.get('token')!)}`);
      assert.equal(simulator.status, 400);

      const bad = await fetch(`${stack.url}/invite?token=not-a-token`, { redirect: 'manual' });
      assert.equal(bad.status, 303);
      assert.equal(bad.headers.get('location'), '/portal/?error=UNAUTHENTICATED');
      assert.equal(bad.headers.get('set-cookie'), null);
    });

    it('a signed-out browser arriving from elsewhere is asked before it is signed in (login CSRF); a same-origin click and its own session go straight on', async () => {
      const a = await admit(stack);
      const url = `${stack.url}/invite?token=${encodeURIComponent(a.inviteToken)}`;
      const open = (headers: Record<string, string> = {}) => fetch(url, { redirect: 'manual', headers });

      for (const site of ['cross-site', 'same-site', 'none']) {
        const res = await open({ 'sec-fetch-site': site, 'sec-fetch-mode': 'navigate' });
        assert.equal(res.status, 200, site);
        assert.equal(res.headers.get('set-cookie'), null, `${site}: nobody is signed in by arriving`);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        const html = await res.text();
        assert.match(html, new RegExp(`application number <strong>${a.applicationNo}</strong>`));
        assert.match(html, /<form method="post" action="\/invite">/);
        assert.match(html, new RegExp(`<button type="submit">Sign in as ${a.applicationNo}</button>`));
        // Nothing the link's holder could not read in the token: no name, no email.
        assert.doesNotMatch(html, new RegExp(a.student.name));
        assert.doesNotMatch(html, new RegExp(a.student.personalEmail));
      }

      // The page's button: a same-origin form post signs in. The same form from another site is refused.
      const form = new URLSearchParams({ token: a.inviteToken }).toString();
      const post = (site: string) =>
        fetch(`${stack.url}/invite`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': site },
          body: form,
        });
      const confirmed = await post('same-origin');
      assert.equal(confirmed.status, 303);
      assert.equal(confirmed.headers.get('location'), '/portal/');
      const cookie = confirmed.headers.get('set-cookie')!.split(';')[0]!;
      assert.match(cookie, /^progreg_session=/);
      const forged = await post('cross-site');
      assert.equal(forged.status, 403);
      assert.equal(forged.headers.get('set-cookie'), null);

      // A click on a page of the portal (the simulator's "Continue") goes straight on; so does a browser already signed in as this student.
      const sameOrigin = await open({ 'sec-fetch-site': 'same-origin' });
      assert.equal(sameOrigin.status, 303);
      assert.match(sameOrigin.headers.get('set-cookie')!, /^progreg_session=/);
      const own = await open({ 'sec-fetch-site': 'cross-site', cookie });
      assert.equal(own.status, 303);
      assert.equal(own.headers.get('location'), '/portal/');
    });

    it('each use of the link from another browser gets a session of its own, and the earlier ones stay valid until they expire (SESSION_TTL_HOURS)', async () => {
      const a = await admit(stack);
      const url = `${stack.url}/invite?token=${encodeURIComponent(a.inviteToken)}`;
      // Two cookie jars: two browsers with nothing of ours in them.
      const jar = async () => {
        const res = await fetch(url, { redirect: 'manual', headers: { 'sec-fetch-site': 'same-origin' } });
        assert.equal(res.status, 303);
        return res.headers.get('set-cookie')!.split(';')[0]!;
      };
      const first = await jar();
      const second = await jar();
      assert.notEqual(second, first, 'the second browser got a session id of its own, not the first one');
      // The first browser opening the link again gets a fresh session too (the cookie it held is never handed out again).
      const again = await fetch(url, { redirect: 'manual', headers: { 'sec-fetch-site': 'same-origin', cookie: first } });
      const renewed = again.headers.get('set-cookie')!.split(';')[0]!;
      assert.ok(![first, second].includes(renewed));
      for (const c of [first, second, renewed]) {
        const who = await fetchJson(`${stack.url}/api/session`, { headers: { cookie: c } });
        assert.equal(who.status, 200);
        assert.equal(who.body.applicationNo, a.applicationNo);
      }
    });

    it('refuses forged, expired and wrong-audience tokens', async () => {
      const no = uniq('A');
      const forged = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(ISSUER)
        .setAudience('student-invite')
        .setSubject(no)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('some-other-secret-of-sufficient-length!!'));
      const expired = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(ISSUER)
        .setAudience('student-invite')
        .setSubject(no)
        .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
        .sign(tokenKey(stack.config));
      const session = (await signSession(stack.config, no)).token;

      const exchange = (token: string) => fetchJson(`${stack.url}/api/session`, { method: 'POST', json: { token } });
      assert.equal((await exchange(forged)).body.code, 'UNAUTHENTICATED');
      const exp = await exchange(expired);
      assert.equal(exp.status, 401);
      assert.equal(exp.body.code, 'TOKEN_EXPIRED');
      assert.equal((await exchange(session)).body.code, 'UNAUTHENTICATED', 'a session is not an invitation');

      const invite = await signInvitationToken(stack.config, no);
      const asSession = await fetchJson(reg(no), { bearer: invite });
      assert.equal(asSession.status, 401, 'an invitation is not a session');
      const forgedSession = await fetchJson(reg(no), { bearer: forged });
      assert.equal(forgedSession.status, 401);
      const missing = await fetchJson(`${stack.url}/api/session`, { method: 'POST', json: {} });
      assert.equal(missing.status, 400);
    });

    it("student A can neither read nor act on student B's registration", async () => {
      const a = await admit(stack);
      const b = await admit(stack);
      const read = await fetchJson(reg(b.applicationNo), { bearer: a.session });
      assert.equal(read.status, 403);
      assert.equal(read.body.code, 'FORBIDDEN');
      const form = await fetchJson(reg(b.applicationNo, '/form'), { method: 'POST', bearer: a.session, json: { form: {} } });
      assert.equal(form.status, 403, 'refused before the body is even looked at');
      const decline = await fetchJson(reg(b.applicationNo, '/decline'), { method: 'POST', bearer: a.session, json: {} });
      assert.equal(decline.status, 403);
      const docs = await fetchJson(reg(b.applicationNo, '/documents'), { bearer: a.session });
      assert.equal(docs.status, 403);
      const upload = await fetchJson(reg(b.applicationNo, '/items/ID_DOCUMENT/documents'), { method: 'POST', bearer: a.session, body: new FormData() });
      assert.equal(upload.status, 403);
      const status = await fetchJson(reg(b.applicationNo), { bearer: b.session });
      assert.equal(status.body.status, 'IN_PROGRESS', 'B is untouched');
    });

    it('a student cannot use staff endpoints', async () => {
      const a = await admit(stack);
      for (const [method, path] of [
        ['GET', '/api/registrations'],
        ['GET', '/api/review-queue'],
        ['GET', `/api/registrations/${a.applicationNo}/audit`],
        ['POST', `/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/verify`],
        ['POST', `/api/registrations/${a.applicationNo}/deadline`],
        ['POST', '/api/imports'],
        ['GET', '/api/staff/keys'],
      ] as const) {
        const res = await fetchJson(`${stack.url}${path}`, { method, bearer: a.session, ...(method === 'POST' ? { json: {} } : {}) });
        assert.equal(res.status, 403, `${method} ${path}`);
      }
    });

    it('no credentials: 401 with the error shape', async () => {
      const res = await fetchJson(`${stack.url}/api/registrations/A1234567`);
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'UNAUTHENTICATED');
      const badHeader = await fetchJson(`${stack.url}/api/registrations/A1234567`, { headers: { authorization: 'Basic abc' } });
      assert.equal(badHeader.status, 401);
    });

    it('signing out clears the cookie', async () => {
      const res = await fetchJson(`${stack.url}/api/session`, { method: 'DELETE' });
      assert.equal(res.status, 204);
      assert.match(res.headers.get('set-cookie')!, /progreg_session=;.*Expires=Thu, 01 Jan 1970/);
    });
  });

  describe('staff', () => {
    it('an API key says who it belongs to; unknown and revoked keys are 401', async () => {
      const me = await fetchJson(`${stack.url}/api/staff/me`, { bearer: stack.officerKey });
      assert.equal(me.status, 200);
      assert.equal(me.body.role, 'officer');
      const unknown = await fetchJson(`${stack.url}/api/staff/me`, { bearer: 'pgk_00000000_nope' });
      assert.equal(unknown.status, 401);

      const made = await fetchJson(`${stack.url}/api/staff/keys`, { method: 'POST', bearer: stack.adminKey, json: { name: 'temp.clerk', role: 'officer' } });
      assert.equal(made.status, 201);
      assert.match(made.body.key, /^pgk_[0-9a-f]{8}_/);
      assert.equal((await fetchJson(`${stack.url}/api/staff/me`, { bearer: made.body.key })).status, 200);
      const stored = await stack.prisma.staffApiKey.findUnique({ where: { id: made.body.id } });
      assert.ok(stored && stored.keyHash !== made.body.key && !JSON.stringify(stored).includes(made.body.key), 'only the hash is stored');
      const list = await fetchJson(`${stack.url}/api/staff/keys`, { bearer: stack.adminKey });
      assert.ok(list.body.items.some((k: any) => k.id === made.body.id && !('key' in k) && !('keyHash' in k)));

      const revoked = await fetchJson(`${stack.url}/api/staff/keys/${made.body.id}`, { method: 'DELETE', bearer: stack.adminKey });
      assert.equal(revoked.status, 200);
      assert.ok(revoked.body.revokedAt);
      const after = await fetchJson(`${stack.url}/api/staff/me`, { bearer: made.body.key });
      assert.equal(after.status, 401);
      const missing = await fetchJson(`${stack.url}/api/staff/keys/00000000-0000-4000-8000-000000000000`, { method: 'DELETE', bearer: stack.adminKey });
      assert.equal(missing.status, 404);
    });

    it('an officer may review but not do admin work (403)', async () => {
      const a = await admit(stack);
      const extend = await fetchJson(reg(a.applicationNo, '/deadline'), {
        method: 'POST',
        bearer: stack.officerKey,
        json: { deadline: 'REGISTRATION', until: new Date(Date.now() + 60 * 86400_000).toISOString(), reason: 'medical' },
      });
      assert.equal(extend.status, 403);
      assert.match(extend.body.message, /admin/i);
      const importing = await fetchJson(`${stack.url}/api/imports`, {
        method: 'POST',
        bearer: stack.officerKey,
        headers: { 'content-type': 'text/csv' },
        body: 'a,b\n',
      });
      assert.equal(importing.status, 403);
      const keys = await fetchJson(`${stack.url}/api/staff/keys`, { method: 'POST', bearer: stack.officerKey, json: { name: 'x', role: 'admin' } });
      assert.equal(keys.status, 403);
      const queue = await fetchJson(`${stack.url}/api/review-queue`, { bearer: stack.officerKey });
      assert.equal(queue.status, 200);
    });

    it('the CLI-made key of an admin works for admin endpoints', async () => {
      const key = await createStaffKey(stack.prisma, { name: uniq('cli.admin.'), role: 'admin' });
      const res = await fetchJson(`${stack.url}/api/staff/keys`, { bearer: key.key });
      assert.equal(res.status, 200);
    });
  });

  describe('rate limiting', () => {
    it('token exchange and sign-in are limited per client: 429 with Retry-After', async () => {
      const limited = await startStack({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });
      try {
        const codes: number[] = [];
        for (let i = 0; i < 5; i++) codes.push((await fetchJson(`${limited.url}/api/session`, { method: 'POST', json: { token: 'guess' } })).status);
        assert.deepEqual(codes, [401, 401, 401, 429, 429]);
        const res = await fetchJson(`${limited.url}/api/staff/me`, { bearer: limited.officerKey });
        assert.equal(res.status, 429);
        assert.equal(res.body.code, 'RATE_LIMITED');
        assert.ok(Number(res.headers.get('retry-after')) > 0);
        assert.equal((await fetchJson(`${limited.url}/api/review-queue`, { bearer: limited.officerKey })).status, 200, 'other endpoints are not limited');
      } finally {
        await limited.stop();
      }
    });

    it('behind a reverse proxy (TRUST_PROXY) each client address is limited on its own', async () => {
      const limited = await startStack({ AUTH_RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: '1' });
      try {
        const guess = (client: string) =>
          fetch(`${limited.url}/api/session`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
            body: JSON.stringify({ token: 'guess' }),
          }).then((r) => r.status);
        const codes = [await guess('203.0.113.7'), await guess('203.0.113.7'), await guess('203.0.113.7'), await guess('198.51.100.9')];
        assert.deepEqual(codes, [401, 401, 429, 401]);
      } finally {
        await limited.stop();
      }
    });

    it('successful sign-ins do not count: staff behind one address are never locked out by their own use', async () => {
      const limited = await startStack({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });
      try {
        const codes: number[] = [];
        for (let i = 0; i < 6; i++) codes.push((await fetchJson(`${limited.url}/api/staff/me`, { bearer: limited.officerKey })).status);
        assert.deepEqual(codes, [200, 200, 200, 200, 200, 200]);
      } finally {
        await limited.stop();
      }
    });
  });
});
