/**
 * Every path of the registration, on Temporal's time-skipping test server with
 * the real activities (PostgreSQL projection, outbox emails). Deadlines are
 * reached by skipping time, never by sleeping. Search attributes are asserted
 * on the dev server (messages.dev-server.test.ts): this server cannot register
 * custom ones.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import Holidays from 'date-holidays';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { outboxPaths } from '../../activities/email/send-email';
import { hkTime } from '../../activities/email/templates';
import {
  accountActivatedSignal,
  declineOfferUpdate,
  extendDeadlineUpdate,
  paymentConfirmedSignal,
  registerDocumentUpdate,
  rejectItemUpdate,
  verifyItemUpdate,
  waiveItemUpdate,
} from '../../workflows/registration/api';
import { database } from '../kit/servers';
import {
  DAY,
  HOUR,
  STAFF,
  aStudent,
  activateAndSubmitForm,
  assertEmails,
  emailKinds,
  eventually,
  itemState,
  policyDue,
  status,
  submit,
  universityEmailOf,
  upload,
  useTimeSkipping,
  withWorker,
} from './support';
import { recordHistory } from './histories';

describe('registration paths (time-skipping)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  useTimeSkipping((e) => (env = e));

  const both = (s: ReturnType<typeof aStudent>) => `${s.personalEmail},${universityEmailOf(s)}`;

  it('completes on time: everything verified before the deadline → COMPLETED with the acknowledgement to both addresses', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue((await env.currentTimeMs()) + 30 * DAY));
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });

      const result = await h.result();
      assert.equal(result.status, 'COMPLETED');
      assert.equal(result.reason, 'ALL_ITEMS_VERIFIED');
      const s = await status(h);
      assert.deepEqual(
        s.items.map((i) => `${i.key}:${i.state}`),
        ['ACTIVATION:VERIFIED', 'FORM:VERIFIED', 'ID_DOCUMENT:VERIFIED', 'PHOTO:VERIFIED'],
      );
      assert.deepEqual(s.outstandingItems, []);
      assert.equal(s.cardReady, true);
      assertEmails(s, [`INVITATION→${student.personalEmail}`, `ACKNOWLEDGEMENT→${both(student)}`]);
    });
  });

  it('supplementary items owed at the deadline → INCOMPLETE with the follow-up, then COMPLETED when they are verified', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent({ studyLevel: 'RPG' });
      const policy = policyDue((await env.currentTimeMs()) + 30 * DAY, {
        supplementaryItems: [{ code: 'FINAL_TRANSCRIPT', label: 'Final transcript' }],
      });
      const h = await w.start(student, policy);
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
      assert.equal((await status(h)).status, 'IN_PROGRESS', 'the transcript is still owed, but the deadline has not passed');

      await env.sleep(31 * DAY);
      const incomplete = await eventually(h, (s) => assert.deepEqual(emailKinds(s), ['INVITATION', 'FOLLOW_UP']));
      assert.equal(incomplete.status, 'INCOMPLETE');
      assert.deepEqual(incomplete.outcome?.items, ['SUPPLEMENTARY:FINAL_TRANSCRIPT']);
      assert.deepEqual(incomplete.outstandingItems, ['SUPPLEMENTARY:FINAL_TRANSCRIPT']);
      assert.equal(incomplete.emails[1].to.join(','), both(student));

      await submit(h, ['SUPPLEMENTARY:FINAL_TRANSCRIPT'], { verify: true });
      const result = await h.result();
      assert.equal(result.status, 'COMPLETED');
      assertEmails(await status(h), [`INVITATION→${student.personalEmail}`, `FOLLOW_UP→${both(student)}`, `ACKNOWLEDGEMENT→${both(student)}`]);
    });
  });

  it('a compulsory document never submitted → WITHDRAWN at the deadline, after reminders 7 days and 1 day before', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent();
      const deadline = (await env.currentTimeMs()) + 30 * DAY;
      const h = await w.start(student, policyDue(deadline));
      await activateAndSubmitForm(h, student);

      const result = await h.result();
      assert.equal(result.status, 'WITHDRAWN');
      assert.equal(result.reason, 'MISSED_COMPULSORY_ITEM');
      assert.deepEqual(result.items, ['ID_DOCUMENT']);
      assert.ok(Date.parse(result.at) >= deadline, 'not before the deadline');
      const s = await status(h);
      assertEmails(s, [`INVITATION→${student.personalEmail}`, `REMINDER→${both(student)}`, `REMINDER→${both(student)}`, `WITHDRAWAL→${both(student)}`]);
      const reminders = s.emails.filter((e) => e.kind === 'REMINDER').map((e) => Math.round((deadline - Date.parse(e.at)) / DAY));
      assert.deepEqual(reminders, [7, 1]);
    });
  });

  it('local UG non-JUPAS student without the fee at the payment deadline → WITHDRAWN (fee), though the rest was in', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' });
      const registrationDeadline = (await env.currentTimeMs()) + 30 * DAY;
      const paymentDeadline = registrationDeadline + 14 * DAY;
      const h = await w.start(student, policyDue(registrationDeadline, { paymentDeadline: new Date(paymentDeadline).toISOString() }));
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
      const receipt = (await status(h)).items.find((i) => i.key === 'TUITION_RECEIPT');
      assert.deepEqual([receipt?.compulsory, receipt?.dueBy], [true, 'PAYMENT']);

      await env.sleep(31 * DAY);
      const afterRegistration = await eventually(h, (s) => assert.equal(s.deadlines.registrationPassed, true));
      assert.equal(afterRegistration.status, 'IN_PROGRESS', 'the fee is judged at its own deadline');

      const result = await h.result();
      assert.equal(result.status, 'WITHDRAWN');
      assert.equal(result.reason, 'MISSED_FEE');
      assert.deepEqual(result.items, ['TUITION_RECEIPT']);
      assert.ok(Date.parse(result.at) >= paymentDeadline);
      const s = await status(h);
      assertEmails(s, [`INVITATION→${student.personalEmail}`, `REMINDER→${both(student)}`, `REMINDER→${both(student)}`, `WITHDRAWAL→${both(student)}`]);
      assert.ok(
        s.emails.filter((e) => e.kind === 'REMINDER').every((e) => Date.parse(e.at) > registrationDeadline),
        'reminders are for the payment deadline',
      );
    });
  });

  it('non-local student without the visa document → WITHDRAWN', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent({ residency: 'NON_LOCAL', studyLevel: 'TPG' });
      const h = await w.start(student, policyDue((await env.currentTimeMs()) + 30 * DAY));
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
      const visa = (await status(h)).items.find((i) => i.key === 'VISA');
      assert.deepEqual([visa?.compulsory, visa?.state], [true, 'PENDING']);

      const result = await h.result();
      assert.deepEqual([result.status, result.reason, result.items], ['WITHDRAWN', 'MISSED_COMPULSORY_ITEM', ['VISA']]);
      assert.deepEqual(emailKinds(await status(h)), ['INVITATION', 'REMINDER', 'REMINDER', 'WITHDRAWAL']);
    });
  });

  it('rejection before the deadline, then resubmission: both versions kept, the student told why, COMPLETED', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent();
      const deadline = (await env.currentTimeMs()) + 30 * DAY;
      const h = await w.start(student, policyDue(deadline));
      await activateAndSubmitForm(h, student);
      await submit(h, ['PHOTO'], { verify: true });
      const first = upload('ID_DOCUMENT');
      await h.executeUpdate(registerDocumentUpdate, { args: [first] });
      const rejected = await h.executeUpdate(rejectItemUpdate, {
        args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'The scan is blurred; please rescan.' }],
      });
      assert.equal(rejected.state, 'REJECTED');
      assert.equal(Date.parse(rejected.resubmitBy!), deadline, 'rejected long before the deadline: the deadline still applies');
      await eventually(h, (s) => assert.deepEqual(emailKinds(s), ['INVITATION', 'REJECTION']));

      const second = upload('ID_DOCUMENT');
      const resubmitted = await h.executeUpdate(registerDocumentUpdate, { args: [second] });
      assert.equal(resubmitted.state, 'SUBMITTED');
      await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT' }] });

      const result = await h.result();
      assert.equal(result.status, 'COMPLETED');
      const s = await status(h);
      const id = s.items.find((i) => i.key === 'ID_DOCUMENT')!;
      assert.deepEqual(
        id.submissions.map((x) => [x.version, x.sha256]),
        [
          [1, first.sha256],
          [2, second.sha256],
        ],
      );
      assert.deepEqual(
        id.reviews.map((r) => [r.decision, r.reasonCode, r.actor]),
        [
          ['REJECTED', 'UNREADABLE', STAFF],
          ['VERIFIED', undefined, STAFF],
        ],
      );
      assertEmails(s, [`INVITATION→${student.personalEmail}`, `REJECTION→${both(student)}`, `ACKNOWLEDGEMENT→${both(student)}`]);
    });
  });

  describe('rejection after the deadline opens the resubmission window', () => {
    async function rejectAfterDeadline(w: Parameters<Parameters<typeof withWorker>[1]>[0]) {
      const student = aStudent();
      const deadline = (await env.currentTimeMs()) + 30 * DAY;
      const h = await w.start(student, policyDue(deadline));
      await activateAndSubmitForm(h, student);
      await submit(h, ['PHOTO'], { verify: true });
      await submit(h, ['ID_DOCUMENT']);
      await env.sleep(31 * DAY);
      const waiting = await eventually(h, (s) => assert.equal(s.deadlines.registrationPassed, true));
      assert.equal(waiting.status, 'IN_PROGRESS', 'submitted on time, verification may finish later');
      const rejectedAt = await env.currentTimeMs();
      const rejected = await h.executeUpdate(rejectItemUpdate, {
        args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'This passport expired last year.' }],
      });
      const window = Date.parse(rejected.resubmitBy!) - rejectedAt;
      assert.ok(Math.abs(window - 14 * DAY) < HOUR, `window of 14 days, got ${window / DAY} days`);
      return { student, h, rejectedAt };
    }

    it('put right inside the window → not withdrawn; COMPLETED once verified', async () => {
      await withWorker(env, async (w) => {
        const { h } = await rejectAfterDeadline(w);
        await env.sleep(10 * DAY);
        await submit(h, ['ID_DOCUMENT']);
        // The shared test server's clock is wherever earlier files left it: 5 working days after the day of
        // submission take up to 12 calendar days (across Lunar New Year), so 14 see the alert in any season.
        await env.sleep(14 * DAY);
        assert.equal((await status(h)).status, 'IN_PROGRESS', 'the window closed harmlessly: the item was resubmitted');
        await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT' }] });
        assert.equal((await h.result()).status, 'COMPLETED');
        // Each submission waited more than 5 working days for staff: the registry was alerted each time.
        assert.deepEqual(emailKinds(await status(h)), ['INVITATION', 'SLA_ALERT', 'REJECTION', 'SLA_ALERT', 'ACKNOWLEDGEMENT']);
      });
    });

    it('not put right inside the window → WITHDRAWN when the window closes', async () => {
      await withWorker(env, async (w) => {
        const { h, rejectedAt, student } = await rejectAfterDeadline(w);
        const result = await h.result();
        assert.deepEqual([result.status, result.reason, result.items], ['WITHDRAWN', 'UNRESOLVED_REJECTION', ['ID_DOCUMENT']]);
        assert.ok(Math.abs(Date.parse(result.at) - (rejectedAt + 14 * DAY)) < HOUR);
        assertEmails(await status(h), [
          `INVITATION→${student.personalEmail}`,
          'SLA_ALERT→registry-alerts@ust.hk',
          `REJECTION→${both(student)}`,
          `WITHDRAWAL→${both(student)}`,
        ]);
      });
    });
  });

  it('deadline extended: the old deadline passes harmlessly, reminders follow the new one, which is enforced', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent();
      const deadline = (await env.currentTimeMs()) + 30 * DAY;
      const newDeadline = deadline + 14 * DAY;
      const h = await w.start(student, policyDue(deadline));
      await activateAndSubmitForm(h, student);
      await env.sleep(24 * DAY); // past the 7-day reminder of the original deadline
      const extended = await h.executeUpdate(extendDeadlineUpdate, {
        args: [{ actor: STAFF, deadline: 'REGISTRATION', until: new Date(newDeadline).toISOString(), reason: 'hospitalised' }],
      });
      assert.equal(Date.parse(extended.deadlines.registration), newDeadline);

      await env.sleep(7 * DAY); // past the original deadline
      const s = await status(h);
      assert.equal(s.status, 'IN_PROGRESS');
      assert.equal(s.deadlines.registrationPassed, false);

      const result = await h.result();
      assert.deepEqual([result.status, result.items], ['WITHDRAWN', ['ID_DOCUMENT']]);
      assert.ok(Date.parse(result.at) >= newDeadline);
      const reminders = (await status(h)).emails.filter((e) => e.kind === 'REMINDER').map((e) => Date.parse(e.at));
      assert.deepEqual(
        reminders.map((t) => [Math.round((deadline - t) / DAY), Math.round((newDeadline - t) / DAY)]),
        [
          [7, 21],
          [-7, 7],
          [-13, 1],
        ],
        'one reminder before the old date, then 7 and 1 days before the new one',
      );
      // The student was told the new date, to both addresses (the account was activated).
      const told = (await status(h)).emails.filter((e) => e.kind === 'DEADLINE_EXTENDED');
      assert.deepEqual(
        told.map((e) => e.to),
        [[student.personalEmail, universityEmailOf(student)]],
      );
      const outbox = fs.readFileSync(
        outboxPaths(w.config.outboxDir, { registrationNo: student.applicationNo, idempotencyKey: told[0]!.idempotencyKey }).text,
        'utf8',
      );
      assert.match(outbox, new RegExp(`extended from .* to ${hkTime(new Date(newDeadline).toISOString()).replace(/[()]/g, '.')}`));
    });
  });

  it('waiver: staff waive the identification document and the photo (who and why kept) → COMPLETED, no card without a photo', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue((await env.currentTimeMs()) + 30 * DAY));
      await activateAndSubmitForm(h, student);
      await h.executeUpdate(waiveItemUpdate, { args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT', reason: 'verified in person at the counter' }] });
      await h.executeUpdate(waiveItemUpdate, { args: [{ actor: STAFF, itemKey: 'PHOTO', reason: 'card issued from the 2024 photo' }] });
      assert.equal((await h.result()).status, 'COMPLETED');
      const s = await status(h);
      const id = s.items.find((i) => i.key === 'ID_DOCUMENT')!;
      assert.equal(id.state, 'WAIVED');
      assert.deepEqual(
        id.reviews.map((r) => [r.decision, r.actor, r.note]),
        [['WAIVED', STAFF, 'verified in person at the counter']],
      );
      assert.equal(s.cardReady, false);
    });
  });

  it('decline: the student declines → WITHDRAWN with the notice, and no reminder afterwards (time skipped while the workflow is still open)', async () => {
    // The withdrawal notice is held back (the mail provider is down) so the workflow stays open
    // while time passes the reminder's moment: a reminder decided after the decline would show.
    let providerDown = true;
    await withWorker(
      env,
      async (w) => {
        const student = aStudent();
        // The 7-day reminder falls 3 hours after the start.
        const h = await w.start(student, policyDue((await env.currentTimeMs()) + 7 * DAY + 3 * HOUR));
        await h.signal(accountActivatedSignal, { actor: 'system:idp', universityEmail: universityEmailOf(student) });
        const declined = await h.executeUpdate(declineOfferUpdate, { args: [{ actor: 'student', reason: 'accepted another offer' }] });
        assert.equal(declined.status, 'WITHDRAWN');
        await env.sleep(5 * HOUR);
        assert.equal((await h.describe()).status.name, 'RUNNING', "still open after the reminder's moment");
        providerDown = false;
        const result = await h.result();
        assert.deepEqual([result.status, result.reason], ['WITHDRAWN', 'DECLINED']);
        assertEmails(await status(h), [`INVITATION→${student.personalEmail}`, `WITHDRAWAL→${both(student)}`]);
      },
      {
        wrapActivities: (a) => ({
          ...a,
          async sendEmail(request) {
            if (request.message.kind === 'WITHDRAWAL' && providerDown) throw new Error('mail provider unreachable');
            return a.sendEmail(request);
          },
        }),
      },
    );
  });

  it('wake-up timers outlive messages: one per moment waited for, the earlier service level cancelled once verified, the later reminder kept and on time', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent();
      const deadline = (await env.currentTimeMs()) + 30 * DAY;
      const h = await w.start(student, policyDue(deadline));
      await activateAndSubmitForm(h, student);
      // The photo's verification service level (5 working days) comes before the 7-day reminder (23 days on); the
      // identification document, never submitted, keeps the reminders due and withdraws the student at the deadline.
      await h.executeUpdate(registerDocumentUpdate, { args: [upload('PHOTO')] });
      await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'PHOTO' }] });

      const result = await h.result();
      assert.deepEqual([result.status, result.reason, result.items], ['WITHDRAWN', 'MISSED_COMPULSORY_ITEM', ['ID_DOCUMENT']]);
      const s = await status(h);
      const reminders = s.emails.filter((e) => e.kind === 'REMINDER').map((e) => Math.round((deadline - Date.parse(e.at)) / DAY));
      assert.deepEqual(reminders, [7, 1]);

      // Four messages, four emails, and only four timers: the 7-day reminder's (kept through every message), the
      // service level's (cancelled when the document was verified), the 1-day reminder's and the deadline's.
      const events = (await h.fetchHistory()).events ?? [];
      const startedAt = (e: (typeof events)[number]) => {
        const t = e.eventTime!;
        const fire = e.timerStartedEventAttributes!.startToFireTimeout!;
        return Number(t.seconds) * 1000 + Math.round((t.nanos ?? 0) / 1e6) + Number(fire.seconds) * 1000 + Math.round((fire.nanos ?? 0) / 1e6);
      };
      const fires = events.filter((e) => e.timerStartedEventAttributes).map(startedAt);
      assert.equal(fires.length, 4, `timers started: ${fires.map((f) => new Date(f).toISOString()).join(', ')}`);
      const near = (at: number, expected: number) => Math.abs(at - expected) < 1000;
      assert.ok(near(fires[0], deadline - 7 * DAY), 'first: the 7-day reminder');
      assert.ok(fires[1] < deadline - 7 * DAY, 'second: the service level, before that reminder');
      assert.ok(near(fires[2], deadline - 1 * DAY), 'third: the 1-day reminder');
      assert.ok(near(fires[3], deadline), 'fourth: the deadline');
      assert.equal(events.filter((e) => e.timerCanceledEventAttributes).length, 1);
    });
  });

  describe('reminders', () => {
    it('stop once every compulsory item is in, and none after the outcome (INCOMPLETE)', async () => {
      await withWorker(env, async (w) => {
        const student = aStudent();
        const deadline = (await env.currentTimeMs()) + 30 * DAY;
        const h = await w.start(student, policyDue(deadline));
        await activateAndSubmitForm(h, student);
        await env.sleep(24 * DAY); // the 7-day reminder went out: the document is missing
        await eventually(h, (s) => assert.deepEqual(emailKinds(s), ['INVITATION', 'REMINDER']));
        await submit(h, ['ID_DOCUMENT']); // in, not yet verified: no 1-day reminder
        await env.sleep(7 * DAY);
        const s = await eventually(h, (x) => assert.equal(x.status, 'INCOMPLETE'));
        assert.deepEqual(s.outcome?.items, ['PHOTO']);
        await env.sleep(30 * DAY);
        // (The document then waits for staff beyond the service level: an alert to the registry, not a reminder.
        // Whether that alert falls before or after the outcome's follow-up depends on the working days, hence on
        // the calendar date the time-skipping server starts from: only the set of the last two is the rule.)
        const kinds = emailKinds(await status(h));
        assert.deepEqual(kinds.slice(0, 2), ['INVITATION', 'REMINDER']);
        assert.deepEqual([...kinds.slice(2)].sort(), ['FOLLOW_UP', 'SLA_ALERT']);
      });
    });

    it('are not sent when nothing compulsory is missing', async () => {
      await withWorker(env, async (w) => {
        const student = aStudent();
        const h = await w.start(student, policyDue((await env.currentTimeMs()) + 30 * DAY));
        await activateAndSubmitForm(h, student);
        await submit(h, ['ID_DOCUMENT', 'PHOTO']);
        await env.sleep(31 * DAY);
        const s = await status(h);
        assert.equal(s.status, 'IN_PROGRESS', 'everything submitted on time; verification pending');
        assert.deepEqual(emailKinds(s), ['INVITATION', 'SLA_ALERT', 'SLA_ALERT'], 'no reminder; the registry is alerted about the two unverified items');
      });
    });
  });

  it('verification service level: 5 working days skip a weekend and a Hong Kong public holiday; the registry is alerted once when missed', async () => {
    // A Thursday before a Monday public holiday, with no other holiday that week or the next:
    // working days are Fri (1), Tue (2), Wed (3), Thu (4), Fri (5) → expected by the second Friday.
    const hk = new Holidays('HK');
    const isHoliday = (d: Date) => (hk.isHoliday(d) || []).some((h) => h.type === 'public');
    const hkNoon = (ms: number) => new Date(`${new Date(ms + 8 * HOUR).toISOString().slice(0, 10)}T04:00:00Z`); // 12:00 HKT
    let monday: Date | undefined;
    const from = await env.currentTimeMs();
    for (let t = from + 7 * DAY; !monday; t += DAY) {
      const d = hkNoon(t);
      const offsets = [-4, -3, 1, 2, 3, 4];
      if (d.getUTCDay() === 1 && isHoliday(d) && offsets.every((o) => !isHoliday(new Date(d.getTime() + o * DAY)))) monday = d;
      assert.ok(t < from + 800 * DAY, 'no Monday holiday found in two years');
    }
    const thursday10am = monday.getTime() - 4 * DAY - 2 * HOUR;
    const expectedFriday = new Date(monday.getTime() + 4 * DAY).toISOString().slice(0, 10);

    await withWorker(env, async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(thursday10am + 60 * DAY));
      await activateAndSubmitForm(h, student);
      await env.sleep(thursday10am - (await env.currentTimeMs()));
      const submitted = await h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT')] });
      assert.equal(submitted.expectedVerificationDate, expectedFriday, `submitted ${new Date(thursday10am).toISOString()}, holiday ${monday!.toISOString()}`);
      const endOfFridayHk = Date.parse(`${expectedFriday}T16:00:00Z`);
      assert.equal(Date.parse(submitted.expectedVerificationBy!), endOfFridayHk);

      await env.sleep(endOfFridayHk - HOUR - (await env.currentTimeMs()));
      assert.equal((await status(h)).items.find((i) => i.key === 'ID_DOCUMENT')!.slaBreached, false);
      await env.sleep(2 * HOUR);
      const s = await eventually(h, (x) => assert.deepEqual(emailKinds(x), ['INVITATION', 'SLA_ALERT']));
      assert.deepEqual(s.emails[1].to, ['registry-alerts@ust.hk']);
      assert.equal(s.items.find((i) => i.key === 'ID_DOCUMENT')!.slaBreached, true);
      await env.sleep(10 * DAY);
      assert.deepEqual(emailKinds(await status(h)), ['INVITATION', 'SLA_ALERT'], 'alerted once');
      const { prisma } = await database();
      const overdue = await prisma.auditEvent.findMany({ where: { registrationNo: student.applicationNo, type: 'VERIFICATION_OVERDUE' } });
      assert.equal(overdue.length, 1);
      // The replay fixture of this path (RECORD_HISTORIES=1 only): days must pass, which only the time-skipping server does.
      await recordHistory('verification-overdue', h);
    });
  });

  it('duplicate signals are harmless: a repeated activation or payment webhook changes nothing', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' });
      const h = await w.start(student, policyDue((await env.currentTimeMs()) + 30 * DAY, { tuitionFee: { amount: 44500, currency: 'HKD' } }));
      await activateAndSubmitForm(h, student);
      await eventually(h, (s) => assert.deepEqual(emailKinds(s), ['INVITATION'])); // its delivery is an event too
      await h.signal(accountActivatedSignal, { actor: 'system:idp', universityEmail: 'someone-else@connect.ust.hk' });
      await h.signal(paymentConfirmedSignal, { actor: 'system:payment', paymentRef: 'PAY-1', amount: 44500, currency: 'HKD' });
      const afterPayment = await eventually(h, (s) => assert.equal(itemState(s, 'TUITION_RECEIPT'), 'VERIFIED'));
      await h.signal(paymentConfirmedSignal, { actor: 'system:payment', paymentRef: 'PAY-1', amount: 44500, currency: 'HKD' });
      await h.signal(accountActivatedSignal, { actor: 'system:idp', universityEmail: universityEmailOf(student) });
      const s = await status(h);
      assert.equal(s.seq, afterPayment.seq, 'no event recorded for the duplicates');
      assert.equal(s.universityEmail, universityEmailOf(student));
      const receipt = s.items.find((i) => i.key === 'TUITION_RECEIPT')!;
      assert.deepEqual(
        receipt.reviews.map((r) => [r.decision, r.actor]),
        [['VERIFIED', 'system:payment']],
      );

      await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
      assert.equal((await h.result()).status, 'COMPLETED');
      assert.deepEqual(emailKinds(await status(h)), ['INVITATION', 'ACKNOWLEDGEMENT']);
      const { prisma } = await database();
      const events = await prisma.auditEvent.groupBy({ by: ['type'], where: { registrationNo: student.applicationNo }, _count: true });
      const count = Object.fromEntries(events.map((e) => [e.type, e._count]));
      assert.equal(count.ACCOUNT_ACTIVATED, 1);
      assert.equal(count.PAYMENT_CONFIRMED, 1);
    });
  });
});
