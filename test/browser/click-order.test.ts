/**
 * The sign-in flows in the order real students click them, in Chromium with
 * its own defaults (Fetch Metadata, the Origin it sends under the gateway's
 * Referrer-Policy): the activation link opened after the registration link in
 * the same browser; an invitation link for someone else while signed in; two
 * tabs of one browser; and a link or a form on another site (a page served
 * from another local origin), which signs a student in by a link but never by
 * a form, and whose refused form gets a page with a way forward, not JSON.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Page } from 'playwright-core';
import { invitationLinks } from '../../src/links';
import { admit, type Admitted } from '../gateway/support';
import { freePort } from '../kit/servers';
import { expectAccessible } from './axe';
import { item, openSignInLink } from './chromium';
import { browserSuite } from './suite';

const WAIT = { timeout: 30_000 };

describe('sign-in flows in any click order (browser)', function () {
  this.timeout(180_000);
  const ui = browserSuite('click-order');
  const base = () => ui.stack.config.publicBaseUrl;
  const links = (a: Admitted) => invitationLinks(ui.stack.config, a.applicationNo);

  /** The server-rendered page the last click landed on: its heading, and the whole text for the failure message. */
  async function landedOn(p: Page): Promise<{ heading: string; text: string }> {
    await p.waitForLoadState();
    const text = await p.locator('body').innerText();
    const heading = (await p.locator('h1').count()) ? await p.locator('h1').first().innerText() : '';
    return { heading, text };
  }

  /** The portal, signed in for `applicationNo` (the masthead says whose registration the cookie opens). */
  async function signedInAs(p: Page, applicationNo: string): Promise<void> {
    await p.locator('#masthead-user .who').waitFor(WAIT);
    assert.equal(new URL(p.url()).pathname, '/portal/');
    assert.match(await p.locator('#masthead-user .who').innerText(), new RegExp(`Application no\\. ${applicationNo}\\b`));
  }

  async function activate(p: Page): Promise<void> {
    await p.getByLabel('Choose a password').fill('correct horse battery');
    await p.getByRole('button', { name: 'Activate account' }).click();
    const landed = await landedOn(p);
    assert.equal(landed.heading, 'Account activated', landed.text);
  }

  it('registration link first, then the activation link in the same browser: the activation is accepted and the portal shows it', async () => {
    const a = await admit(ui.stack);
    const { registrationUrl, activationUrl } = await links(a);
    const p = ui.page;
    await openSignInLink(p, registrationUrl);
    await item(p, 'ACTIVATION', 'PENDING').waitFor(WAIT);

    // The session cookie now rides the simulator's form post, so the same-origin guard looks at it.
    await p.goto(activationUrl);
    await activate(p);
    await p.getByRole('link', { name: 'Continue to program registration' }).click();
    await signedInAs(p, a.applicationNo);
    await item(p, 'ACTIVATION', 'VERIFIED').waitFor(WAIT);
    assert.deepEqual(ui.problems, []);
  });

  it('an invitation link for another student while signed in: the page asks, and "Continue as" switches', async () => {
    const [a, b] = [await admit(ui.stack), await admit(ui.stack)];
    const p = ui.page;
    await openSignInLink(p, (await links(a)).registrationUrl);
    await signedInAs(p, a.applicationNo);

    // Staying is a link back; the session is still A's.
    await p.goto((await links(b)).registrationUrl);
    assert.equal((await landedOn(p)).heading, 'Switch registration?');
    await p.getByRole('link', { name: `Stay as ${a.applicationNo}` }).click();
    await signedInAs(p, a.applicationNo);

    await p.goto((await links(b)).registrationUrl);
    await p.getByRole('button', { name: `Continue as ${b.applicationNo}` }).click();
    const landed = await landedOn(p);
    assert.doesNotMatch(landed.text, /FORBIDDEN|Cross-site/, landed.text);
    await signedInAs(p, b.applicationNo);
    assert.deepEqual(ui.problems, []);
  });

  it('two tabs: activating in the second tab shows on the first without a reload; switching student in one tab, the other says so and offers the way on', async () => {
    const [a, b] = [await admit(ui.stack), await admit(ui.stack)];
    const first = ui.page;
    await openSignInLink(first, (await links(a)).registrationUrl);
    await item(first, 'ACTIVATION', 'PENDING').waitFor(WAIT);
    const navigations: string[] = [];
    first.on('framenavigated', (f) => void (f === first.mainFrame() && navigations.push(f.url())));

    // The email's other link, opened in a new tab of the same browser.
    const second = await ui.context.newPage();
    await second.goto((await links(a)).activationUrl);
    await activate(second);
    await item(first, 'ACTIVATION', 'VERIFIED').waitFor(WAIT);
    assert.deepEqual(navigations, [], 'the first tab was not reloaded');

    // B's link in the second tab, and B confirmed: the browser's one cookie is now B's.
    await second.goto((await links(b)).registrationUrl);
    await second.getByRole('button', { name: `Continue as ${b.applicationNo}` }).click();
    await signedInAs(second, b.applicationNo);
    // Back to the first tab (the page re-reads when it becomes visible): it does not keep showing
    // A's registration as if nothing happened, nor spin "Reconnecting…", but says whose session this is.
    await first.bringToFront();
    await first.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    const notice = first.getByRole('heading', { name: 'Signed in for another application' });
    await notice.waitFor(WAIT);
    assert.match(await first.locator('main').innerText(), new RegExp(b.applicationNo));
    await expectAccessible(first, 'signed in for another application');
    await first.getByRole('link', { name: `Show application ${b.applicationNo}` }).click();
    await signedInAs(first, b.applicationNo);
    assert.deepEqual(ui.problems, []);
  });

  describe('a page on another site', () => {
    let server: http.Server;
    /** The other site's address, as the cross-site (127.0.0.1) and the same-site sibling (localhost, another port) origin. */
    let crossSite: string;
    let sibling: string;
    let page = '';
    before(async () => {
      const port = await freePort();
      server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      crossSite = `http://127.0.0.1:${port}/`;
      sibling = `http://localhost:${port}/`;
      assert.notEqual(new URL(sibling).origin, new URL(base()).origin);
    });
    after(async () => new Promise<void>((r) => server.close(() => r())));

    /** The other site's page, with a link and a form aimed at the portal. */
    const otherSite = (email: { registrationUrl: string; activationUrl: string }, token: string) =>
      `<!doctype html><html><head><title>Elsewhere</title></head><body><h1>Somewhere else</h1>
<p><a href="${email.registrationUrl}">Open your registration</a> <a href="${email.activationUrl}">Activate your account</a></p>
<form method="post" action="${base()}/invite"><input type="hidden" name="token" value="${token}"><button type="submit">Claim your prize</button></form></body></html>`;

    it('a signed-out student follows the links from another site (a webmail): asked once, signed in by the first, activated through the second', async () => {
      const a = await admit(ui.stack);
      page = otherSite(await links(a), 'unused');
      const p = ui.page;
      await p.goto(crossSite);
      await p.getByRole('link', { name: 'Open your registration' }).click();
      // Arriving from another site signs no one in unasked (login CSRF): the page names the application and asks.
      const asked = await landedOn(p);
      assert.equal(asked.heading, 'Sign in to program registration?', asked.text);
      assert.match(asked.text, new RegExp(`application number ${a.applicationNo}`));
      assert.doesNotMatch(asked.text, new RegExp(a.student.name));
      assert.equal(
        (await p.context().cookies(base())).find((c) => c.name === 'progreg_session'),
        undefined,
        'no session before the click',
      );
      await expectAccessible(p, 'sign-in confirmation');
      await p.getByRole('button', { name: `Sign in as ${a.applicationNo}` }).click();
      await signedInAs(p, a.applicationNo);
      await item(p, 'ACTIVATION', 'PENDING').waitFor(WAIT);

      await p.goto(crossSite);
      await p.getByRole('link', { name: 'Activate your account' }).click();
      await activate(p);
      await p.getByRole('link', { name: 'Continue to program registration' }).click();
      await item(p, 'ACTIVATION', 'VERIFIED').waitFor(WAIT);
      assert.deepEqual(ui.problems, []);
    });

    for (const [where, origin] of [
      ['another site', () => crossSite],
      ['a sibling origin of the same site', () => sibling],
    ] as const) {
      it(`a form on ${where} cannot sign anyone in: the refusal is a page with a way back to the portal, the session unchanged`, async () => {
        const [a, b] = [await admit(ui.stack), await admit(ui.stack)];
        const bToken = new URL((await links(b)).registrationUrl).searchParams.get('token')!;
        page = otherSite(await links(a), bToken);

        // Signed out: refused, and no session was made.
        const fresh = await ui.newPage();
        await fresh.goto(origin());
        await fresh.getByRole('button', { name: 'Claim your prize' }).click();
        let landed = await landedOn(fresh);
        assert.equal(landed.heading, 'This form came from another site', landed.text);
        assert.equal(
          (await fresh.context().cookies(base())).find((c) => c.name === 'progreg_session'),
          undefined,
        );

        // Signed in as A: refused, still A, and the page's link leads back.
        const p = ui.page;
        await openSignInLink(p, (await links(a)).registrationUrl);
        await signedInAs(p, a.applicationNo);
        await p.goto(origin());
        await p.getByRole('button', { name: 'Claim your prize' }).click();
        landed = await landedOn(p);
        assert.equal(landed.heading, 'This form came from another site', landed.text);
        assert.match(landed.text, /nothing was changed/);
        await expectAccessible(p, 'cross-site form refused');
        await p.getByRole('link', { name: 'Go to program registration' }).click();
        await signedInAs(p, a.applicationNo);
      });
    }
  });
});
