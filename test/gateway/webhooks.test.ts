import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SIGNATURE_HEADER, signWebhook } from '../../src/gateway/webhooks/signature';
import { decodeJwt } from 'jose';
import { invitationLinks, signActivationToken } from '../../src/links';
import { admit, DAY, eventually, fetchJson, startStack, statusOf, type TestStack } from './support';

describe('gateway: webhooks', function () {
  this.timeout(120_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  const send = (path: string, payload: unknown, opts: { secret?: string; t?: number; header?: string | null; raw?: string } = {}) => {
    const body = opts.raw ?? JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const signature = opts.header === undefined ? signWebhook(opts.secret ?? stack.config.WEBHOOK_SECRET, body, opts.t) : opts.header;
    if (signature !== null) headers[SIGNATURE_HEADER] = signature;
    return fetchJson(`${stack.url}${path}`, { method: 'POST', headers, body });
  };
  const activation = (applicationNo: string, id = randomUUID()) => ({
    id,
    type: 'account.activated',
    applicationNo,
    universityEmail: `${applicationNo.toLowerCase()}@connect.ust.hk`,
    activatedAt: new Date().toISOString(),
  });

  it('a signed identity webhook activates the account', async () => {
    const a = await admit(stack);
    const res = await send('/api/webhooks/identity', activation(a.applicationNo));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.accepted, true);
    const status = await eventually(
      () => statusOf(stack, a.applicationNo),
      (s) => s.universityEmail !== undefined,
    );
    assert.equal(status.items.find((i) => i.key === 'ACTIVATION')!.state, 'VERIFIED');
    assert.equal(status.universityEmail, `${a.applicationNo.toLowerCase()}@connect.ust.hk`);
    const audit = await eventually(
      () => stack.prisma.auditEvent.findMany({ where: { registrationNo: a.applicationNo, type: 'ACCOUNT_ACTIVATED' } }),
      (rows) => rows.length === 1,
    );
    assert.equal(audit[0]!.actor, 'system:idp');
  });

  it("one university account, one registration: another registration's account is refused (409 UNIVERSITY_EMAIL_IN_USE), whatever its case", async () => {
    const [a, b] = [await admit(stack), await admit(stack)];
    const account = `shared.${a.applicationNo.toLowerCase()}@connect.ust.hk`;
    const first = await send('/api/webhooks/identity', { ...activation(a.applicationNo), universityEmail: account.toUpperCase() });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    // Stored in lower case, where single sign-on looks it up.
    await eventually(
      () => stack.prisma.registration.findUnique({ where: { universityEmail: account }, select: { applicationNo: true } }),
      (row) => row?.applicationNo === a.applicationNo,
    );

    const second = await send('/api/webhooks/identity', { ...activation(b.applicationNo), universityEmail: account });
    assert.equal(second.status, 409, JSON.stringify(second.body));
    assert.equal(second.body.code, 'UNIVERSITY_EMAIL_IN_USE');
    assert.equal((await statusOf(stack, b.applicationNo)).universityEmail, undefined, 'nothing reached the workflow');
    // The same registration's account again is no conflict (a provider retrying with a new delivery id).
    assert.equal((await send('/api/webhooks/identity', { ...activation(a.applicationNo), universityEmail: account })).status, 202);

    // The read model holds one registration per account even if a writer slipped past the check.
    await assert.rejects(
      stack.prisma.registration.update({ where: { applicationNo: b.applicationNo }, data: { universityEmail: account } }),
      (e: { code?: string }) => e.code === 'P2002',
    );
  });

  it('two registrations activated with one account at the same moment: one is accepted, the other refused (409), before either reaches the read model', async () => {
    const [a, b] = [await admit(stack), await admit(stack)];
    const account = `race.${a.applicationNo.toLowerCase()}@connect.ust.hk`;
    const answers = await Promise.all([a, b].map((r) => send('/api/webhooks/identity', { ...activation(r.applicationNo), universityEmail: account })));
    assert.deepEqual(answers.map((r) => r.status).sort(), [202, 409], JSON.stringify(answers.map((r) => r.body)));
    const refused = answers.find((r) => r.status === 409)!;
    assert.equal(refused.body.code, 'UNIVERSITY_EMAIL_IN_USE');
    const [winner, loser] = answers[0]!.status === 202 ? [a, b] : [b, a];
    await eventually(
      () => stack.prisma.registration.findUnique({ where: { universityEmail: account }, select: { applicationNo: true } }),
      (row) => row?.applicationNo === winner.applicationNo,
    );
    assert.equal((await statusOf(stack, loser.applicationNo)).universityEmail, undefined, 'nothing reached the refused registration');
    // Its own account, sent again, still activates it: the refusal gave the delivery back.
    const own = await send('/api/webhooks/identity', activation(loser.applicationNo));
    assert.equal(own.status, 202, JSON.stringify(own.body));
  });

  it('an activation that could not be delivered gives its account back: the right registration may claim it later', async () => {
    const a = await admit(stack);
    const account = `unknown.${a.applicationNo.toLowerCase()}@connect.ust.hk`;
    const lost = await send('/api/webhooks/identity', { ...activation('NOSUCH-STUDENT'), universityEmail: account });
    assert.equal(lost.status, 404, JSON.stringify(lost.body));
    const res = await send('/api/webhooks/identity', { ...activation(a.applicationNo), universityEmail: account });
    assert.equal(res.status, 202, JSON.stringify(res.body));
  });

  it('a signed payment webhook settles the tuition item of a local non-JUPAS undergraduate', async () => {
    const a = await admit(stack, { studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' }, { tuitionFee: { amount: 42100, currency: 'HKD' } });
    const res = await send('/api/webhooks/payments', {
      id: randomUUID(),
      type: 'payment.confirmed',
      applicationNo: a.applicationNo,
      paymentRef: 'PAY-123',
      amount: 42100,
      currency: 'HKD',
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const status = await eventually(
      () => statusOf(stack, a.applicationNo),
      (s) => s.items.find((i) => i.key === 'TUITION_RECEIPT')!.state === 'VERIFIED',
    );
    assert.equal(status.items.find((i) => i.key === 'TUITION_RECEIPT')!.reviews[0]!.actor, 'system:payment');
  });

  it('refuses a payment of nothing or less, and one dated after its delivery (400 with the field); nothing reaches the workflow', async () => {
    const a = await admit(stack, { studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' }, { tuitionFee: { amount: 42100, currency: 'HKD' } });
    const payment = (o: Record<string, unknown>) => ({
      id: randomUUID(),
      type: 'payment.confirmed',
      applicationNo: a.applicationNo,
      paymentRef: `PAY-${randomUUID()}`,
      currency: 'HKD',
      ...o,
    });
    const cases: [Record<string, unknown>, string][] = [
      [{ amount: 0 }, 'amount'],
      [{ amount: -42100 }, 'amount'],
      [{ amount: 42100, paidAt: new Date(Date.now() + 60 * 60_000).toISOString() }, 'paidAt'],
    ];
    const ids: string[] = [];
    for (const [body, field] of cases) {
      const delivery = payment(body);
      ids.push(`payments:${delivery.id}`);
      const res = await send('/api/webhooks/payments', delivery);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.code, 'VALIDATION_FAILED', JSON.stringify(res.body));
      assert.equal(res.body.details.issues[0].path, field);
    }
    const s = await statusOf(stack, a.applicationNo);
    assert.equal(s.items.find((i) => i.key === 'TUITION_RECEIPT')!.state, 'PENDING');
    assert.equal(await stack.prisma.auditEvent.count({ where: { registrationNo: a.applicationNo, type: { startsWith: 'PAYMENT' } } }), 0);
    assert.equal(await stack.prisma.webhookDelivery.count({ where: { id: { in: ids } } }), 0, 'a corrected delivery with the same id is still accepted');
  });

  it('refuses a bad signature, a wrong secret, a missing header and a tampered body (401 BAD_SIGNATURE)', async () => {
    const a = await admit(stack);
    const payload = activation(a.applicationNo);
    const body = JSON.stringify(payload);
    const wrongSecret = await send('/api/webhooks/identity', payload, { secret: 'not-the-shared-secret-at-all' });
    assert.equal(wrongSecret.status, 401);
    assert.equal(wrongSecret.body.code, 'BAD_SIGNATURE');
    assert.equal((await send('/api/webhooks/identity', payload, { header: null })).body.code, 'BAD_SIGNATURE');
    assert.equal((await send('/api/webhooks/identity', payload, { header: 't=abc,v1=zz' })).body.code, 'BAD_SIGNATURE');
    const tampered = await send('/api/webhooks/identity', payload, {
      header: signWebhook(stack.config.WEBHOOK_SECRET, body),
      raw: body.replace(a.applicationNo.toLowerCase(), 'attacker'),
    });
    assert.equal(tampered.status, 401);
    assert.equal((await statusOf(stack, a.applicationNo)).universityEmail, undefined, 'nothing reached the workflow');
  });

  it('refuses a delivery outside the replay window, even correctly signed (401 STALE_WEBHOOK)', async () => {
    const a = await admit(stack);
    const old = Math.floor(Date.now() / 1000) - stack.config.WEBHOOK_TOLERANCE_SECONDS - 60;
    const res = await send('/api/webhooks/identity', activation(a.applicationNo), { t: old });
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'STALE_WEBHOOK');
    const future = await send('/api/webhooks/identity', activation(a.applicationNo), { t: Math.floor(Date.now() / 1000) + 3600 });
    assert.equal(future.body.code, 'STALE_WEBHOOK');
  });

  it('refuses a replayed delivery (409 WEBHOOK_REPLAYED) and signals once', async () => {
    const a = await admit(stack);
    const payload = activation(a.applicationNo);
    const body = JSON.stringify(payload);
    const header = signWebhook(stack.config.WEBHOOK_SECRET, body);
    const first = await send('/api/webhooks/identity', payload, { header, raw: body });
    assert.equal(first.status, 202);
    const replay = await send('/api/webhooks/identity', payload, { header, raw: body });
    assert.equal(replay.status, 409);
    assert.equal(replay.body.code, 'WEBHOOK_REPLAYED');
    await eventually(
      () => statusOf(stack, a.applicationNo),
      (s) => s.universityEmail !== undefined,
    );
    const events = await eventually(
      () => stack.prisma.auditEvent.findMany({ where: { registrationNo: a.applicationNo, type: 'ACCOUNT_ACTIVATED' } }),
      (rows) => rows.length >= 1,
    );
    assert.equal(events.length, 1);
  });

  it('an unknown registration is 404, and the delivery may be retried later', async () => {
    const payload = activation('NOSUCH-STUDENT');
    const res = await send('/api/webhooks/identity', payload);
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 'REGISTRATION_NOT_FOUND');
    assert.equal(await stack.prisma.webhookDelivery.count({ where: { id: `identity:${payload.id}` } }), 0);
  });

  it('a correctly signed but invalid body is 400 with field details', async () => {
    const res = await send('/api/webhooks/identity', { id: 'x', type: 'account.activated', applicationNo: 'A1234567', universityEmail: 'not-an-email' });
    assert.equal(res.status, 400);
    assert.equal(res.body.details.issues[0].path, 'universityEmail');
  });

  it('webhooks are rate-limited (429)', async () => {
    const limited = await startStack({ WEBHOOK_RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await fetchJson(`${limited.url}/api/webhooks/payments`, { method: 'POST', json: {} })).status);
      }
      assert.deepEqual(statuses, [401, 401, 429]);
    } finally {
      await limited.stop();
    }
  });

  it('the simulated identity provider activates through the signed webhook and links on to the portal', async () => {
    const a = await admit(stack);
    const { activationUrl } = await invitationLinks(stack.config, a.applicationNo);
    const token = new URL(activationUrl).searchParams.get('token')!;
    const page = await fetch(`${stack.url}/idp/activate?token=${encodeURIComponent(token)}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Activate your HKUST account/);
    const done = await fetch(`${stack.url}/idp/activate`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, universityEmail: 'ignored@example.com' }),
    });
    assert.equal(done.status, 200);
    assert.match(await done.text(), /href="\/invite\?token=/);
    const status = await eventually(
      () => statusOf(stack, a.applicationNo),
      (s) => s.universityEmail !== undefined,
    );
    assert.equal(status.items.find((i) => i.key === 'ACTIVATION')!.state, 'VERIFIED');
    const bad = await fetch(`${stack.url}/idp/activate?token=forged`);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /Activation link not valid/);
    const badPost = await fetch(`${stack.url}/idp/activate`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: 'forged', password: 'long enough' }),
    });
    assert.equal(badPost.status, 400);
    assert.match(await badPost.text(), /Activation link not valid/);
  });

  it('the activation link works for 72 hours (ACTIVATION_LINK_TTL_HOURS), the sign-in link far longer; an expired one is a 410 page that says how to get a new one', async () => {
    const a = await admit(stack);
    const HOUR = 3600_000;
    const { activationUrl, registrationUrl } = await invitationLinks(stack.config, a.applicationNo);
    const expiry = (url: string) => decodeJwt(new URL(url).searchParams.get('token')!).exp! * 1000;
    assert.ok(Math.abs(expiry(activationUrl) - (Date.now() + 72 * HOUR)) < 60_000, new Date(expiry(activationUrl)).toISOString());
    assert.ok(expiry(registrationUrl) >= Date.now() + 60 * DAY - 60_000, 'the sign-in link keeps its own lifetime');

    // Controlled time: tokens issued 71 and 73 hours ago.
    const open = async (issuedHoursAgo: number) =>
      fetch(`${stack.url}/idp/activate?token=${await signActivationToken(stack.config, a.applicationNo, Date.now() - issuedHoursAgo * HOUR)}`);
    assert.equal((await open(71)).status, 200);
    const expired = await open(73);
    assert.equal(expired.status, 410);
    const html = await expired.text();
    assert.match(html, /Activation link expired/);
    assert.match(html, /72 hours/);
    assert.match(html, /href="\/portal\/#new-link-title">Email me a new link</);
    assert.doesNotMatch(html, /Activate account/, 'no activation form');
  });
});
