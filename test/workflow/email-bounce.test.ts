/**
 * An invitation that bounces, end to end on the time-skipping server: the real
 * workflow and activities send through the resend SDK to the fake Resend, which
 * reports a hard bounce for `bounced@resend.dev` to a real gateway's email
 * webhook, signed as Resend signs; the gateway signals the workflow. Time is
 * skipped past the reminders, then staff correct the address.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PrismaClient } from '../../src/db/prisma';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { correctPersonalEmailUpdate } from '../../workflows/registration/api';
import { FakeResend } from '../kit/fake-resend';
import { database, timeSkippingEnv, uniq } from '../kit/servers';
import { fetchJson, startGateway } from '../gateway/support';
import { DAY, STAFF, aStudent, eventually, policyDue, status, withWorker } from './support';

describe('an invitation that bounces (time-skipping server, fake Resend, real gateway)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let fake: FakeResend;
  before(async () => {
    env = await timeSkippingEnv();
    fake = await new FakeResend().start();
  });
  after(async () => fake?.stop());

  it('flags the registration, alerts the registry, sends no reminder to the address, and a corrected address gets one fresh invitation and the next reminder', async () => {
    const applicationNo = uniq('A');
    const bounced = `bounced+${applicationNo.toLowerCase()}@resend.dev`;
    const corrected = `${applicationNo.toLowerCase()}@example.com`;
    const student = aStudent({ applicationNo, personalEmail: bounced });
    const { prisma } = await database();
    await withWorker(
      env,
      async (h) => {
        const gw = await startGateway({ temporal: env.client, env: { TEMPORAL_TASK_QUEUE: h.taskQueue } });
        try {
          fake.sendEventsTo(`${gw.url}/api/webhooks/email`, gw.config.RESEND_WEBHOOK_SECRET!);
          // The time-skipping server's clock, not the wall clock: earlier tests in the run have skipped it days ahead.
          const started = await env.currentTimeMs();
          // Deadline in 10 days; reminders 7 days and 1 day before it.
          const handle = await h.start(student, policyDue(started + 10 * DAY, { reminderOffsets: ['7 days', '1 day'] }));

          const flagged = await eventually(handle, (s) => assert.equal(s.personalEmailProblem?.problem, 'BOUNCED'), 30_000);
          assert.equal(flagged.personalEmailProblem!.address, bounced);
          const alert = await waitFor(() =>
            fake.delivered.find((e) => e.subject === 'Invitation undeliverable: Program Registration' && e.text.includes(applicationNo)),
          );
          assert.deepEqual(alert.to, ['registry-alerts@ust.hk']);
          assert.match(alert.text, new RegExp(bounced.replace(/[+.]/g, '\\$&')));
          const delivery = await waitFor(() => prisma.emailDelivery.findFirst({ where: { registrationNo: applicationNo, kind: 'INVITATION' } }));
          assert.equal(delivery.state, 'BOUNCED');
          assert.equal(delivery.idempotencyKey, `registration-${applicationNo}:INVITATION:1`);

          // Past the 7-day reminder: it is due, but not sent to the address that bounced (nor to anyone: no university email yet).
          await env.sleep(4 * DAY);
          const afterReminder = await status(handle);
          assert.deepEqual(
            afterReminder.emails.map((e) => `${e.kind}→${e.to.join(',')}`),
            [`INVITATION→${bounced}`, 'ADDRESS_UNDELIVERABLE→registry-alerts@ust.hk'],
          );
          const audit = await waitFor(async () => {
            const rows = await prisma.auditEvent.findMany({ where: { registrationNo: applicationNo }, orderBy: { seq: 'asc' } });
            return rows.some((r) => r.type === 'EMAIL_NOT_SENT') ? rows : undefined;
          });
          assert.deepEqual(
            audit.filter((r) => ['REMINDER_DUE', 'EMAIL_NOT_SENT'].includes(r.type)).map((r) => [r.type, (r.data as { kind?: string }).kind ?? null]),
            [
              ['REMINDER_DUE', null],
              ['EMAIL_NOT_SENT', 'REMINDER'],
            ],
          );

          // Staff correct the address through the gateway, with a reason.
          const key = await staffKey(gw.prisma);
          const res = await fetchJson(`${gw.url}/api/registrations/${applicationNo}/personal-email`, {
            method: 'POST',
            bearer: key,
            json: { personalEmail: corrected.toUpperCase(), reason: 'The applicant phoned with the right address.' },
          });
          assert.equal(res.status, 200, JSON.stringify(res.body));
          assert.equal(res.body.student.personalEmail, corrected);
          assert.equal(res.body.personalEmailProblem, undefined);
          await waitFor(() => (fake.delivered.filter((e) => e.to.includes(corrected)).length === 1 ? true : undefined));

          // Past the 1-day reminder (day 9): it goes to the corrected address.
          await env.sleep(5 * DAY + 3_600_000);
          const last = await eventually(handle, (s) => assert.ok(s.emails.some((e) => e.kind === 'REMINDER')), 30_000);
          assert.deepEqual(
            last.emails.map((e) => `${e.kind}→${e.to.join(',')}`),
            [`INVITATION→${bounced}`, 'ADDRESS_UNDELIVERABLE→registry-alerts@ust.hk', `INVITATION→${corrected}`, `REMINDER→${corrected}`],
          );
          assert.equal(fake.delivered.filter((e) => e.to.includes(bounced)).length, 1, 'only the first invitation went to the address that bounced');
          assert.deepEqual(
            fake.delivered.filter((e) => e.to.includes(corrected)).map((e) => e.subject),
            ['HKUST: Invitation to Program Registration', 'Reminder: Program Registration deadline'],
          );
          const correction = await waitFor(() => prisma.auditEvent.findFirst({ where: { registrationNo: applicationNo, type: 'PERSONAL_EMAIL_CORRECTED' } }));
          assert.deepEqual(correction.data, { from: bounced, to: corrected, reason: 'The applicant phoned with the right address.', problem: 'BOUNCED' });
          assert.match(correction.actor, /^staff:/);
          const row = await waitFor(async () => {
            const r = await prisma.registration.findUnique({ where: { applicationNo } });
            return r?.personalEmail === corrected ? r : undefined;
          });
          assert.equal(row.personalEmailProblem, null);
        } finally {
          await fake.eventsSettled();
          await gw.close();
        }
      },
      { resend: fake.client() },
    );
  });

  it('refuses a correction without a reason or to the same address, before anything is recorded', async () => {
    const student = aStudent();
    await withWorker(env, async (h) => {
      const handle = await h.start(student, policyDue((await env.currentTimeMs()) + 10 * DAY));
      await assert.rejects(
        handle.executeUpdate(correctPersonalEmailUpdate, { args: [{ actor: STAFF, personalEmail: 'new@example.com', reason: ' ' }] }),
        refusedFor(/a correction needs a reason/),
      );
      await assert.rejects(
        handle.executeUpdate(correctPersonalEmailUpdate, { args: [{ actor: STAFF, personalEmail: student.personalEmail.toUpperCase(), reason: 'typo' }] }),
        refusedFor(/already the personal email on record/),
      );
      await assert.rejects(
        handle.executeUpdate(correctPersonalEmailUpdate, { args: [{ actor: STAFF, personalEmail: 'not an address', reason: 'typo' }] }),
        refusedFor(/not an email address/),
      );
      const s = await eventually(handle, (v) =>
        assert.deepEqual(
          v.emails.map((e) => e.kind),
          ['INVITATION'],
        ),
      );
      assert.equal(s.student.personalEmail, student.personalEmail);
      assert.equal(s.seq, 2, 'nothing recorded but the start and the invitation');
    });
  });
});

/** Polls until `fn` answers something (side effects land asynchronously). */
async function waitFor<T>(fn: () => T | undefined | null | Promise<T | undefined | null>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== null) return v;
    if (Date.now() > until) throw new Error(`nothing within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function staffKey(prisma: PrismaClient): Promise<string> {
  return (await createStaffKey(prisma, { name: uniq('officer.'), role: 'officer' })).key;
}

/** An update refused by its validator, for this reason. */
const refusedFor = (reason: RegExp) => (e: unknown) => reason.test(String((e as { cause?: Error }).cause?.message));
