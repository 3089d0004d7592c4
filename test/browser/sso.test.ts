/**
 * Single sign-on in the browser, through the real OpenID Connect provider the
 * gateway serves in development (oidc-provider, src/idp) and the real
 * openid-client flow (authorization code with PKCE): an officer and an
 * activated student sign in; an account without a registry role, an expired
 * staff session and a forged `state` are refused.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { IdpAccounts } from '../../src/idp/accounts';
import { invitationLinks } from '../../src/links';
import { admit, eventually, fetchJson } from '../gateway/support';
import { expectAccessible } from './axe';
import { screenshot } from './chromium';
import { browserSuite } from './suite';

const WAIT = { timeout: 30_000 };

describe('single sign-on through the identity provider (browser)', function () {
  this.timeout(180_000);
  const ui = browserSuite('sso');
  let base: string;
  before(() => {
    base = ui.stack.config.publicBaseUrl;
  });

  const staffAccount = (email: string) => {
    const account = new IdpAccounts(ui.stack.config.varDir).seededStaff().find((a) => a.email === email);
    assert.ok(account, `seeded staff account ${email}`);
    return account;
  };

  /** At the provider's own sign-in page: type the credentials and submit. */
  async function signInAtProvider(p: Page, email: string, password: string): Promise<void> {
    await p.getByRole('heading', { name: 'Sign in with your HKUST account' }).waitFor(WAIT);
    assert.ok(p.url().startsWith(`${base}/idp/interaction/`), `at the provider: ${p.url()}`);
    await expectAccessible(p, 'identity provider sign-in');
    await p.getByLabel('University email').fill(email);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Sign in' }).click();
  }

  async function staffSignIn(p: Page, email: string): Promise<void> {
    await p.goto(`${base}/staff/`);
    await expectAccessible(p, 'staff sign-in with single sign-on');
    await p.getByRole('link', { name: 'Sign in with your HKUST account' }).click();
    await signInAtProvider(p, email, staffAccount(email).password);
  }

  const staffCookie = async () => (await ui.context.cookies(base)).find((c) => c.name === 'progreg_staff');
  const me = async (cookie: string) => fetchJson(`${ui.stack.url}/api/staff/me`, { headers: { cookie: `progreg_staff=${cookie}` } });

  it('an officer signs in through the provider, lands on the dashboard with the officer role, and signing out ends the session on the server', async () => {
    const p = ui.page;
    await p.goto(`${base}/staff/`);
    // (The staff sign-in page's picture is the journey's, test/browser/journey.test.ts.)
    await p.getByRole('link', { name: 'Sign in with your HKUST account' }).click();
    await p.getByRole('heading', { name: 'Sign in with your HKUST account' }).waitFor(WAIT);
    await screenshot(p, 'idp-sign-in');
    await staffSignIn(p, 'officer@ust.hk');
    await p.getByRole('heading', { name: 'Cohort dashboard' }).waitFor(WAIT);
    assert.equal(new URL(p.url()).pathname, '/staff/');
    const who = p.locator('#masthead-user .who');
    assert.match(await who.innerText(), /officer@ust\.hk/);
    assert.match(await who.innerText(), /Registry officer/);
    assert.equal(await p.getByRole('link', { name: 'Import cohort' }).count(), 0, 'officers do not import');
    // The page holds no credential of its own: the HttpOnly cookie does it.
    assert.equal(await p.evaluate(() => sessionStorage.getItem('progreg.staffKey')), null);
    const cookie = await staffCookie();
    assert.ok(cookie, 'staff session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal((await me(cookie.value)).body.role, 'officer');

    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.getByText('You have signed out.').waitFor(WAIT);
    assert.equal(await staffCookie(), undefined);
    // The old cookie, kept by someone, no longer works: the server ended the session.
    const after = await me(cookie.value);
    assert.equal(after.status, 401);
    assert.equal(after.body.code, 'UNAUTHENTICATED');
  });

  it('an admin signs in with the admin role (admin wins over officer in the group mapping)', async () => {
    const p = ui.page;
    await staffSignIn(p, 'admin@ust.hk');
    await p.getByRole('heading', { name: 'Cohort dashboard' }).waitFor(WAIT);
    assert.match(await p.locator('#masthead-user .who').innerText(), /Administrator/);
    await p.getByRole('link', { name: 'Import cohort' }).waitFor(WAIT);
  });

  it('a student who activated the university account signs in with it and lands on their own registration', async () => {
    const a = await admit(ui.stack);
    const other = await admit(ui.stack);
    const p = ui.page;
    // Activation at the provider's page: the student chooses a password, the provider sends the signed webhook.
    const { activationUrl } = await invitationLinks(ui.stack.config, a.applicationNo);
    await p.goto(activationUrl);
    await expectAccessible(p, 'account activation');
    await p.getByLabel('Choose a password').fill('correct horse battery');
    await p.getByRole('button', { name: 'Activate account' }).click();
    await p.getByRole('heading', { name: 'Account activated' }).waitFor(WAIT);
    await expectAccessible(p, 'account activated');
    const universityEmail = `${a.applicationNo.toLowerCase()}@connect.ust.hk`;
    await eventually(
      () => ui.stack.prisma.registration.findUnique({ where: { applicationNo: a.applicationNo }, select: { universityEmail: true } }),
      (r) => r?.universityEmail === universityEmail,
    );

    await ui.context.clearCookies();
    await p.goto(`${base}/portal/`);
    await p.getByRole('link', { name: 'Sign in with your HKUST account' }).click();
    await signInAtProvider(p, universityEmail, 'correct horse battery');
    await p.locator('#masthead-user .who').waitFor(WAIT);
    assert.equal(new URL(p.url()).pathname, '/portal/');
    assert.match(await p.locator('#masthead-user .who').innerText(), new RegExp(`Application no\\. ${a.applicationNo}`));
    const session = (await ui.context.cookies(base)).find((c) => c.name === 'progreg_session')!;
    const mine = await fetchJson(`${ui.stack.url}/api/registrations/${a.applicationNo}`, { headers: { cookie: `progreg_session=${session.value}` } });
    assert.equal(mine.status, 200);
    const theirs = await fetchJson(`${ui.stack.url}/api/registrations/${other.applicationNo}`, { headers: { cookie: `progreg_session=${session.value}` } });
    assert.equal(theirs.status, 403);
  });

  it('wrong role: an account with no registry group is refused the staff pages, and is no student either', async () => {
    const p = ui.page;
    const before = await ui.stack.prisma.staffSession.count();
    await staffSignIn(p, 'lecturer@ust.hk');
    await p.getByRole('heading', { name: 'Staff sign-in' }).waitFor(WAIT);
    await p.getByText('your account has no Academic Registry role').waitFor(WAIT);
    await expectAccessible(p, 'staff sign-in refused for want of a role');
    assert.equal(await staffCookie(), undefined);
    assert.equal(await ui.stack.prisma.staffSession.count(), before, 'no session was made');

    // The same person at the student sign-in (the provider asks again: students never inherit a session).
    await p.goto(`${base}/portal/`);
    await p.getByRole('link', { name: 'Sign in with your HKUST account' }).click();
    await signInAtProvider(p, 'lecturer@ust.hk', staffAccount('lecturer@ust.hk').password);
    await p.getByText('No registration belongs to the university account you signed in with').waitFor(WAIT);
    await expectAccessible(p, 'student sign-in refused');
    assert.equal(
      (await ui.context.cookies(base)).find((c) => c.name === 'progreg_session'),
      undefined,
    );
  });

  it('expired session: the server refuses it and the staff page asks to sign in again', async () => {
    const p = ui.page;
    await staffSignIn(p, 'officer@ust.hk');
    await p.getByRole('heading', { name: 'Cohort dashboard' }).waitFor(WAIT);
    const cookie = (await staffCookie())!;
    // The row says when the session ends; the browser's cookie (still there) does not decide.
    const ended = await ui.stack.prisma.staffSession.updateMany({
      where: { name: 'officer@ust.hk', endedAt: null, expiresAt: { gt: new Date() } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    assert.ok(ended.count >= 1);
    const answer = await me(cookie.value);
    assert.equal(answer.status, 401);
    assert.equal(answer.body.code, 'TOKEN_EXPIRED');
    await p.reload();
    await p.getByText('Your session has expired. Please sign in again.').waitFor(WAIT);
    await p.getByRole('link', { name: 'Sign in with your HKUST account' }).waitFor(WAIT);
  });

  it('forged state: the callback is refused, no session is made, and the genuine answer cannot be replayed afterwards', async () => {
    const p = ui.page;
    const before = await ui.stack.prisma.staffSession.count();
    // Sign in at the provider, but hold its answer back (as an attacker who intercepted it would): the
    // form is sent with the browser's own cookies and the redirects are not followed up to the callback.
    await p.goto(`${base}/staff/`);
    await p.getByRole('link', { name: 'Sign in with your HKUST account' }).click();
    await p.getByRole('heading', { name: 'Sign in with your HKUST account' }).waitFor(WAIT);
    const action = new URL((await p.locator('form').getAttribute('action'))!, p.url()).toString();
    let answer = await p.request.post(action, { form: { email: 'officer@ust.hk', password: staffAccount('officer@ust.hk').password }, maxRedirects: 0 });
    while (answer.status() === 303 || answer.status() === 302) {
      const next = new URL(answer.headers().location!, answer.url());
      if (next.pathname === '/auth/callback') break;
      answer = await p.request.get(next.toString(), { maxRedirects: 0 });
    }
    const genuine = new URL(answer.headers().location!, answer.url()).toString();
    assert.equal(new URL(genuine).pathname, '/auth/callback');
    const forged = new URL(genuine!);
    assert.ok(forged.searchParams.get('state'), 'the provider sent a state');
    assert.ok(forged.searchParams.get('code'), 'the provider sent a code');
    forged.searchParams.set('state', 'forged-state-value');
    await p.goto(forged.toString());
    await p.getByText('The sign-in could not be completed').waitFor(WAIT);
    assert.equal(await staffCookie(), undefined);

    // The sign-in this browser started is spent: the genuine answer no longer signs in either.
    await p.goto(genuine!);
    await p.getByText('The sign-in could not be completed').waitFor(WAIT);
    assert.equal(await staffCookie(), undefined);
    assert.equal(await ui.stack.prisma.staffSession.count(), before, 'no session was made');
  });
});
