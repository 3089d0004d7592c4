/**
 * Reclassification on the state machine alone (docs/domain.md, Reclassification):
 * refused once closed, an item no longer required is given back as it was when a
 * later reclassification makes it owed again, and a student who stops being an
 * undergraduate loses the admission route, the fee and its payment deadline.
 */
import assert from 'node:assert/strict';
import { RegistrationFailure, defaultCohortPolicy } from '../../workflows/registration/api';
import { takeEmails } from '../../workflows/registration/email-decisions';
import { reclassify } from '../../workflows/registration/reclassification';
import { startRegistration } from '../../workflows/registration/state';
import { declineOffer, registerDocument } from '../../workflows/registration/student-actions';
import { statusView, takeSnapshot } from '../../workflows/registration/views';
import { DEADLINE, T0, refused, registration, student } from './state-support';
import { DAY, STAFF, upload } from './support';

const reason = 'documents seen at the counter';

describe('registration state: reclassification', () => {
  it('is refused once the registration is closed', () => {
    const r = registration();
    declineOffer(r, { actor: 'student:A100' }, T0 + DAY);
    refused(
      RegistrationFailure.InvalidTransition,
      () => reclassify(r, { actor: STAFF, changes: { residency: 'NON_LOCAL' }, reason }, T0 + 2 * DAY),
      /already WITHDRAWN/,
    );
  });

  it('an item no longer required comes back as it was (the upload kept, awaiting review again) when it is owed again', () => {
    const r = registration(student({ residency: 'NON_LOCAL' }));
    registerDocument(r, upload('VISA'), T0 + DAY);
    takeSnapshot(r);
    reclassify(r, { actor: STAFF, changes: { residency: 'LOCAL' }, reason }, T0 + 2 * DAY);
    assert.equal(statusView(r).items.find((i) => i.key === 'VISA')!.state, 'NOT_REQUIRED');
    const back = reclassify(r, { actor: STAFF, changes: { residency: 'NON_LOCAL' }, reason: 'the HKID card was a visitor card' }, T0 + 3 * DAY);
    const visa = back.items.find((i) => i.key === 'VISA')!;
    assert.equal(visa.state, 'SUBMITTED');
    assert.equal(visa.submissions.length, 1);
    assert.ok(visa.expectedVerificationBy, 'a fresh service level');
    const events = takeSnapshot(r).events.filter((e) => e.type === 'RECLASSIFIED');
    assert.deepEqual(
      events.map((e) => [e.data.noLongerRequired, e.data.reinstated, e.data.added]),
      [
        [['VISA'], [], []],
        [[], ['VISA'], []],
      ],
    );
  });

  it('a local non-JUPAS undergraduate who becomes a taught postgraduate loses the admission route, the fee item and the payment deadline', () => {
    const policy = defaultCohortPolicy(new Date(DEADLINE).toISOString(), { paymentDeadline: new Date(DEADLINE - 10 * DAY).toISOString() });
    const r = registration(student({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' }), policy);
    assert.ok(statusView(r).deadlines.payment);
    const v = reclassify(r, { actor: STAFF, changes: { studyLevel: 'TPG', programCode: 'MSC-IT' }, reason }, T0 + DAY);
    assert.equal(v.student.admissionRoute, undefined);
    assert.equal(v.items.find((i) => i.key === 'TUITION_RECEIPT')!.state, 'NOT_REQUIRED');
    assert.equal(v.deadlines.payment, undefined);
    assert.deepEqual(v.outstandingItems, ['ACTIVATION', 'FORM', 'ID_DOCUMENT', 'PHOTO']);
  });

  describe('the student is told what changed in the checklist (CHECKLIST_CHANGED)', () => {
    const fee = { amount: 42100, currency: 'HKD' };
    const payBy = DEADLINE - 10 * DAY;
    const feeCohort = defaultCohortPolicy(new Date(DEADLINE).toISOString(), { paymentDeadline: new Date(payBy).toISOString(), tuitionFee: fee });

    it('a non-local student made local non-JUPAS: the fee is owed by the payment deadline, the visa no longer', () => {
      const r = registration(student({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'NON_LOCAL' }), feeCohort);
      reclassify(r, { actor: STAFF, changes: { residency: 'LOCAL' }, reason }, T0 + DAY);
      const emails = takeEmails(r);
      assert.deepEqual(
        emails.map((e) => [e.message.kind, e.to, e.idempotencyKey]),
        [['CHECKLIST_CHANGED', ['a100@example.com'], 'registration-A100:CHECKLIST_CHANGED:1']],
      );
      assert.deepEqual(emails[0]!.message, {
        kind: 'CHECKLIST_CHANGED',
        owed: [{ key: 'TUITION_RECEIPT', label: 'Tuition payment receipt', compulsory: true, dueBy: 'PAYMENT', by: '2027-06-21T02:00:00.000Z' }],
        noLongerRequired: [{ key: 'VISA', label: 'Visa / entry permit' }],
      });
    });

    it('a move to another program of the same category changes no item and sends nothing', () => {
      const r = registration();
      reclassify(r, { actor: STAFF, changes: { programCode: 'BSC-MATH' }, reason }, T0 + DAY);
      assert.deepEqual(takeEmails(r), []);
    });

    it('a registration started before the rule (a history that replays) sends nothing', () => {
      const r = startRegistration({ student: student({ residency: 'NON_LOCAL' }), policy: defaultCohortPolicy(new Date(DEADLINE).toISOString()) }, T0, []);
      takeEmails(r);
      reclassify(r, { actor: STAFF, changes: { residency: 'LOCAL' }, reason }, T0 + DAY);
      assert.deepEqual(takeEmails(r), []);
    });
  });
});
