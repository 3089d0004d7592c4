/**
 * Bad input gets a 4xx, never a 500, and sign-in cannot be forged or kept
 * after it should end: malformed cookies and import fields, text PostgreSQL
 * cannot store, /invite guessing, login CSRF through a link, cross-site
 * requests riding the cookie, staff revocation and server-side sign-out.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { outboxPaths } from '../../activities/email/send-email';
import { signWebhook, SIGNATURE_HEADER } from '../../src/gateway/webhooks/signature';
import { signInvitationToken } from '../../src/links';
import { uniq } from '../kit/servers';
import { admit, eventually, fetchJson, settled, startGateway, startStack, statusOf, type TestStack } from './support';
import { validForm } from '../kit/samples';

const cookieOf = (res: { headers: Headers }) => res.headers.get('set-cookie')?.split(';')[0];

/** A request with exactly these headers (fetch would overwrite the Fetch Metadata ones). */
function rawRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, contentType: String(res.headers['content-type'] ?? ''), body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('gateway hardening (docs/gateway.md)', function () {
  this.timeout(180_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(async () => stack?.stop());
  const reg = (no: string, rest = '') => `${stack.url}/api/registrations/${no}${rest}`;
  const admin = () => ({ bearer: stack.adminKey });

  describe('malformed input', () => {
    it('a malformed session cookie (progreg_session=%) is 401, not 500', async () => {
      for (const url of [`${stack.url}/api/session`, reg('A2799100')]) {
        const res = await fetchJson(url, { headers: { cookie: 'progreg_session=%' } });
        assert.equal(res.status, 401, JSON.stringify(res.body));
        assert.equal(res.body.code, 'UNAUTHENTICATED');
      }
    });

    it('a malformed policy field in a multipart import is 400 naming the field', async () => {
      const send = (policy: string) => {
        const form = new FormData();
        form.append('file', new Blob(['applicationNo,name\n'], { type: 'text/csv' }), 'cohort.csv');
        form.append('policy', policy);
        return fetchJson(`${stack.url}/api/imports`, { method: 'POST', body: form, bearer: stack.adminKey });
      };
      const notJson = await send('{not json');
      assert.equal(notJson.status, 400, JSON.stringify(notJson.body));
      assert.equal(notJson.body.code, 'VALIDATION_FAILED');
      assert.deepEqual(notJson.body.details.issues, [{ in: 'body', path: 'policy', message: 'not valid JSON' }]);
      assert.match(notJson.body.message, /"policy"/);
      const wrongShape = await send('{"verificationSlaWorkingDays":"soon"}');
      assert.equal(wrongShape.status, 400);
      assert.equal(wrongShape.body.details.issues[0].path, 'policy.verificationSlaWorkingDays');
    });
  });

  describe('text PostgreSQL cannot store, and control characters, are refused at the edge with 400', () => {
    const bad = { nul: 'Chan\u0000Tai Man', control: 'Chan\u0007', loneSurrogate: 'Chan \ud800 Tai' };

    for (const [what, value] of Object.entries(bad)) {
      it(`form field (${what})`, async () => {
        const a = await admit(stack);
        const res = await fetchJson(reg(a.applicationNo, '/form'), { method: 'POST', bearer: a.session, json: { form: { ...validForm, legalName: value } } });
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.details.issues[0].path, 'form.legalName');
      });
    }

    it('a line break is allowed in the address (multi-line) but not in a name', async () => {
      const a = await admit(stack);
      const name = await fetchJson(reg(a.applicationNo, '/form'), {
        method: 'POST',
        bearer: a.session,
        json: { form: { ...validForm, legalName: 'Chan\nTai Man' } },
      });
      assert.equal(name.status, 400);
      const ok = await fetchJson(reg(a.applicationNo, '/form'), {
        method: 'POST',
        bearer: a.session,
        json: { form: { ...validForm, correspondenceAddress: 'Flat 1, 2/F\nClear Water Bay\r\nKowloon' } },
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
    });

    it('a lone surrogate sent as a JSON escape is refused too', async () => {
      const a = await admit(stack);
      const body = JSON.stringify({ reason: 'x' }).replace('"x"', '"x\\udc00y"');
      const res = await fetchJson(reg(a.applicationNo, '/decline'), {
        method: 'POST',
        headers: { authorization: `Bearer ${a.session}`, 'content-type': 'application/json' },
        body,
      });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.details.issues[0].message, /lone surrogate/);
    });

    it('staff-key name, review notes and reasons, query filters, webhook ids and import rows', async () => {
      const key = await fetchJson(`${stack.url}/api/staff/keys`, { method: 'POST', ...admin(), json: { name: 'Alice\u0000', role: 'officer' } });
      assert.equal(key.status, 400, JSON.stringify(key.body));
      assert.equal(key.body.details.issues[0].path, 'name');

      const a = await admit(stack);
      for (const [path, json] of [
        ['/items/ID_DOCUMENT/verify', { note: 'ok\u0000' }],
        ['/items/ID_DOCUMENT/reject', { reasonCode: 'UNREADABLE', note: 'blurred\u0000' }],
        ['/items/ID_DOCUMENT/waive', { reason: 'x\u0000' }],
      ] as const) {
        const res = await fetchJson(reg(a.applicationNo, path), { method: 'POST', bearer: stack.officerKey, json });
        assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
      }
      const queue = await fetchJson(`${stack.url}/api/review-queue?cohortId=%00`, { bearer: stack.officerKey });
      assert.equal(queue.status, 400, JSON.stringify(queue.body));
      const list = await fetchJson(`${stack.url}/api/registrations?q=%00`, { bearer: stack.officerKey });
      assert.equal(list.status, 400, JSON.stringify(list.body));

      const event = JSON.stringify({ id: 'evt\u0000', type: 'account.activated', applicationNo: a.applicationNo, universityEmail: 'a@connect.ust.hk' });
      const hook = await fetchJson(`${stack.url}/api/webhooks/identity`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(stack.config.WEBHOOK_SECRET, event) },
        body: event,
      });
      assert.equal(hook.status, 400, JSON.stringify(hook.body));

      const no = uniq('N');
      const imported = await fetchJson(`${stack.url}/api/imports?wait=true`, {
        method: 'POST',
        ...admin(),
        json: {
          students: [
            {
              applicationNo: `${no}\u0000`,
              name: 'Bad Number',
              personalEmail: 'x@example.com',
              programCode: 'BSC-COMP',
              studyLevel: 'TPG',
              residency: 'LOCAL',
              cohortId: 'c-nul',
              registrationDeadline: '2099-08-20',
            },
            {
              applicationNo: no,
              name: 'Chan\u0000',
              personalEmail: 'x@example.com',
              programCode: 'BSC-COMP',
              studyLevel: 'TPG',
              residency: 'LOCAL',
              cohortId: 'c-nul',
              registrationDeadline: '2099-08-20',
            },
          ],
        },
      });
      assert.equal(imported.status, 200, JSON.stringify(imported.body));
      assert.equal(imported.body.valid, 0);
      assert.deepEqual(
        imported.body.rejected.map((r: { line: number; applicationNo?: string }) => [r.line, r.applicationNo]),
        [
          [1, undefined],
          [2, no],
        ],
      );
      assert.match(imported.body.rejected[1].reasons.join(), /name: must not contain control characters/);
    });
  });

  describe('sign-in', () => {
    it('/invite failures count towards the sign-in rate limit', async () => {
      const gw = await startGateway({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '3' } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) statuses.push((await fetch(`${gw.url}/invite?token=guess-${i}`, { redirect: 'manual' })).status);
        assert.deepEqual(statuses, [303, 303, 303, 429]);
      } finally {
        await gw.close();
      }
    });

    it('a link for another student asks before switching accounts (login CSRF), and switching is same-origin only', async () => {
      const a = await admit(stack);
      const b = await admit(stack);
      const signedInA = await fetch(`${stack.url}/invite?token=${a.inviteToken}`, { redirect: 'manual' });
      const cookieA = cookieOf(signedInA)!;

      const page = await fetch(`${stack.url}/invite?token=${b.inviteToken}`, { redirect: 'manual', headers: { cookie: cookieA } });
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('set-cookie'), null, 'nothing switched yet');
      const html = await page.text();
      assert.match(html, new RegExp(`signed in for application <strong>${a.applicationNo}</strong>`));
      assert.match(html, /<form method="post" action="\/invite">/);
      assert.doesNotMatch(html, /<script/i);
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);

      const post = (headers: Record<string, string>) =>
        fetch(`${stack.url}/invite`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: cookieA, 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams({ token: b.inviteToken }).toString(),
        });
      assert.equal((await post({ origin: 'https://evil.example' })).status, 403);
      assert.equal((await post({ 'sec-fetch-site': 'cross-site' })).status, 403);
      assert.equal((await post({ 'sec-fetch-site': 'same-site' })).status, 403);
      const switched = await post({ origin: stack.url, 'sec-fetch-site': 'same-origin' });
      assert.equal(switched.status, 303);
      const cookieB = cookieOf(switched)!;
      const who = await fetchJson(`${stack.url}/api/session`, { headers: { cookie: cookieB } });
      assert.equal(who.body.applicationNo, b.applicationNo);

      // The same student's link, or no session at all: straight in.
      const same = await fetch(`${stack.url}/invite?token=${b.inviteToken}`, { redirect: 'manual', headers: { cookie: cookieB } });
      assert.equal(same.status, 303);
    });

    it('state-changing requests riding the cookie must be same-origin; bearer and API-key requests are not checked', async () => {
      const a = await admit(stack);
      const cookie = cookieOf(await fetch(`${stack.url}/invite?token=${a.inviteToken}`, { redirect: 'manual' }))!;
      const decline = (headers: Record<string, string>) =>
        fetchJson(reg(a.applicationNo, '/form'), { method: 'POST', headers, json: { form: { picsConsent: false } } });
      const crossSite = await decline({ cookie, origin: 'https://evil.example' });
      assert.equal(crossSite.status, 403);
      assert.match(crossSite.body.message, /Cross-site request refused/);
      assert.equal((await decline({ cookie, 'sec-fetch-site': 'cross-site' })).status, 403);
      // Same origin reaches validation (400: the form is incomplete), as does a bearer request from anywhere.
      assert.equal((await decline({ cookie, origin: stack.url, 'sec-fetch-site': 'same-origin' })).status, 400);
      assert.equal((await decline({ authorization: `Bearer ${a.session}`, origin: 'https://evil.example' })).status, 400);
    });

    it('Sec-Fetch-Site decides over Origin (a same-origin form post under any referrer policy passes); without it, Origin: null is refused', async () => {
      const a = await admit(stack);
      const b = await admit(stack);
      const cookieA = cookieOf(await fetch(`${stack.url}/invite?token=${a.inviteToken}`, { redirect: 'manual' }))!;
      // The gateway's own pages keep Origin on same-origin posts for browsers without Fetch Metadata.
      assert.equal((await fetch(`${stack.url}/portal/`)).headers.get('referrer-policy'), 'same-origin');
      const post = (headers: Record<string, string>) =>
        fetch(`${stack.url}/invite`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: cookieA, 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams({ token: b.inviteToken }).toString(),
        });
      // What Chromium sends for the switch page's own form under Referrer-Policy: no-referrer.
      assert.equal((await post({ origin: 'null', 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate' })).status, 303);
      // A sandboxed or cross-site page in a browser without Fetch Metadata.
      assert.equal((await post({ origin: 'null' })).status, 403);
      // A real origin cannot talk a cross-site Fetch Metadata round.
      assert.equal((await post({ origin: stack.url, 'sec-fetch-site': 'cross-site' })).status, 403);
    });

    it('a refused browser navigation gets an HTML page with a way forward; a fetch or an API client gets the JSON error', async () => {
      const a = await admit(stack);
      const cookie = cookieOf(await fetch(`${stack.url}/invite?token=${a.inviteToken}`, { redirect: 'manual' }))!;
      const form = { cookie, 'content-type': 'application/x-www-form-urlencoded' };
      const body = new URLSearchParams({ token: a.inviteToken }).toString();
      // node:http, not fetch: Node's fetch replaces Sec-Fetch-Mode with its own `cors`.
      const navigation = await rawRequest(
        `${stack.url}/invite`,
        'POST',
        {
          ...form,
          'sec-fetch-site': 'cross-site',
          'sec-fetch-mode': 'navigate',
          'sec-fetch-dest': 'document',
          accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
        },
        body,
      );
      assert.equal(navigation.status, 403);
      assert.match(navigation.contentType, /^text\/html/);
      const html = navigation.body;
      assert.match(html, /<h1>This form came from another site<\/h1>/);
      assert.match(html, /<a class="button" href="\/portal\/">Go to program registration<\/a>/);
      assert.match(html, /FORBIDDEN, request [0-9a-f-]{36}/);
      // A browser without Fetch Metadata that prefers HTML is navigating too.
      const old = await rawRequest(`${stack.url}/invite`, 'POST', { ...form, origin: 'https://evil.example', accept: 'text/html,*/*;q=0.8' }, body);
      assert.equal(old.status, 403);
      assert.match(old.body, /This form came from another site/);
      // curl's */* prefers nothing: JSON.
      const curl = await rawRequest(`${stack.url}/invite`, 'POST', { ...form, origin: 'https://evil.example', accept: '*/*' }, body);
      assert.equal(curl.status, 403);
      assert.equal(JSON.parse(curl.body).code, 'FORBIDDEN');

      const byFetch = await fetchJson(`${stack.url}/invite`, {
        method: 'POST',
        headers: { ...form, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', accept: 'application/json' },
        body,
      });
      assert.equal(byFetch.status, 403);
      assert.equal(byFetch.body.code, 'FORBIDDEN');
      assert.equal(byFetch.body.details.reason, 'cross-site');
      const byCurl = await fetchJson(`${stack.url}/invite`, { method: 'POST', headers: { ...form, origin: 'https://evil.example' }, body });
      assert.equal(byCurl.status, 403);
      assert.equal(byCurl.body.code, 'FORBIDDEN');
      // Staff pages lead back to the staff sign-in.
      const staffPage = await rawRequest(`${stack.url}/api/staff/me`, 'GET', { 'sec-fetch-mode': 'navigate' });
      assert.equal(staffPage.status, 401);
      assert.match(staffPage.body, /<h1>Please sign in<\/h1>[\s\S]*href="\/staff\/">Go to the staff pages/);
    });

    it('a browser that posts a body past the limit to a route that takes none (send for review) gets the HTML page; a fetch gets the JSON error', async () => {
      const a = await admit(stack);
      const cookie = cookieOf(await fetch(`${stack.url}/invite?token=${a.inviteToken}`, { redirect: 'manual' }))!;
      const url = `${stack.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/send`;
      const body = 'x'.repeat(200 * 1024); // the limit of a route without a body is 100 KB (docs/operations.md)
      const browser = { cookie, origin: stack.url, 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' };
      const navigation = await rawRequest(url, 'POST', { ...browser, 'sec-fetch-mode': 'navigate', accept: 'text/html,*/*;q=0.8' }, body);
      assert.equal(navigation.status, 413);
      assert.match(navigation.contentType, /^text\/html/);
      assert.match(navigation.body, /PAYLOAD_TOO_LARGE, request [0-9a-f-]{36}/);
      const byFetch = await rawRequest(url, 'POST', { ...browser, 'sec-fetch-mode': 'cors', accept: 'application/json' }, body);
      assert.equal(byFetch.status, 413);
      assert.equal(JSON.parse(byFetch.body).code, 'PAYLOAD_TOO_LARGE');
      // Nothing was sent for review.
      assert.equal((await statusOf(stack, a.applicationNo)).items.find((i) => i.key === 'ID_DOCUMENT')!.state, 'PENDING');
    });

    it("staff revoke a student's links and sessions: no link in the answer, a fresh one emailed to the student, the revocation in the audit trail", async () => {
      const a = await admit(stack);
      await eventually(
        () => stack.prisma.registration.findUnique({ where: { applicationNo: a.applicationNo } }),
        (r) => !!r,
      );
      assert.equal((await fetchJson(reg(a.applicationNo), { bearer: a.session })).status, 200);

      const byStudent = await fetchJson(reg(a.applicationNo, '/revoke-access'), { method: 'POST', bearer: a.session, json: {} });
      assert.equal(byStudent.status, 403);
      const revoke = () =>
        fetchJson(reg(a.applicationNo, '/revoke-access'), {
          method: 'POST',
          bearer: stack.officerKey,
          headers: { 'Idempotency-Key': 'revoke-1' },
          json: { reason: 'invitation forwarded' },
        });
      const revoked = await revoke();
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
      assert.match(revoked.body.revokedBy, /^staff:officer\./);
      assert.equal(revoked.body.linkEmailed, true);
      // Staff get no way in as the student: no link, no token, anywhere in the answer.
      assert.deepEqual(Object.keys(revoked.body).sort(), ['applicationNo', 'linkEmailed', 'revokedAt', 'revokedBy']);
      assert.doesNotMatch(JSON.stringify(revoked.body), /token|invite|https?:/);

      const oldSession = await fetchJson(reg(a.applicationNo), { bearer: a.session });
      assert.equal(oldSession.status, 401);
      const oldLink = await fetchJson(`${stack.url}/api/session`, { method: 'POST', json: { token: a.inviteToken } });
      assert.equal(oldLink.status, 401);
      assert.match(oldLink.body.message, /revoked/);
      const oldLinkOpened = await fetch(`${stack.url}/invite?token=${a.inviteToken}`, { redirect: 'manual' });
      assert.equal(oldLinkOpened.headers.get('location'), '/portal/?error=UNAUTHENTICATED');

      // The fresh link went to the personal email on record, and works.
      const s = await eventually(
        () => statusOf(stack, a.applicationNo),
        (v) => v.emails.some((e) => e.kind === 'SIGN_IN_LINK'),
      );
      const mail = s.emails.find((e) => e.kind === 'SIGN_IN_LINK')!;
      assert.deepEqual(mail.to, [a.student.personalEmail]);
      const file = outboxPaths(stack.config.outboxDir, { registrationNo: a.applicationNo, idempotencyKey: mail.idempotencyKey });
      const url = /Open Online Program Registration: (\S+)/.exec(fs.readFileSync(file.text, 'utf8'))![1]!;
      const again = await fetchJson(`${stack.url}/api/session`, { method: 'POST', json: { token: new URL(url).searchParams.get('token')! } });
      assert.equal(again.status, 200);
      assert.equal((await fetchJson(reg(a.applicationNo), { bearer: again.body.token })).status, 200);

      // The workflow's audit trail has the revocation under the officer; a retry with the same key records and mails nothing more.
      assert.equal((await revoke()).status, 200);
      const audit = await eventually(
        () => stack.prisma.auditEvent.findMany({ where: { registrationNo: a.applicationNo, type: 'ACCESS_REVOKED' } }),
        (rows) => rows.length > 0,
      );
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.actor, revoked.body.revokedBy);
      assert.equal((audit[0]!.data as { reason?: string }).reason, 'invitation forwarded');
      await new Promise((r) => setTimeout(r, 1000)); // time for a second (wrong) email to show, if there were one
      assert.equal((await statusOf(stack, a.applicationNo)).emails.filter((e) => e.kind === 'SIGN_IN_LINK').length, 1);

      const unknown = await fetchJson(reg('A0000000NONE', '/revoke-access'), { method: 'POST', bearer: stack.officerKey, json: {} });
      assert.equal(unknown.status, 404);
    });

    it('a session opened with staff credentials may read but never act as the student (the form with its consent, declining)', async () => {
      const a = await admit(stack);
      // An officer holding the student's link signs in with it while presenting their staff key.
      const byOfficer = await fetchJson(`${stack.url}/api/session`, { method: 'POST', bearer: stack.officerKey, json: { token: a.inviteToken } });
      assert.equal(byOfficer.status, 200, JSON.stringify(byOfficer.body));
      const session = byOfficer.body.token as string;
      assert.equal((await fetchJson(reg(a.applicationNo), { bearer: session })).status, 200, 'reading is allowed');
      const form = await fetchJson(reg(a.applicationNo, '/form'), { method: 'POST', bearer: session, json: { form: validForm } });
      assert.equal(form.status, 403, JSON.stringify(form.body));
      assert.match(form.body.message, /staff credentials/);
      const decline = await fetchJson(reg(a.applicationNo, '/decline'), { method: 'POST', bearer: session, json: {} });
      assert.equal(decline.status, 403);
      // The same session as the browser's cookie.
      const cookie = `progreg_session=${session}`;
      assert.equal(
        (await fetchJson(reg(a.applicationNo, '/form'), { method: 'POST', headers: { cookie, origin: stack.url }, json: { form: validForm } })).status,
        403,
      );
      // The student's own session, from the same link, acts.
      const own = await fetchJson(`${stack.url}/api/session`, { method: 'POST', json: { token: a.inviteToken } });
      const submitted = await fetchJson(reg(a.applicationNo, '/form'), { method: 'POST', bearer: own.body.token, json: { form: validForm } });
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      const events = await eventually(
        () => stack.prisma.auditEvent.findMany({ where: { registrationNo: a.applicationNo, type: 'FORM_SUBMITTED' } }),
        (rows) => rows.length > 0,
      );
      assert.deepEqual(
        events.map((e) => e.actor),
        [`student:${a.applicationNo}`],
      );
    });

    it('a status read after sign-out is 401, with or without a current ETag (its revocation check runs alongside the workflow query)', async () => {
      const a = await admit(stack);
      // At its first idle state and projected: no change lands between the read and the poll to move the ETag.
      await settled(stack, a.applicationNo);
      const read = await fetch(reg(a.applicationNo), { headers: { authorization: `Bearer ${a.session}` } });
      assert.equal(read.status, 200);
      const etag = read.headers.get('etag')!;
      const poll = await fetch(reg(a.applicationNo), { headers: { authorization: `Bearer ${a.session}`, 'if-none-match': etag } });
      assert.equal(poll.status, 304);
      const out = await fetchJson(`${stack.url}/api/session`, { method: 'DELETE', bearer: a.session });
      assert.equal(out.status, 204);
      for (let i = 0; i < 5; i++) {
        for (const headers of [{}, { 'if-none-match': etag }] as Record<string, string>[]) {
          const after = await fetch(reg(a.applicationNo), { headers: { authorization: `Bearer ${a.session}`, ...headers } });
          const body = (await after.json()) as { code: string };
          assert.equal(after.status, 401, JSON.stringify(headers));
          assert.equal(body.code, 'UNAUTHENTICATED');
          assert.notEqual(after.headers.get('etag'), etag, "the refusal carries nothing of the registration's");
        }
      }
    });

    it('sign-out ends the session on the server; the invitation link still signs in again', async () => {
      const a = await admit(stack);
      const cookie = cookieOf(await fetch(`${stack.url}/invite?token=${a.inviteToken}`, { redirect: 'manual' }))!;
      const out = await fetchJson(`${stack.url}/api/session`, { method: 'DELETE', headers: { cookie, origin: stack.url } });
      assert.equal(out.status, 204);
      // A copy of the cookie (or the bearer form of the same session) no longer works.
      assert.equal((await fetchJson(`${stack.url}/api/session`, { headers: { cookie } })).status, 401);
      assert.equal((await fetchJson(reg(a.applicationNo), { bearer: a.session })).status, 401);
      const token = await signInvitationToken(stack.config, a.applicationNo);
      assert.equal((await fetchJson(`${stack.url}/api/session`, { method: 'POST', json: { token } })).status, 200);
      assert.equal((await fetchJson(`${stack.url}/api/session`, { method: 'POST', json: { token: a.inviteToken } })).status, 200);
    });
  });
});
