/**
 * Sign-in links that last as long as the registration: POST /api/session/link
 * (always 202 with the same message, rate limited, a SIGN_IN_LINK email to the
 * address on record once per request), links minted until the deadline plus the
 * resubmission window, and the staff form correction route.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { decodeJwt } from 'jose';
import { outboxPaths } from '../../activities/email/send-email';
import { SIGN_IN_LINK_ACCEPTED } from '../../src/gateway/routes/session';
import { DAY, admit, eventually, fetchJson, startStack, statusOf, type TestStack } from './support';
import { validForm } from '../kit/samples';

const RATE_LIMIT = 6;

describe('gateway: sign-in links and form corrections', function () {
  this.timeout(120_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ SIGN_IN_LINK_RATE_LIMIT_PER_HOUR: String(RATE_LIMIT) });
  });
  after(async () => stack?.stop());

  const askLink = (json: unknown, headers: Record<string, string> = {}) => fetchJson(`${stack.url}/api/session/link`, { method: 'POST', json, headers });

  it('answers 202 with one message for a match, a wrong email and an unknown number; mails the match once per request id; the link lasts until deadline + window', async () => {
    const deadline = Date.now() + 200 * DAY; // further than INVITATION_TTL_DAYS (60)
    const a = await admit(stack, {}, { registrationDeadline: new Date(deadline).toISOString(), resubmissionWindow: '14 days' });
    const answers = [
      await askLink({ applicationNo: a.applicationNo, personalEmail: ` ${a.student.personalEmail.toUpperCase()} ` }, { 'Idempotency-Key': 'link-req-1' }),
      await askLink({ applicationNo: a.applicationNo, personalEmail: ` ${a.student.personalEmail} ` }, { 'Idempotency-Key': 'link-req-1' }), // a retry of the same request
      await askLink({ applicationNo: a.applicationNo, personalEmail: 'not.me@example.com' }),
      await askLink({ applicationNo: 'A999999999', personalEmail: a.student.personalEmail }),
    ];
    for (const r of answers) assert.deepEqual([r.status, r.body], [202, { message: SIGN_IN_LINK_ACCEPTED }]);

    const s = await eventually(
      () => statusOf(stack, a.applicationNo),
      (v) => v.emails.some((e) => e.kind === 'SIGN_IN_LINK'),
    );
    await new Promise((r) => setTimeout(r, 1500)); // time for a second (wrong) email to show, if there were one
    const sent = (await statusOf(stack, a.applicationNo)).emails.filter((e) => e.kind === 'SIGN_IN_LINK');
    assert.deepEqual(
      sent.map((e) => e.to),
      [[a.student.personalEmail]],
      'once, to the address on record',
    );

    const file = outboxPaths(stack.config.outboxDir, {
      registrationNo: a.applicationNo,
      idempotencyKey: s.emails.find((e) => e.kind === 'SIGN_IN_LINK')!.idempotencyKey,
    });
    const url = /Open Online Program Registration: (\S+)/.exec(fs.readFileSync(file.text, 'utf8'))![1]!;
    const token = new URL(url).searchParams.get('token')!;
    assert.equal(decodeJwt(token).exp, Math.floor((deadline + 14 * DAY) / 1000), 'valid until the deadline plus the resubmission window');
    const signIn = await fetchJson(`${stack.url}/api/session`, { method: 'POST', json: { token } });
    assert.equal(signIn.status, 200);
    assert.equal(signIn.body.applicationNo, a.applicationNo);
  });

  it('matches the application number regardless of case: a number typed in lower case gets the link', async () => {
    const a = await admit(stack);
    assert.match(a.applicationNo, /^A[0-9A-Z]+$/);
    assert.notEqual(a.applicationNo.toLowerCase(), a.applicationNo, 'the number has letters to lower');
    const r = await askLink({ applicationNo: a.applicationNo.toLowerCase(), personalEmail: a.student.personalEmail });
    assert.deepEqual([r.status, r.body], [202, { message: SIGN_IN_LINK_ACCEPTED }]);
    const s = await eventually(
      () => statusOf(stack, a.applicationNo),
      (v) => v.emails.some((e) => e.kind === 'SIGN_IN_LINK'),
    );
    assert.deepEqual(
      s.emails.filter((e) => e.kind === 'SIGN_IN_LINK').map((e) => e.to),
      [[a.student.personalEmail]],
    );
  });

  it('is rate limited per client address (every request counts)', async () => {
    let last = await askLink({ applicationNo: 'A0000001', personalEmail: 'x@example.com' });
    for (let i = 0; i < RATE_LIMIT && last.status === 202; i++) last = await askLink({ applicationNo: 'A0000001', personalEmail: 'x@example.com' });
    assert.equal(last.status, 429);
    assert.ok(Number(last.headers.get('retry-after')) > 0);
  });

  it('staff (officers too) correct the form through the route; students may not; the correction is validated like the form', async () => {
    const a = await admit(stack);
    const url = `${stack.url}/api/registrations/${a.applicationNo}/form/correction`;
    const body = { changes: { correspondenceAddress: '1 University Road, Hong Kong' }, reason: 'moved' };
    const early = await fetchJson(url, { method: 'POST', bearer: stack.officerKey, json: body });
    assert.equal(early.status, 409, 'nothing submitted yet');
    assert.equal(
      (await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/form`, { method: 'POST', bearer: a.session, json: { form: validForm } })).status,
      200,
    );
    assert.equal((await fetchJson(url, { method: 'POST', bearer: a.session, json: body })).status, 403);
    const noReason = await fetchJson(url, { method: 'POST', bearer: stack.officerKey, json: { changes: body.changes } });
    assert.equal(noReason.status, 400);
    const consent = await fetchJson(url, { method: 'POST', bearer: stack.officerKey, json: { changes: { picsConsent: false }, reason: 'x' } });
    assert.equal(consent.status, 400, 'consent is not a correctable field');
    const blank = await fetchJson(url, {
      method: 'POST',
      bearer: stack.officerKey,
      json: { changes: { emergencyContact: { phone: 'call me' } }, reason: 'x' },
    });
    assert.equal(blank.status, 400);
    const ok = await fetchJson(url, { method: 'POST', bearer: stack.officerKey, json: body });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.form.correspondenceAddress, '1 University Road, Hong Kong');
    assert.equal(ok.body.form.legalName, validForm.legalName);
    const byAdmin = await fetchJson(url, { method: 'POST', bearer: stack.adminKey, json: { changes: { nationality: 'Chinese' }, reason: 'HKID shows it' } });
    assert.equal(byAdmin.status, 200);
    const audit = await eventually(
      () => fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/audit`, { bearer: stack.officerKey }),
      (r) => r.body.items.filter((e: any) => e.type === 'FORM_CORRECTED').length === 2,
    );
    const [first, second] = audit.body.items.filter((e: any) => e.type === 'FORM_CORRECTED');
    assert.match(first.actor, /^staff:officer\./);
    assert.deepEqual(first.data.before, { correspondenceAddress: validForm.correspondenceAddress });
    assert.match(second.actor, /^staff:admin\./);
    assert.deepEqual(second.data.after, { nationality: 'Chinese' });
  });
});
