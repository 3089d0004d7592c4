/**
 * Records the replay fixtures (test/fixtures/histories/*.json) from real runs on
 * the Temporal dev server with search attributes ON, so the production path
 * (search-attribute upserts included) is what test/workflow/replay.test.ts replays.
 *
 *   RECORD_HISTORIES=1 npx mocha test/workflow/record-histories.dev-server.test.ts -g '<fixture name>'
 *
 * Record only the fixture a change adds: the others are histories of code as it was released, which running
 * registrations still hold, and are kept as recorded (recorded again today, a fixture named for a patch would take
 * the newest patch generation instead, workflows/patches.ts, and guard nothing old).
 *
 * Without RECORD_HISTORIES=1 it is skipped: it is the recorder, not a test (each path is asserted here only so a
 * broken path is not recorded). The dev server does not skip time, so deadlines are a few seconds ahead.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RegistrationActivities } from '../../activities';
import type { RegistrationHandle } from '../../src/client';
import { recordLateAfterClose } from '../../src/gateway/routes/late-events';
import { lateEventWorkflowId } from '../../workflows/late-event/workflow';
import {
  MAX_SUBMISSIONS_PER_ITEM,
  RegistrationFailure,
  accessRevokedSignal,
  reclassifyUpdate,
  correctFormUpdate,
  correctPersonalEmailUpdate,
  emailUndeliverableSignal,
  declineOfferUpdate,
  extendDeadlineUpdate,
  paymentConfirmedSignal,
  registerDocumentUpdate,
  rejectItemUpdate,
  removePageUpdate,
  sendForReviewUpdate,
  signInLinkRequestedSignal,
  verifyItemUpdate,
  waiveItemUpdate,
  type EmailKind,
  type RegistrationResult,
  type StudentRecord,
} from '../../workflows/registration/api';
import { database, devServerEnv } from '../kit/servers';
import { recordHistory, type RecordedPath } from './histories';
import { DAY, STAFF, aStudent, activateAndSubmitForm, eventually, policyDue, projected, submit, untilIdle, upload, withWorker, type Harness } from './support';

const SECOND = 1000;

describe('record replay fixtures (dev server, search attributes on)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;

  before(async function () {
    if (process.env.RECORD_HISTORIES !== '1') this.skip();
    this.timeout(180_000);
    env = await devServerEnv();
    await database();
  });

  /** Runs a path on its own worker with search attributes on, checks its outcome, and writes its history. */
  const record = (
    name: RecordedPath,
    path: (start: Harness) => Promise<RegistrationHandle>,
    expected: Pick<RegistrationResult, 'status' | 'reason'>,
    options: Pick<Parameters<typeof withWorker>[2] & object, 'wrapActivities'> = {},
  ) =>
    it(name, async () => {
      await withWorker(
        env,
        async (w) => {
          const h = await path(w);
          const result = await h.result();
          assert.deepEqual([result.status, result.reason], [expected.status, expected.reason]);
          await recordHistory(name, h);
        },
        { searchAttributes: true, ...options },
      );
    });

  /** Holds every email of one kind until `release()`: the emails behind it wait in the workflow's queue. */
  function holdEmails(kind: EmailKind) {
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    return {
      release: () => release(),
      wrapActivities: (a: RegistrationActivities): RegistrationActivities => ({
        ...a,
        async sendEmail(request) {
          if (request.message.kind === kind) await released;
          return a.sendEmail(request);
        },
      }),
    };
  }

  /** Activation, form, identification document and photo verified: what completes a local postgraduate. */
  async function completeLocalPostgraduate(h: RegistrationHandle, student: StudentRecord): Promise<void> {
    await activateAndSubmitForm(h, student);
    await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
  }

  /** A local postgraduate who does everything on time. */
  async function completedOnTime(w: Harness): Promise<RegistrationHandle> {
    const student = aStudent();
    const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
    await completeLocalPostgraduate(h, student);
    return h;
  }

  record('completed-on-time', completedOnTime, { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' });

  // The same path on today's code: the run takes the tracing patch, so the traced production path is guarded too.
  record('traced-completed-on-time', completedOnTime, { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' });

  // The same path with search attributes upserted only when their value changes.
  record('attributes-on-change-completed-on-time', completedOnTime, { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' });

  // The same path taking its release's patches under one generation's marker (workflows/patches.ts).
  record('patch-generation-completed-on-time', completedOnTime, { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' });

  // The same path taking every patch under the second generation's one marker (workflows/patches.ts).
  record('patch-generation-2-completed-on-time', completedOnTime, { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' });

  // The same path taking every patch, the projector's too, under the third generation's one marker.
  record('patch-generation-3-completed-on-time', completedOnTime, { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' });

  // The same path with its wake-up timer kept across messages.
  record('kept-timers-completed-on-time', completedOnTime, { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' });

  // A registration at its first idle state (invitation sent, projection written), waiting for its student: what a
  // worker replays when a student's first action finds it out of the cache (`npm run bench:replay -- --fixture first-idle`).
  it('first-idle', async () => {
    await withWorker(
      env,
      async (w) => {
        const h = await w.start(aStudent(), policyDue(Date.now() + 60 * DAY));
        await eventually(h, (s) => assert.ok(s.emails.some((e) => e.kind === 'INVITATION')));
        await projected(h);
        assert.equal(await untilIdle(h), true, 'running, nothing pending');
        await recordHistory('first-idle', h);
      },
      { searchAttributes: true },
    );
  });

  record(
    'incomplete-then-completed',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 5 * SECOND));
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT'], { verify: true });
      await eventually(h, (s) => assert.equal(s.status, 'INCOMPLETE'), 15 * SECOND);
      await submit(h, ['PHOTO'], { verify: true });
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  record(
    'withdrawn-missed-document',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 4 * SECOND));
      await activateAndSubmitForm(h, student);
      return h;
    },
    { status: 'WITHDRAWN', reason: 'MISSED_COMPULSORY_ITEM' },
  );

  // withdrawn-missed-fee.json is kept as recorded under the fee rule before 'fee-settled-by-paid-at' (rule-changes.ts):
  // registrations started then still replay it. Under the current rule the fee is decided when its settlement grace
  // period (Hong Kong working days) ends, which the dev server cannot skip to: fee-paths.test.ts records that path
  // on the time-skipping server (fee-decided-after-grace-period.json).

  record(
    'rejected-then-resubmitted',
    async (w) => {
      const student = aStudent({ residency: 'NON_LOCAL' });
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
      await h.executeUpdate(registerDocumentUpdate, { args: [upload('VISA')] });
      await h.executeUpdate(rejectItemUpdate, { args: [{ actor: STAFF, itemKey: 'VISA', reasonCode: 'EXPIRED', note: 'upload the renewed permit' }] });
      await h.executeUpdate(registerDocumentUpdate, { args: [upload('VISA')] });
      await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'VISA' }] });
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  record(
    'rejected-after-deadline-unresolved',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 4 * SECOND, { resubmissionWindow: '3 seconds' }));
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT']);
      await eventually(h, (s) => assert.equal(s.deadlines.registrationPassed, true), 15 * SECOND);
      await h.executeUpdate(rejectItemUpdate, { args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred' }] });
      return h;
    },
    { status: 'WITHDRAWN', reason: 'UNRESOLVED_REJECTION' },
  );

  record(
    'deadline-extended',
    async (w) => {
      const student = aStudent();
      const start = Date.now();
      const h = await w.start(student, policyDue(start + 4 * SECOND));
      await h.executeUpdate(extendDeadlineUpdate, {
        args: [{ actor: STAFF, deadline: 'REGISTRATION', until: new Date(start + 8 * SECOND).toISOString(), reason: 'typhoon signal 8' }],
      });
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT'], { verify: true });
      // Still IN_PROGRESS after the first date; INCOMPLETE after the new one (the photo is owed).
      await eventually(h, (s) => assert.equal(s.status, 'INCOMPLETE'), 20 * SECOND);
      await h.executeUpdate(waiveItemUpdate, { args: [{ actor: STAFF, itemKey: 'PHOTO', reason: 'photo taken on campus' }] });
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  // Two extensions while the first one's email still waits (the invitation ahead of it is held): the second folds
  // into the waiting email, which goes out once, with the newest date (docs/domain.md, Extensions).
  const invitation = holdEmails('INVITATION');
  record(
    'deadline-extension-folded',
    async (w) => {
      const student = aStudent();
      const start = Date.now();
      const h = await w.start(student, policyDue(start + 30 * DAY));
      const extend = (days: number) =>
        h.executeUpdate(extendDeadlineUpdate, {
          args: [{ actor: STAFF, deadline: 'REGISTRATION', until: new Date(start + days * DAY).toISOString(), reason: 'late visa' }],
        });
      await extend(40);
      await extend(45);
      invitation.release();
      await eventually(
        h,
        (s) =>
          assert.deepEqual(
            s.emails.map((e) => e.kind),
            ['INVITATION', 'DEADLINE_EXTENDED'],
          ),
        15 * SECOND,
      );
      await h.executeUpdate(declineOfferUpdate, { args: [{ actor: 'student', reason: 'accepted another offer' }] });
      return h;
    },
    { status: 'WITHDRAWN', reason: 'DECLINED' },
    { wrapActivities: invitation.wrapActivities },
  );

  record(
    'declined',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      await h.signal(paymentConfirmedSignal, { actor: 'system:payment', paymentRef: 'P-1' });
      await h.executeUpdate(declineOfferUpdate, { args: [{ actor: 'student', reason: 'accepted another offer' }] });
      return h;
    },
    { status: 'WITHDRAWN', reason: 'DECLINED' },
  );

  record(
    'form-corrected',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      await activateAndSubmitForm(h, student);
      const corrected = await h.executeUpdate(correctFormUpdate, {
        args: [{ actor: STAFF, changes: { phone: '+852 5555 1234', emergencyContact: { phone: '+852 5555 9999' } }, reason: 'student called the registry' }],
      });
      assert.equal(corrected.form?.phone, '+852 5555 1234');
      await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  record(
    'sign-in-link-requested',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      // The same request twice (one email), then another request (a second email).
      await h.signal(signInLinkRequestedSignal, { actor: 'system:gateway', requestId: 'record-1' });
      await h.signal(signInLinkRequestedSignal, { actor: 'system:gateway', requestId: 'record-1' });
      await h.signal(signInLinkRequestedSignal, { actor: 'system:gateway', requestId: 'record-2' });
      await eventually(h, (s) => assert.equal(s.emails.filter((e) => e.kind === 'SIGN_IN_LINK').length, 2));
      await completeLocalPostgraduate(h, student);
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  /**
   * A non-local taught postgraduate becomes a permanent resident (the visa is no longer required), then is found
   * to be a local non-JUPAS undergraduate (the tuition receipt is added), pays, and completes.
   */
  const reclassifiedThenCompleted = (paymentRef: string) => async (w: Harness) => {
    const student = aStudent({ residency: 'NON_LOCAL', studyLevel: 'TPG' });
    const h = await w.start(student, policyDue(Date.now() + 30 * DAY, { tuitionFee: { amount: 44500, currency: 'HKD' } }));
    await activateAndSubmitForm(h, student);
    await submit(h, ['VISA']);
    const local = await h.executeUpdate(reclassifyUpdate, { args: [{ actor: STAFF, changes: { residency: 'LOCAL' }, reason: 'HKID card produced' }] });
    assert.equal(local.items.find((i) => i.key === 'VISA')?.state, 'NOT_REQUIRED');
    const ug = await h.executeUpdate(reclassifyUpdate, {
      args: [{ actor: STAFF, changes: { studyLevel: 'UG', admissionRoute: 'NON_JUPAS', programCode: 'BENG-CIVL' }, reason: 'admitted to the BEng' }],
    });
    assert.equal(ug.items.find((i) => i.key === 'TUITION_RECEIPT')?.state, 'PENDING');
    await h.signal(paymentConfirmedSignal, { actor: 'system:payment', paymentRef, amount: 44500, currency: 'HKD', paidAt: new Date().toISOString() });
    await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
    return h;
  };

  record('reclassified', reclassifiedThenCompleted('P-RECLASS-REC'), { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' });

  // The same path since the student is emailed what changed (rule 'reclassification-emails-the-student').
  record('reclassified-student-emailed', reclassifiedThenCompleted('P-RECLASS-EMAILED'), { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' });

  record(
    'access-revoked',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      // Staff revoke the student's access (a retry of the same request records nothing more): a fresh link is emailed to the student.
      const revoked = { actor: STAFF, requestId: 'revoke-1', revokedAt: new Date().toISOString(), reason: 'invitation forwarded' };
      await h.signal(accessRevokedSignal, revoked);
      await h.signal(accessRevokedSignal, revoked);
      await eventually(h, (s) =>
        assert.deepEqual(
          s.emails.filter((e) => e.kind === 'SIGN_IN_LINK').map((e) => e.to),
          [[student.personalEmail]],
        ),
      );
      await completeLocalPostgraduate(h, student);
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  record(
    'personal-email-bounced',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      await eventually(h, (s) => assert.equal(s.emails.length, 1));
      // The invitation bounced for good (reported twice, as a provider may): flagged once, the registry told once.
      const bounce = {
        actor: 'system:resend',
        problem: 'BOUNCED' as const,
        recipients: [student.personalEmail],
        providerId: 'email_recorded',
        emailKey: `registration-${student.applicationNo}:INVITATION:1`,
      };
      await h.signal(emailUndeliverableSignal, bounce);
      await h.signal(emailUndeliverableSignal, bounce);
      await eventually(h, (s) => assert.equal(s.personalEmailProblem?.problem, 'BOUNCED'));
      const fixed = `${student.applicationNo.toLowerCase()}@example.org`;
      await h.executeUpdate(correctPersonalEmailUpdate, { args: [{ actor: STAFF, personalEmail: fixed, reason: 'the applicant phoned' }] });
      await eventually(h, (s) =>
        assert.deepEqual(
          s.emails.map((e) => e.kind),
          ['INVITATION', 'ADDRESS_UNDELIVERABLE', 'INVITATION'],
        ),
      );
      await completeLocalPostgraduate(h, student);
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  // The outcome is reached, and while its email is still going out (the workflow is open) a payment arrives.
  const withdrawal = holdEmails('WITHDRAWAL');
  record(
    'late-event-while-open',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      await h.executeUpdate(declineOfferUpdate, { args: [{ actor: 'student', reason: 'accepted another offer' }] });
      await h.signal(paymentConfirmedSignal, { actor: 'system:payment', paymentRef: 'P-LATE-1', amount: 100_000, currency: 'HKD' });
      // Recorded by the open workflow (read model row); its email waits behind the withdrawal notice (emails go in order).
      const { prisma } = await database();
      for (const until = Date.now() + 15 * SECOND; !(await prisma.lateEvent.count({ where: { registrationNo: student.applicationNo } }));) {
        assert.ok(Date.now() < until, 'the late payment was not recorded');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal((await h.describe()).status.name, 'RUNNING');
      withdrawal.release();
      await eventually(
        h,
        (s) =>
          assert.deepEqual(
            s.emails.map((e) => e.kind),
            ['INVITATION', 'WITHDRAWAL', 'LATE_EVENT'],
          ),
        15 * SECOND,
      );
      return h;
    },
    { status: 'WITHDRAWN', reason: 'DECLINED' },
    { wrapActivities: withdrawal.wrapActivities },
  );

  it('late-event-after-close', async () => {
    await withWorker(
      env,
      async (w) => {
        const student = aStudent();
        const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
        await h.executeUpdate(declineOfferUpdate, { args: [{ actor: 'student' }] });
        assert.equal((await h.result()).status, 'WITHDRAWN');
        // What the payment webhook does for a closed registration (routes/webhooks.ts), with the production helper.
        const input = {
          applicationNo: student.applicationNo,
          event: 'PAYMENT' as const,
          actor: 'system:payment',
          deliveryKey: `record:${student.applicationNo}`,
          data: { paymentRef: 'P-AFTER-1', amount: 100_000, currency: 'HKD' },
        };
        await recordLateAfterClose(w.client, w.taskQueue, input);
        const ref = createHash('sha256').update(input.deliveryKey).digest('hex').slice(0, 24);
        const late = w.client.workflow.getHandle(lateEventWorkflowId(student.applicationNo, ref));
        const done = (await late.result()) as { seq: number; emailKey: string };
        assert.equal(done.emailKey, `registration-${student.applicationNo}:LATE_EVENT:${ref}`);
        await recordHistory('late-event-after-close', late as unknown as RegistrationHandle);
      },
      { searchAttributes: true },
    );
  });

  record(
    'payment-mismatch',
    async (w) => {
      const student = aStudent({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' });
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY, { tuitionFee: { amount: 100_000, currency: 'HKD' } }));
      await completeLocalPostgraduate(h, student);
      // Half the fee: recorded and flagged for staff, never settled; staff reject it; the full fee then settles it.
      await h.signal(paymentConfirmedSignal, { actor: 'system:payment', paymentRef: 'P-HALF', amount: 50_000, currency: 'HKD' });
      const flagged = await eventually(h, (s) => assert.ok(s.items.find((i) => i.key === 'TUITION_RECEIPT')?.flag));
      assert.equal(flagged.items.find((i) => i.key === 'TUITION_RECEIPT')!.state, 'SUBMITTED');
      await h.executeUpdate(rejectItemUpdate, {
        args: [{ actor: STAFF, itemKey: 'TUITION_RECEIPT', reasonCode: 'OTHER', note: 'half the fee was paid; please pay the rest' }],
      });
      await h.signal(paymentConfirmedSignal, { actor: 'system:payment', paymentRef: 'P-FULL', amount: 100_000, currency: 'HKD' });
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  record(
    'upload-cap',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      await activateAndSubmitForm(h, student);
      // Each after the registry rejected the one before: a file sent for review is not replaced.
      for (let i = 0; i < MAX_SUBMISSIONS_PER_ITEM; i++) {
        if (i > 0) {
          await h.executeUpdate(rejectItemUpdate, { args: [{ actor: STAFF, itemKey: 'PHOTO', reasonCode: 'UNREADABLE', note: `rejection ${i}` }] });
        }
        await h.executeUpdate(registerDocumentUpdate, { args: [upload('PHOTO')] });
      }
      await h.executeUpdate(rejectItemUpdate, { args: [{ actor: STAFF, itemKey: 'PHOTO', reasonCode: 'UNREADABLE', note: 'the last' }] });
      // The 11th is refused by the validator, before anything is recorded.
      await assert.rejects(h.executeUpdate(registerDocumentUpdate, { args: [upload('PHOTO')] }), (e: unknown) => {
        assert.ok(e instanceof WorkflowUpdateFailedError && e.cause instanceof ApplicationFailure);
        assert.equal(e.cause.type, RegistrationFailure.SubmissionLimitReached);
        return true;
      });
      // No eleventh submission: the registry takes the photo another way.
      await h.executeUpdate(waiveItemUpdate, { args: [{ actor: STAFF, itemKey: 'PHOTO', reason: 'photo taken at the counter' }] });
      await submit(h, ['ID_DOCUMENT'], { verify: true });
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  record(
    'document-id-retried',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      await activateAndSubmitForm(h, student);
      // The gateway's retry of a timed-out upload: the same document id (and bytes) again, under a new update id.
      const doc = upload('ID_DOCUMENT', { documentId: randomUUID() });
      const first = await h.executeUpdate(registerDocumentUpdate, { args: [doc], updateId: 'record-upload-1' });
      const again = await h.executeUpdate(registerDocumentUpdate, { args: [doc], updateId: 'record-upload-2' });
      assert.deepEqual(
        again.submissions.map((s) => s.documentId),
        [doc.documentId],
      );
      assert.equal(first.submissions.length, 1);
      await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT' }] });
      await submit(h, ['PHOTO'], { verify: true });
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  record(
    'document-pages',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      await activateAndSubmitForm(h, student);
      // Two pages, one taken out again, the other sent; the rejection opens the next submission, of one page.
      const page = () => upload('ID_DOCUMENT', { keepDraft: true, documentId: randomUUID() });
      await h.executeUpdate(registerDocumentUpdate, { args: [page()] });
      await h.executeUpdate(registerDocumentUpdate, { args: [page()] });
      await h.executeUpdate(removePageUpdate, { args: [{ actor: 'student', itemKey: 'ID_DOCUMENT', page: 1 }] });
      const sent = await h.executeUpdate(sendForReviewUpdate, { args: [{ actor: 'student', itemKey: 'ID_DOCUMENT' }] });
      assert.deepEqual(
        sent.submissions.map((s) => [s.version, s.page]),
        [[1, 2]],
      );
      await h.executeUpdate(rejectItemUpdate, {
        args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'INCOMPLETE_PAGES', note: 'the back is missing' }],
      });
      await h.executeUpdate(registerDocumentUpdate, { args: [page()] });
      await h.executeUpdate(sendForReviewUpdate, { args: [{ actor: 'student', itemKey: 'ID_DOCUMENT' }] });
      await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT' }] });
      await submit(h, ['PHOTO'], { verify: true });
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  record(
    'sent-submission-locked',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      await activateAndSubmitForm(h, student);
      // A page kept, then the same bytes sent at once: one page, sent for review.
      const kept = upload('ID_DOCUMENT', { keepDraft: true, documentId: randomUUID() });
      await h.executeUpdate(registerDocumentUpdate, { args: [kept] });
      const sent = await h.executeUpdate(registerDocumentUpdate, { args: [{ ...kept, keepDraft: undefined, documentId: randomUUID() }] });
      assert.equal(sent.state, 'SUBMITTED');
      assert.deepEqual(
        sent.submissions.map((s) => s.sha256),
        [kept.sha256],
      );
      // Another file while it awaits review: refused before anything is recorded.
      await assert.rejects(h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT', { documentId: randomUUID() })] }), WorkflowUpdateFailedError);
      await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT' }] });
      await submit(h, ['PHOTO'], { verify: true });
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  /** Holds the projection that carries the identification document's upload until `release()`. */
  function holdIdDocumentProjection() {
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    return {
      release: () => release(),
      wrapActivities: (a: RegistrationActivities): RegistrationActivities => ({
        ...a,
        async projectRegistration(snapshot) {
          if (snapshot.events.some((e) => e.type === 'DOCUMENT_REGISTERED' && e.data.itemKey === 'ID_DOCUMENT')) await released;
          return a.projectRegistration(snapshot);
        },
      }),
    };
  }

  // The production path since the projector (patch 'update-answers-before-projection'): every update answers in the
  // workflow task that accepted it, and the changes made while a projection is in flight go out together in the next.
  // Recorded twice: before the patch generations (the projector's marker alone) and since patches-2026-12-07-2 (the
  // generation's marker and the projector's, which came after it and is on its own until the next generation).
  for (const name of ['projector-batched-changes', 'projector-generation-batched-changes'] as const) recordProjectorBatch(name);
  function recordProjectorBatch(name: RecordedPath): void {
    const held = holdIdDocumentProjection();
    record(
      name,
      async (w) => {
        const student = aStudent();
        const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
        await activateAndSubmitForm(h, student);
        await h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT', { documentId: randomUUID() })] });
        // Answered while the identification document's projection is held: projected together once it is released.
        await h.executeUpdate(registerDocumentUpdate, { args: [upload('PHOTO', { documentId: randomUUID() })] });
        await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT' }] });
        await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'PHOTO' }] });
        held.release();
        return h;
      },
      { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
      { wrapActivities: held.wrapActivities },
    );
  }
});
