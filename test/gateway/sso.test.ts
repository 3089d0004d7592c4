/**
 * Single sign-on at the HTTP level: how claims become roles, the start of a
 * sign-in (PKCE, state, nonce, the transaction cookie, the move to the
 * redirect URL's host), staff sessions checked on the server, and the
 * same-origin guard now covering the staff cookie. The browser flow through
 * the provider is in test/browser/sso.test.ts.
 */
import assert from 'node:assert/strict';
import { staffRoleFrom, studentAccountFrom } from '../../src/gateway/auth/oidc';
import { startStaffSession } from '../../src/gateway/auth/staff-sessions';
import { uniq } from '../kit/servers';
import { admit, fetchJson, startGateway, startStack, type TestGateway, type TestStack } from './support';
import { validForm } from '../kit/samples';

describe('single sign-on: role mapping and student accounts', () => {
  const map = { roleClaim: 'groups', roleMap: { 'registry-admins': 'admin', 'registry-officers': 'officer' } as const };

  it('maps a list of groups to officer, admin winning when both match, and anything else to no role', () => {
    assert.equal(staffRoleFrom({ groups: ['faculty', 'registry-officers'] }, map), 'officer');
    assert.equal(staffRoleFrom({ groups: ['registry-officers', 'registry-admins'] }, map), 'admin');
    assert.equal(staffRoleFrom({ groups: ['faculty'] }, map), undefined);
    assert.equal(staffRoleFrom({}, map), undefined);
    assert.equal(staffRoleFrom({ groups: [{ name: 'registry-admins' }] }, map), undefined, 'only string values count');
  });

  it('reads a single-string claim (Entra app role) and a nested one (Keycloak realm_access.roles)', () => {
    assert.equal(staffRoleFrom({ roles: 'Registry.Admin' }, { roleClaim: 'roles', roleMap: { 'Registry.Admin': 'admin' } }), 'admin');
    const keycloak = { realm_access: { roles: ['offline_access', 'registry-officers'] } };
    assert.equal(staffRoleFrom(keycloak, { roleClaim: 'realm_access.roles', roleMap: map.roleMap }), 'officer');
  });

  it('takes the student account from the configured claim, lower-cased', () => {
    assert.equal(studentAccountFrom({ email: 'A2027000123@Connect.UST.hk', email_verified: true }, { studentClaim: 'email' }), 'a2027000123@connect.ust.hk');
    assert.equal(studentAccountFrom({ upn: 'a1@connect.ust.hk', email: 'x@y' }, { studentClaim: 'upn' }), 'a1@connect.ust.hk');
    assert.equal(studentAccountFrom({ sub: 'opaque' }, { studentClaim: 'email' }), undefined);
  });

  it('takes the email claim only when the provider says it is verified (email_verified exactly true)', () => {
    for (const email_verified of [undefined, false, 'true', 1]) {
      assert.equal(studentAccountFrom({ email: 'a2027000123@connect.ust.hk', email_verified }, { studentClaim: 'email' }), undefined, String(email_verified));
    }
    // Another claim (an account name the user cannot edit) needs no such flag.
    assert.equal(studentAccountFrom({ upn: 'a1@connect.ust.hk', email_verified: false }, { studentClaim: 'upn' }), 'a1@connect.ust.hk');
  });
});

describe('single sign-on: the gateway', function () {
  this.timeout(120_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  const local = (path: string) => `${stack.config.publicBaseUrl}${path}`;
  const staffCookie = async (role: 'officer' | 'admin') => {
    const s = await startStaffSession(stack.prisma, stack.config, { subject: uniq('sub'), name: uniq('staff.'), role });
    return `progreg_staff=${s.token}`;
  };

  it("a sign-in started under another name for the gateway first moves to the redirect URL's host", async () => {
    const res = await fetch(`${stack.url}/auth/staff/sign-in`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), local('/auth/staff/sign-in'));
    assert.equal(res.headers.get('set-cookie'), null);
  });

  it('starts the authorization code flow with PKCE (S256), state and nonce, held in a short-lived HttpOnly cookie', async () => {
    const res = await fetch(local('/auth/staff/sign-in'), { redirect: 'manual' });
    assert.equal(res.status, 303);
    const to = new URL(res.headers.get('location')!);
    assert.equal(`${to.origin}${to.pathname}`, `${stack.config.oidc!.issuer}/auth`);
    assert.equal(to.searchParams.get('response_type'), 'code');
    assert.equal(to.searchParams.get('client_id'), 'progreg-portal');
    assert.equal(to.searchParams.get('redirect_uri'), local('/auth/callback'));
    assert.equal(to.searchParams.get('code_challenge_method'), 'S256');
    assert.match(to.searchParams.get('code_challenge')!, /^[\w-]{43}$/);
    assert.ok(to.searchParams.get('state')!.length >= 20);
    assert.ok(to.searchParams.get('nonce')!.length >= 20);
    assert.equal(to.searchParams.get('prompt'), null, 'staff may reuse the provider session');
    const cookie = res.headers.get('set-cookie')!;
    assert.match(cookie, /^progreg_oidc=/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /Path=\/;/);
    assert.match(cookie, /Max-Age=600/);

    const student = new URL((await fetch(local('/auth/student/sign-in'), { redirect: 'manual' })).headers.get('location')!);
    assert.equal(student.searchParams.get('prompt'), 'login', 'a student signs in afresh');
  });

  it('a callback this browser did not start is refused without a session', async () => {
    const res = await fetch(local('/auth/callback?code=abc&state=def'), { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/staff/?error=SSO_FAILED');
    assert.doesNotMatch(res.headers.get('set-cookie') ?? '', /progreg_staff=[^;]/);
  });

  it('a staff session is checked on the server: its role applies, and an officer is refused admin routes', async () => {
    const officer = await staffCookie('officer');
    const me = await fetchJson(`${stack.url}/api/staff/me`, { headers: { cookie: officer } });
    assert.equal(me.status, 200);
    assert.equal(me.body.role, 'officer');
    assert.match(me.body.keyId, /^sso:sub/);
    const keys = await fetchJson(`${stack.url}/api/staff/keys`, { headers: { cookie: officer } });
    assert.equal(keys.status, 403);
    const admin = await staffCookie('admin');
    assert.equal((await fetchJson(`${stack.url}/api/staff/keys`, { headers: { cookie: admin } })).status, 200);
    const unknown = await fetchJson(`${stack.url}/api/staff/me`, { headers: { cookie: 'progreg_staff=made-up-token' } });
    assert.equal(unknown.status, 401);
  });

  it('a staff session opens the event streams with its cookie and is refused a stream token (which names an API key)', async () => {
    const officer = await staffCookie('officer');
    const token = await fetchJson(`${stack.url}/api/events/token`, { method: 'POST', headers: { cookie: officer, origin: stack.url }, json: {} });
    assert.equal(token.status, 403);
    assert.match(token.body.message, /needs no stream token/);
    const stream = await fetchJson(`${stack.url}/api/events`, { headers: { cookie: officer } });
    assert.equal(stream.status, 200, JSON.stringify(stream.body));
  });

  it('refuses a cross-site state-changing request carrying the staff cookie (CSRF), and lets the same origin through', async () => {
    const admin = await staffCookie('admin');
    const evil = await fetchJson(`${stack.url}/api/registrations/${uniq('A')}/revoke-access`, {
      method: 'POST',
      headers: { cookie: admin, origin: 'https://evil.example' },
      json: {},
    });
    assert.equal(evil.status, 403);
    assert.match(evil.body.message, /Cross-site/);
    const ours = await fetchJson(`${stack.url}/api/registrations/${uniq('A')}/revoke-access`, {
      method: 'POST',
      headers: { cookie: admin, origin: stack.url },
      json: {},
    });
    assert.equal(ours.status, 404, 'authenticated and authorised; the registration does not exist');
  });

  it('a student link opened in a browser signed in as staff gives a session that may look but never act as the student', async () => {
    const a = await admit(stack);
    const officer = await staffCookie('officer');
    const opened = await fetch(`${stack.url}/invite?token=${a.inviteToken}`, { redirect: 'manual', headers: { cookie: officer } });
    assert.equal(opened.status, 303);
    const session = opened.headers.get('set-cookie')!.split(';')[0]!;
    assert.match(session, /^progreg_session=/);
    const asStudent = (path: string, json: unknown) =>
      fetchJson(`${stack.url}/api/registrations/${a.applicationNo}${path}`, { method: 'POST', headers: { cookie: session, origin: stack.url }, json });
    assert.equal((await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}`, { headers: { cookie: session } })).status, 200);
    const form = await asStudent('/form', { form: validForm });
    assert.equal(form.status, 403, JSON.stringify(form.body));
    assert.equal((await asStudent('/decline', {})).status, 403);
  });

  it('signing out ends the session on the server and clears the cookie', async () => {
    const officer = await staffCookie('officer');
    const out = await fetch(`${stack.url}/api/staff/session`, { method: 'DELETE', headers: { cookie: officer } });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie')!, /^progreg_staff=;/);
    assert.equal((await fetchJson(`${stack.url}/api/staff/me`, { headers: { cookie: officer } })).status, 401);
  });
});

describe('single sign-on: not configured', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  before(async () => {
    // A real activation page and no provider: no simulator, no single sign-on.
    gw = await startGateway({ env: { IDP_ACTIVATION_URL: 'https://idp.example.edu/activate' } });
  });
  after(async () => gw?.close());

  it('the sign-in routes answer 404, the provider is not served, and the pages offer API keys only', async () => {
    assert.equal(gw.config.oidc, undefined);
    const res = await fetchJson(`${gw.url}/auth/staff/sign-in`);
    assert.equal(res.status, 404);
    assert.equal((await fetch(`${gw.url}/idp/.well-known/openid-configuration`)).status, 404);
    const shell = await (await fetch(`${gw.url}/staff/`)).text();
    assert.match(shell, /"sso":false/);
  });
});
