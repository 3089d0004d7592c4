/**
 * The email activity with the real `resend` SDK against a local fake Resend
 * server and the real PostgreSQL email log: sent once whatever the retries,
 * transient failures retried, permanent ones refused for good; the outbox when
 * no API key is configured; and the workflow carrying both through Temporal.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { decodeJwt } from 'jose';
import type { Resend } from 'resend';
import { createSendEmail, outboxPaths } from '../../activities/email/send-email';
import { loadConfig } from '../../src/config';
import { invitationLinks, verifyActivationToken, verifyInvitationToken } from '../../src/links';
import { EMAIL_REJECTED_FAILURE, type EmailRequest, type EmailSent } from '../../workflows/registration/emails';
import { invite, startRegistration } from '../../workflows/registration/state';
import { activateAccount } from '../../workflows/registration/event-actions';
import { advance } from '../../workflows/registration/time-actions';
import { takeEmails } from '../../workflows/registration/email-decisions';
import { database, timeSkippingEnv } from '../kit/servers';
import { DAY, aStudent, activateAndSubmitForm, eventually, policyDue, status, submit, withWorker } from '../workflow/support';
import { FakeResend, resendError } from '../kit/fake-resend';

const config = { ...loadConfig({ NODE_ENV: 'test' }), REGISTRY_ALERT_EMAIL: 'registry-alerts@ust.hk' };

/** A real invitation request, as the workflow makes it. */
function invitationRequest(): EmailRequest {
  const state = startRegistration({ student: aStudent(), policy: policyDue(Date.now() + 30 * DAY) }, Date.now());
  invite(state);
  return takeEmails(state)[0];
}

async function emailLog(key: string) {
  const { prisma } = await database();
  return prisma.emailLog.findUnique({ where: { idempotencyKey: key } });
}

describe('email activity', function () {
  this.timeout(60_000);
  const fake = new FakeResend();
  let prisma: Awaited<ReturnType<typeof database>>['prisma'];

  before(async () => {
    prisma = (await database()).prisma;
    await fake.start();
  });
  after(() => fake.stop());

  const createOutboxSender = (outboxDir: string) =>
    createSendEmail({ prisma, config: { ...config, outboxDir }, invitationLinks: (no, validUntil) => invitationLinks(config, no, validUntil) });

  const sendEmailVia = (resend: Resend | undefined = fake.client(), outboxDir = config.outboxDir) => {
    const send = createSendEmail({ prisma, config: { ...config, outboxDir }, resend, invitationLinks: (no) => invitationLinks(config, no) });
    return (request: EmailRequest): Promise<EmailSent> => send(request);
  };
  /** Runs the activity as Temporal's attempt n would. */
  const attempt = (n: number) => ({
    run: (send: (r: EmailRequest) => Promise<EmailSent>, request: EmailRequest) =>
      new MockActivityEnvironment({ attempt: n }).run(send, request) as Promise<EmailSent>,
  });

  it("sends through Resend with the workflow's idempotency key and logs it as SENT", async () => {
    const request = invitationRequest();
    const sent = await attempt(1).run(sendEmailVia(), request);
    assert.equal(sent.delivery, 'SENT');
    const got = fake.delivered.filter((e) => e.idempotencyKey === request.idempotencyKey);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0].to, [request.context.student.personalEmail]);
    assert.equal(got[0].subject, 'HKUST: Invitation to Program Registration');
    assert.equal(got[0].from, config.EMAIL_FROM);
    assert.match(got[0].html, /<a href="http:\/\/localhost:3000\/invite\?token=/);
    assert.match(got[0].text, /Open Online Program Registration: http:\/\/localhost:3000\/invite\?token=/);
    const log = await emailLog(request.idempotencyKey);
    assert.deepEqual([log?.status, log?.providerId, log?.kind, log?.recipients], ['SENT', got[0].id, 'INVITATION', got[0].to]);
  });

  it('429 then 500 then success: retried, and the student gets ONE email; a later retry sends nothing', async () => {
    const request = invitationRequest();
    fake.respondWith(resendError.rateLimited, resendError.serverError);
    const send = sendEmailVia();
    for (const n of [1, 2]) {
      await assert.rejects(attempt(n).run(send, request), (e: unknown) => !(e instanceof ApplicationFailure) || !e.nonRetryable);
      assert.equal((await emailLog(request.idempotencyKey))?.status, 'PENDING');
    }
    assert.match((await emailLog(request.idempotencyKey))?.error ?? '', /internal_server_error \(500\)/);
    const sent = await attempt(3).run(send, request);
    assert.equal(sent.delivery, 'SENT');
    // The activity completed but the worker died before reporting it: Temporal runs it again.
    const again = await attempt(4).run(send, request);
    assert.deepEqual(again, sent);
    assert.equal(fake.requests.filter((e) => e.idempotencyKey === request.idempotencyKey).length, 3);
    assert.equal(fake.delivered.filter((e) => e.idempotencyKey === request.idempotencyKey).length, 1);
  });

  it('the same key with the same payload: Resend answers the first id and nothing more is delivered', async () => {
    const request = invitationRequest();
    const fixedLinks = async () => ({ activationUrl: 'http://idp.test/activate?token=A', registrationUrl: 'http://localhost:3000/invite?token=A' });
    const send = createSendEmail({ prisma, config, resend: fake.client(), invitationLinks: fixedLinks });
    const first = await attempt(1).run(send, request);
    // The worker died after Resend accepted but before the log said so: the row is still PENDING.
    await prisma.emailLog.update({ where: { idempotencyKey: request.idempotencyKey }, data: { status: 'PENDING', providerId: null } });
    const again = await attempt(2).run(send, request);
    assert.equal(fake.answers.at(-1), 200);
    assert.equal(again.providerId, first.providerId);
    assert.equal(fake.delivered.filter((e) => e.idempotencyKey === request.idempotencyKey).length, 1);
  });

  it('the same key with a different payload (a fresh link token): 409 invalid_idempotent_request means the first got through → SENT, one email', async () => {
    const request = invitationRequest();
    let token = 0;
    const freshLinks = async () => {
      token += 1;
      return { activationUrl: `http://idp.test/activate?token=T${token}`, registrationUrl: `http://localhost:3000/invite?token=T${token}` };
    };
    const send = createSendEmail({ prisma, config, resend: fake.client(), invitationLinks: freshLinks });
    await attempt(1).run(send, request);
    await prisma.emailLog.update({ where: { idempotencyKey: request.idempotencyKey }, data: { status: 'PENDING', providerId: null } });
    const again = await attempt(2).run(send, request);
    assert.equal(fake.answers.at(-1), 409, 'Resend refused the changed payload');
    assert.equal(again.delivery, 'SENT');
    assert.equal((await emailLog(request.idempotencyKey))?.status, 'SENT');
    const delivered = fake.delivered.filter((e) => e.idempotencyKey === request.idempotencyKey);
    assert.equal(delivered.length, 1);
    assert.match(delivered[0]!.text, /token=T1/, 'the student has the first email only');
  });

  it('a reminder carries a fresh registration link, valid until the deadline plus the resubmission window', async () => {
    const deadline = Date.now() + 200 * DAY; // beyond INVITATION_TTL_DAYS
    const state = startRegistration({ student: aStudent(), policy: policyDue(deadline, { resubmissionWindow: '14 days' }) }, Date.now());
    invite(state);
    takeEmails(state);
    advance(state, deadline - 7 * DAY);
    const [reminder] = takeEmails(state);
    assert.equal(reminder!.message.kind, 'REMINDER');
    const outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-outbox-'));
    await attempt(1).run(createOutboxSender(outboxDir), reminder!);
    const text = fs.readFileSync(outboxPaths(outboxDir, reminder!).text, 'utf8');
    const token = new URL(/Open Online Program Registration: (\S+)/.exec(text)![1]!).searchParams.get('token')!;
    assert.equal(await verifyInvitationToken(config, token), reminder!.registrationNo);
    assert.equal(decodeJwt(token).exp, Math.floor((deadline + 14 * DAY) / 1000));
  });

  it("a reminder to a student whose account is not activated carries a fresh activation link (the invitation's expires after ACTIVATION_LINK_TTL_HOURS); once activated, none", async () => {
    const deadline = Date.now() + 30 * DAY;
    const reminderOf = (activated: boolean) => {
      const state = startRegistration({ student: aStudent(), policy: policyDue(deadline) }, Date.now());
      invite(state);
      takeEmails(state);
      if (activated)
        activateAccount(state, { actor: 'system:idp', universityEmail: `${state.input.student.applicationNo.toLowerCase()}@connect.ust.hk` }, Date.now());
      advance(state, deadline - 7 * DAY);
      const reminder = takeEmails(state).find((e) => e.message.kind === 'REMINDER')!;
      assert.ok(reminder, 'a reminder is due');
      return reminder;
    };
    const send = createSendEmail({ prisma, config, resend: fake.client(), invitationLinks: (no, until) => invitationLinks(config, no, until) });
    const delivered = async (request: EmailRequest) => {
      await attempt(1).run(send, request);
      return fake.delivered.find((e) => e.idempotencyKey === request.idempotencyKey)!;
    };

    const pending = reminderOf(false);
    const sentAt = Date.now();
    const email = await delivered(pending);
    assert.match(email.text, /Your HKUST account is not activated yet: here is a new activation link\./);
    const activation = new URL(/Activate your account: (\S+)/.exec(email.text)![1]!).searchParams.get('token')!;
    assert.equal(await verifyActivationToken(config, activation), pending.registrationNo);
    const expiresIn = decodeJwt(activation).exp! * 1000 - sentAt;
    const ttl = config.ACTIVATION_LINK_TTL_HOURS * 3600_000;
    assert.ok(expiresIn > ttl - 60_000 && expiresIn <= ttl + 1000, `the activation link expires ${expiresIn} ms after sending`);
    assert.match(email.html, /Activate your account/);

    const activated = await delivered(reminderOf(true));
    assert.doesNotMatch(activated.text, /Activate your account|not activated/);
  });

  it('a network failure is transient (retryable)', async () => {
    const request = invitationRequest();
    const unreachable = new FakeResend();
    await unreachable.start();
    const client = unreachable.client();
    await unreachable.stop();
    await assert.rejects(attempt(1).run(sendEmailVia(client), request), (e: unknown) => !(e instanceof ApplicationFailure) && /no response/.test(String(e)));
  });

  it('a permanent refusal (invalid address) fails non-retryably, is logged FAILED, and is never sent again', async () => {
    const request = invitationRequest();
    fake.respondWith(resendError.invalidAddress);
    const send = sendEmailVia();
    for (const n of [1, 2]) {
      await assert.rejects(attempt(n).run(send, request), (e: unknown) => {
        assert.ok(e instanceof ApplicationFailure);
        assert.equal(e.type, EMAIL_REJECTED_FAILURE);
        assert.equal(e.nonRetryable, true);
        assert.match(e.message, /validation_error \(422\)/);
        return true;
      });
    }
    assert.equal(fake.requests.filter((e) => e.idempotencyKey === request.idempotencyKey).length, 1, 'not asked twice');
    const log = await emailLog(request.idempotencyKey);
    assert.equal(log?.status, 'FAILED');
    assert.match(log?.error ?? '', /Invalid `to` field/);
  });

  it('outbox mode (no API key): the log row and readable files, the invitation with working links', async () => {
    const request = invitationRequest();
    const outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-outbox-'));
    const sent = await attempt(1).run(createOutboxSender(outboxDir), request);
    assert.equal(sent.delivery, 'OUTBOX');
    assert.equal((await emailLog(request.idempotencyKey))?.status, 'OUTBOX');
    const files = outboxPaths(outboxDir, request);
    const text = fs.readFileSync(files.text, 'utf8');
    assert.match(text, /^To: .*@example\.com\nSubject: HKUST: Invitation to Program Registration\n/);
    assert.match(fs.readFileSync(files.html, 'utf8'), /<html lang="en">/);
    const activation = /Activate your account: (\S+)/.exec(text)![1];
    const registration = /Open Online Program Registration: (\S+)/.exec(text)![1];
    // Each link carries a token for its own job: the activation token does not open the portal, and the reverse.
    const activationToken = new URL(activation).searchParams.get('token')!;
    const registrationToken = new URL(registration).searchParams.get('token')!;
    assert.equal(await verifyActivationToken(config, activationToken), request.registrationNo);
    assert.equal(await verifyInvitationToken(config, registrationToken), request.registrationNo);
    await assert.rejects(verifyInvitationToken(config, activationToken));
    await assert.rejects(verifyActivationToken(config, registrationToken));
    assert.match(text, /Registration deadline: .* HKT/);
    assert.match(text, /progreg@ust\.hk/);
  });

  describe('through the workflow (time-skipping server)', () => {
    it('transient failures are retried by Temporal with backoff: one invitation delivered', async () => {
      const env = await timeSkippingEnv();
      fake.respondWith(resendError.rateLimited, resendError.serverError);
      await withWorker(
        env,
        async (w) => {
          const student = aStudent();
          const h = await w.start(student, policyDue((await env.currentTimeMs()) + 30 * DAY));
          await env.sleep('2 minutes'); // past the retry backoff (5 s, then 10 s)
          const s = await eventually(h, (x) => assert.equal(x.emails.length, 1));
          assert.deepEqual([s.emails[0].kind, s.emails[0].delivery], ['INVITATION', 'SENT']);
          const key = s.emails[0].idempotencyKey;
          assert.equal(fake.requests.filter((e) => e.idempotencyKey === key).length, 3);
          assert.equal(fake.delivered.filter((e) => e.idempotencyKey === key).length, 1);
        },
        { resend: fake.client() },
      );
    });

    it('a refused email is visible to staff (status, log) and the registration goes on', async () => {
      const env = await timeSkippingEnv();
      fake.respondWith(resendError.invalidAddress);
      await withWorker(
        env,
        async (w) => {
          const student = aStudent({ personalEmail: 'not-an-address' });
          const h = await w.start(student, policyDue((await env.currentTimeMs()) + 30 * DAY));
          const s = await eventually(h, (x) => assert.equal(x.emails.length, 1));
          assert.equal(s.emails[0].delivery, 'FAILED');
          assert.match(s.emails[0].error ?? '', /validation_error/);
          await activateAndSubmitForm(h, student);
          await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
          assert.equal((await h.result()).status, 'COMPLETED');
          assert.deepEqual(
            (await status(h)).emails.map((e) => `${e.kind}:${e.delivery}`),
            ['INVITATION:FAILED', 'ACKNOWLEDGEMENT:SENT'],
          );
          const audit = await prisma.auditEvent.findMany({ where: { registrationNo: student.applicationNo, type: 'EMAIL_FAILED' } });
          assert.equal(audit.length, 1);
        },
        { resend: fake.client() },
      );
    });
  });
});
