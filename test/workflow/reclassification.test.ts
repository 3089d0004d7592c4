/**
 * Reclassification on the time-skipping server with the real activities
 * (docs/domain.md, Reclassification): the checklist follows the student's new
 * facts, items no longer owed are NOT_REQUIRED with the reclassification in the
 * audit trail, new items are due by their deadline with its reminders, the read
 * model follows, and a closed registration refuses. Expected items are written
 * from the checklist table of docs/domain.md.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { RegistrationFailure, paymentConfirmedSignal, reclassifyUpdate, verifyItemUpdate, type ReclassifyInput } from '../../workflows/registration/api';
import type { RegistrationHandle } from '../../src/client';
import { database } from '../kit/servers';
import {
  DAY,
  STAFF,
  aStudent,
  activateAndSubmitForm,
  eventually,
  itemState,
  policyDue,
  refusedWith,
  status,
  submit,
  useTimeSkipping,
  withWorker,
} from './support';

const reclassify = (h: RegistrationHandle, changes: ReclassifyInput['changes'], reason = 'HKID card produced at the counter') =>
  h.executeUpdate(reclassifyUpdate, { args: [{ actor: STAFF, changes, reason }] });

describe('reclassification (time-skipping)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  useTimeSkipping((e) => (env = e));

  it('a non-local student who becomes a permanent resident loses the compulsory visa item, and completes without it', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent({ residency: 'NON_LOCAL' });
      const h = await w.start(student, policyDue((await env.currentTimeMs()) + 30 * DAY));
      assert.deepEqual(
        (await status(h)).items.map((i) => i.key),
        ['ACTIVATION', 'FORM', 'ID_DOCUMENT', 'VISA', 'PHOTO'],
      );
      await activateAndSubmitForm(h, student);
      await submit(h, ['VISA']); // handed in, awaiting review

      const view = await reclassify(h, { residency: 'LOCAL' });
      assert.equal(view.student.residency, 'LOCAL');
      assert.equal(itemState(view, 'VISA'), 'NOT_REQUIRED');
      assert.equal(view.items.find((i) => i.key === 'VISA')!.expectedVerificationBy, undefined, 'nobody has to review it any more');
      assert.deepEqual(view.outstandingItems, ['ID_DOCUMENT', 'PHOTO']);

      // The read model follows: the student's facts, the item, the audit trail with who, why and what changed.
      const { prisma } = await database();
      const no = student.applicationNo;
      await eventuallyDb(async () => {
        const reg = await prisma.registration.findUnique({ where: { applicationNo: no } });
        const visa = await prisma.checklistItem.findUnique({ where: { registrationNo_key: { registrationNo: no, key: 'VISA' } } });
        assert.equal(reg?.residency, 'LOCAL');
        assert.equal(visa?.state, 'NOT_REQUIRED');
      });
      const [event] = await prisma.auditEvent.findMany({ where: { registrationNo: no, type: 'RECLASSIFIED' } });
      assert.equal(event!.actor, STAFF);
      assert.deepEqual(event!.data, {
        reason: 'HKID card produced at the counter',
        before: { residency: 'NON_LOCAL' },
        after: { residency: 'LOCAL' },
        category: { before: 'TPG-NON_LOCAL', after: 'TPG-LOCAL' },
        added: [],
        noLongerRequired: ['VISA'],
        reinstated: [],
      });

      await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
      const result = await h.result();
      assert.deepEqual([result.status, result.reason], ['COMPLETED', 'ALL_ITEMS_VERIFIED']);
    });
  });

  it('a student reclassified as local non-JUPAS gains the tuition receipt, due by the payment deadline with its reminders, and cannot complete without paying', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent({ studyLevel: 'UG', admissionRoute: 'JUPAS', residency: 'LOCAL', programCode: 'BSC-COMP' });
      const now = await env.currentTimeMs();
      const registrationDeadline = now + 30 * DAY;
      const paymentDeadline = now + 20 * DAY;
      const h = await w.start(
        student,
        policyDue(registrationDeadline, { paymentDeadline: new Date(paymentDeadline).toISOString(), tuitionFee: { amount: 44500, currency: 'HKD' } }),
      );
      const first = await status(h);
      assert.equal(
        first.items.some((i) => i.key === 'TUITION_RECEIPT'),
        false,
        'JUPAS: no fee through registration',
      );
      assert.equal(first.deadlines.payment, undefined);
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT'], { verify: true });
      await submit(h, ['PHOTO']);

      const view = await reclassify(h, { admissionRoute: 'NON_JUPAS' }, 'admitted through the non-JUPAS route after all');
      const receipt = view.items.find((i) => i.key === 'TUITION_RECEIPT');
      assert.deepEqual([receipt?.state, receipt?.compulsory, receipt?.dueBy], ['PENDING', true, 'PAYMENT']);
      assert.equal(Date.parse(view.deadlines.payment!), paymentDeadline);
      await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'PHOTO' }] });
      assert.equal((await status(h)).status, 'IN_PROGRESS', 'everything else is verified, but the fee is owed');

      // Past the payment deadline without paying: withdrawn for the fee, after the reminders 7 and 1 days before it.
      await env.sleep(21 * DAY);
      const result = await h.result();
      assert.deepEqual([result.status, result.reason, result.items], ['WITHDRAWN', 'MISSED_FEE', ['TUITION_RECEIPT']]);
      const s = await status(h);
      const reminders = s.emails.filter((e) => e.kind === 'REMINDER').map((e) => Math.round((paymentDeadline - Date.parse(e.at)) / DAY));
      assert.deepEqual(reminders, [7, 1]);
    });
  });

  it('a taught postgraduate reclassified as a local non-JUPAS undergraduate completes once the fee is paid', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent({ studyLevel: 'TPG', residency: 'LOCAL' });
      const h = await w.start(student, policyDue((await env.currentTimeMs()) + 30 * DAY, { tuitionFee: { amount: 44500, currency: 'HKD' } }));
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT'], { verify: true });
      await submit(h, ['PHOTO']);
      // The cohort has no payment deadline: the fee is due by the registration deadline.
      const view = await reclassify(h, { studyLevel: 'UG', admissionRoute: 'NON_JUPAS', programCode: 'BENG-CIVL' });
      assert.deepEqual(
        view.items.filter((i) => i.state !== 'VERIFIED').map((i) => [i.key, i.state, i.dueBy]),
        [
          ['TUITION_RECEIPT', 'PENDING', 'REGISTRATION'],
          ['PHOTO', 'SUBMITTED', null],
        ],
      );
      assert.deepEqual([view.student.studyLevel, view.student.admissionRoute, view.student.programCode], ['UG', 'NON_JUPAS', 'BENG-CIVL']);
      await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'PHOTO' }] });
      assert.equal((await status(h)).status, 'IN_PROGRESS', 'not complete without the fee');
      await h.signal(paymentConfirmedSignal, {
        actor: 'system:payment',
        paymentRef: 'P-RECLASS-1',
        amount: 44500,
        currency: 'HKD',
        paidAt: new Date(await env.currentTimeMs()).toISOString(),
      });
      const result = await h.result();
      assert.deepEqual([result.status, result.reason], ['COMPLETED', 'ALL_ITEMS_VERIFIED']);
    });
  });

  it('is refused when an item would be owed after its deadline, when it is not a valid student or changes nothing, and once the registration is closed', async () => {
    await withWorker(env, async (w) => {
      const registrationDeadline = (await env.currentTimeMs()) + 10 * DAY;
      const supplementaryItems = [{ code: 'FINAL_TRANSCRIPT', label: 'Final transcript', appliesTo: { studyLevels: ['TPG' as const] } }];
      const student = aStudent({ residency: 'LOCAL', studyLevel: 'TPG' });
      const h = await w.start(student, policyDue(registrationDeadline, { supplementaryItems }));
      await refusedWith(RegistrationFailure.InvalidInput, reclassify(h, { residency: 'LOCAL' }), /changes nothing/);
      await refusedWith(RegistrationFailure.InvalidInput, reclassify(h, { studyLevel: 'UG' }), /admission route/);
      await refusedWith(RegistrationFailure.InvalidInput, reclassify(h, { admissionRoute: 'JUPAS' }), /only undergraduates/);
      await refusedWith(RegistrationFailure.InvalidInput, reclassify(h, { residency: 'NON_LOCAL' }, '  '), /reason/);
      // This cohort sets no tuition fee: a student who would owe it would have no known amount to pay.
      await refusedWith(RegistrationFailure.InvalidInput, reclassify(h, { studyLevel: 'UG', admissionRoute: 'NON_JUPAS' }), /no tuition fee/);

      // After the registration deadline (INCOMPLETE: the transcript may follow), a new visa could only withdraw the student.
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
      await env.sleep(11 * DAY);
      await eventually(h, (s) => assert.equal(s.status, 'INCOMPLETE'));
      await refusedWith(RegistrationFailure.InvalidTransition, reclassify(h, { residency: 'NON_LOCAL' }), /Visa.*registration deadline.*has passed/);

      // Losing an item is allowed after the deadline: a research student owes no transcript, so nothing is owed.
      const view = await reclassify(h, { studyLevel: 'RPG', programCode: 'MPHIL-CSE' }, 'transferred to the research program');
      assert.equal(itemState(view, 'SUPPLEMENTARY:FINAL_TRANSCRIPT'), 'NOT_REQUIRED');
      const result = await h.result();
      assert.deepEqual([result.status, result.reason], ['COMPLETED', 'ALL_ITEMS_VERIFIED']);
      // Closed: the workflow has ended, so nothing reaches it any more (the gateway answers 409, see the state test for the rule itself).
      await assert.rejects(reclassify(h, { programCode: 'MSC-BDT' }));
    });
  });
});

async function eventuallyDb(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
