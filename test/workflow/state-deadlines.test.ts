/**
 * The registration state machine without Temporal: the deadline rules at their
 * edges, the policy numbers, deadline extensions, form corrections and
 * sign-in links.
 */
import assert from 'node:assert/strict';
import { RegistrationFailure, defaultCohortPolicy } from '../../workflows/registration/api';
import { invite, startRegistration } from '../../workflows/registration/state';
import { activateAccount, requestSignInLink } from '../../workflows/registration/event-actions';
import { submitForm, checkRegisterDocument, registerDocument, declineOffer } from '../../workflows/registration/student-actions';
import { checkVerifyItem, rejectItem } from '../../workflows/registration/review-actions';
import { extendDeadline, checkCorrectForm, correctForm } from '../../workflows/registration/staff-actions';
import { advance, nextWakeUp } from '../../workflows/registration/time-actions';
import { takeEmails } from '../../workflows/registration/email-decisions';
import { statusView, takeSnapshot } from '../../workflows/registration/views';
import type { RegistrationRecord } from '../../workflows/registration/records';
import { DEADLINE, T0, refused, registration, student } from './state-support';
import { DAY, HOUR, STAFF, upload } from './support';
import { validForm } from '../kit/samples';

describe('registration state: deadlines and policy', () => {
  describe('deadline rules', () => {
    const complete = (r: RegistrationRecord, now: number) => {
      activateAccount(r, { actor: 'system:idp', universityEmail: 'a100@connect.ust.hk' }, now);
      submitForm(r, { actor: 'student', form: validForm }, now);
    };

    it('a compulsory item rejected shortly before the deadline keeps the full resubmission window after it', () => {
      const r = registration();
      complete(r, T0);
      registerDocument(r, upload('PHOTO'), T0);
      registerDocument(r, upload('ID_DOCUMENT'), T0);
      const rejectedAt = DEADLINE - DAY;
      const item = rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'expired' }, rejectedAt);
      assert.equal(Date.parse(item.resubmitBy!), rejectedAt + 14 * DAY);
      advance(r, DEADLINE);
      assert.equal(r.status, 'IN_PROGRESS', 'submitted on time: not withdrawn at the deadline');
      advance(r, rejectedAt + 14 * DAY);
      assert.deepEqual([r.status, r.outcome?.reason], ['WITHDRAWN', 'UNRESOLVED_REJECTION']);
    });

    it('a compulsory item rejected long before the deadline and never resubmitted is withdrawn at the deadline', () => {
      const r = registration();
      complete(r, T0);
      registerDocument(r, upload('ID_DOCUMENT'), T0);
      rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'expired' }, T0 + DAY);
      advance(r, DEADLINE);
      assert.deepEqual([r.status, r.outcome?.reason, r.outcome?.items], ['WITHDRAWN', 'UNRESOLVED_REJECTION', ['ID_DOCUMENT']]);
    });

    it('a payment deadline before the registration deadline is enforced first', () => {
      const s = student({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS' });
      const r = registration(s, defaultCohortPolicy(new Date(DEADLINE).toISOString(), { paymentDeadline: new Date(DEADLINE - 10 * DAY).toISOString() }));
      complete(r, T0);
      assert.equal(nextWakeUp(r, T0)?.what, 'reminder before the payment deadline');
      advance(r, DEADLINE - 10 * DAY);
      // Mon 21 Jun 2027 10:00 HKT; the fee is decided after 3 working days (Tue 22, Wed 23, Thu 24): 00:00 HKT Fri 25 Jun.
      assert.equal(r.status, 'IN_PROGRESS');
      const decided = Date.parse('2027-06-24T16:00:00Z');
      advance(r, decided - 1);
      assert.equal(r.status, 'IN_PROGRESS');
      advance(r, decided);
      assert.deepEqual([r.status, r.outcome?.reason], ['WITHDRAWN', 'MISSED_FEE']);
    });

    it('reminders: one per offset before each date, none for offsets that fell before the date was set', () => {
      const r = startRegistration({ student: student(), policy: defaultCohortPolicy(new Date(T0 + 3 * DAY).toISOString()) }, T0);
      takeEmails(r);
      assert.equal(nextWakeUp(r, T0)?.at, T0 + 2 * DAY, 'the 7-day reminder was due before the start: only the 1-day one');
      advance(r, T0 + 2 * DAY);
      advance(r, T0 + 2 * DAY + HOUR);
      assert.deepEqual(
        takeEmails(r).map((e) => e.message.kind),
        ['REMINDER'],
      );
    });

    it('every change has the next sequence number; a snapshot carries the events since the previous one', () => {
      const r = registration();
      const first = takeSnapshot(r);
      assert.deepEqual(
        first.events.map((e) => [e.seq, e.type]),
        [[1, 'REGISTRATION_STARTED']],
      );
      complete(r, T0);
      const second = takeSnapshot(r);
      assert.deepEqual(
        second.events.map((e) => [e.seq, e.type]),
        [
          [2, 'ACCOUNT_ACTIVATED'],
          [3, 'FORM_SUBMITTED'],
        ],
      );
      assert.equal(second.seq, 3);
      assert.deepEqual(takeSnapshot(r).events, []);
    });

    it('submitted on time is what counts: a submitted item awaiting review takes no other file, before or after the deadline; staff still decide on it', () => {
      const r = registration();
      complete(r, T0);
      registerDocument(r, upload('ID_DOCUMENT'), DEADLINE - DAY);
      refused(RegistrationFailure.InvalidTransition, () => checkRegisterDocument(r, upload('ID_DOCUMENT'), DEADLINE - HOUR), /sent for review/);
      advance(r, DEADLINE);
      refused(RegistrationFailure.InvalidTransition, () => checkRegisterDocument(r, upload('ID_DOCUMENT'), DEADLINE + HOUR), /sent for review/);
      checkVerifyItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT' }, DEADLINE + HOUR);
      rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred' }, DEADLINE + HOUR);
      checkRegisterDocument(r, upload('ID_DOCUMENT'), DEADLINE + 2 * HOUR); // rejected: may be resubmitted inside its window
    });

    it('one resubmission window per item: a second rejection after the deadline does not open another', () => {
      const r = registration();
      complete(r, T0);
      registerDocument(r, upload('PHOTO'), T0);
      registerDocument(r, upload('ID_DOCUMENT'), T0);
      advance(r, DEADLINE);
      const first = rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'expired' }, DEADLINE + DAY);
      const windowEnds = DEADLINE + DAY + 14 * DAY;
      assert.equal(Date.parse(first.resubmitBy!), windowEnds);
      registerDocument(r, upload('ID_DOCUMENT'), DEADLINE + 10 * DAY);
      const second = rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'still blurred' }, DEADLINE + 12 * DAY);
      // The same window, not a new 14 days; its clock stood still the 2 days the registry held the replacement.
      const movedEnd = windowEnds + 2 * DAY;
      assert.equal(Date.parse(second.resubmitBy!), movedEnd, 'the same window, not a new 14 days');
      advance(r, movedEnd - 1);
      assert.equal(r.status, 'IN_PROGRESS');
      refused(RegistrationFailure.InvalidTransition, () => checkRegisterDocument(r, upload('ID_DOCUMENT'), movedEnd), /due by/);
      advance(r, movedEnd);
      assert.deepEqual([r.status, r.outcome?.reason, r.outcome?.items], ['WITHDRAWN', 'UNRESOLVED_REJECTION', ['ID_DOCUMENT']]);
    });

    it("the window's clock stops while the registry holds the replacement: rejected D+1, resubmitted D+13, rejected D+17 → upload by D+19", () => {
      const r = registration();
      complete(r, T0);
      registerDocument(r, upload('PHOTO'), T0);
      registerDocument(r, upload('ID_DOCUMENT'), T0);
      advance(r, DEADLINE);
      takeEmails(r);
      rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'expired' }, DEADLINE + DAY); // window to D+15
      registerDocument(r, upload('ID_DOCUMENT'), DEADLINE + 13 * DAY); // 2 of the 14 days left
      advance(r, DEADLINE + 15 * DAY);
      assert.equal(r.status, 'IN_PROGRESS', 'held by the registry at D+15: the window does not close under it');
      takeEmails(r);
      const again = rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred' }, DEADLINE + 17 * DAY);
      assert.equal(again.resubmitBy, new Date(DEADLINE + 19 * DAY).toISOString(), 'the 2 days left, from the second rejection');
      const [rejection] = takeEmails(r);
      assert.deepEqual(
        [rejection!.message.kind, rejection!.message.kind === 'REJECTION' && rejection!.message.resubmitBy],
        ['REJECTION', new Date(DEADLINE + 19 * DAY).toISOString()],
      );
      advance(r, DEADLINE + 17 * DAY);
      assert.equal(r.status, 'IN_PROGRESS', 'not withdrawn in the moment of the rejection');
      checkRegisterDocument(r, upload('ID_DOCUMENT'), DEADLINE + 19 * DAY - 1);
      advance(r, DEADLINE + 19 * DAY);
      assert.deepEqual([r.status, r.outcome?.reason], ['WITHDRAWN', 'UNRESOLVED_REJECTION']);
    });

    it('a registration from before that rule keeps the window as it was (closed at D+15 under review, withdrawn at the second rejection)', () => {
      const r = startRegistration({ student: student(), policy: defaultCohortPolicy(new Date(DEADLINE).toISOString()) }, T0, []);
      complete(r, T0);
      registerDocument(r, upload('PHOTO'), T0);
      registerDocument(r, upload('ID_DOCUMENT'), T0);
      advance(r, DEADLINE);
      rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'expired' }, DEADLINE + DAY);
      registerDocument(r, upload('ID_DOCUMENT'), DEADLINE + 13 * DAY);
      const again = rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred' }, DEADLINE + 17 * DAY);
      assert.equal(again.resubmitBy, new Date(DEADLINE + 15 * DAY).toISOString());
      advance(r, DEADLINE + 17 * DAY);
      assert.equal(r.status, 'WITHDRAWN');
    });

    it('a rejection long before the deadline opens no window; a later one that reaches past the deadline does', () => {
      const r = registration();
      complete(r, T0);
      registerDocument(r, upload('ID_DOCUMENT'), T0);
      const early = rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'x' }, T0 + DAY);
      assert.equal(Date.parse(early.resubmitBy!), DEADLINE);
      registerDocument(r, upload('ID_DOCUMENT'), T0 + 2 * DAY);
      const late = rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'x' }, DEADLINE - 2 * DAY);
      assert.equal(Date.parse(late.resubmitBy!), DEADLINE - 2 * DAY + 14 * DAY);
    });

    it('no service-level alert for a registration that closes in the same wake-up', () => {
      // A 1-working-day service level for a document submitted on the last day: the SLA and the deadline fall together.
      const r = registration(student(), defaultCohortPolicy(new Date(DEADLINE).toISOString(), { verificationSlaWorkingDays: 1 }));
      activateAccount(r, { actor: 'system:idp', universityEmail: 'a100@connect.ust.hk' }, T0);
      registerDocument(r, upload('ID_DOCUMENT'), DEADLINE - 10 * DAY); // the form was never submitted: withdrawn at the deadline
      takeEmails(r);
      advance(r, DEADLINE + DAY);
      assert.deepEqual([r.status, r.outcome?.reason], ['WITHDRAWN', 'MISSED_COMPULSORY_ITEM']);
      assert.deepEqual(
        takeEmails(r)
          .map((e) => e.message.kind)
          .filter((k) => k !== 'REMINDER'),
        ['WITHDRAWAL'],
      );
    });
  });

  describe('policy numbers, extensions, form corrections and sign-in links', () => {
    it("the status view and the email context carry the cohort's numbers", () => {
      const r = startRegistration(
        {
          student: student(),
          policy: defaultCohortPolicy(new Date(DEADLINE).toISOString(), {
            verificationSlaWorkingDays: 3,
            resubmissionWindow: '10 days',
            reminderOffsets: ['5 days', '2 days'],
          }),
        },
        T0,
      );
      const numbers = { verificationSlaWorkingDays: 3, resubmissionWindowDays: 10, reminderDaysBefore: [5, 2] };
      assert.deepEqual(statusView(r).policy, numbers);
      invite(r);
      const [invitation] = takeEmails(r);
      assert.deepEqual(invitation!.context.policy, numbers);
      assert.equal(invitation!.context.changeableUntil, new Date(DEADLINE + 10 * DAY).toISOString());
    });

    it('an extension emails the student the new date and shows in the status', () => {
      const r = registration();
      extendDeadline(r, { actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + 7 * DAY).toISOString(), reason: 'typhoon' }, T0 + DAY);
      const [email] = takeEmails(r);
      assert.deepEqual(email!.message, {
        kind: 'DEADLINE_EXTENDED',
        deadline: 'REGISTRATION',
        from: new Date(DEADLINE).toISOString(),
        until: new Date(DEADLINE + 7 * DAY).toISOString(),
      });
      assert.deepEqual(email!.to, ['a100@example.com']);
      assert.equal(email!.context.deadlines.registration, new Date(DEADLINE + 7 * DAY).toISOString());
      assert.deepEqual(statusView(r).deadlineChanges, [
        {
          deadline: 'REGISTRATION',
          from: new Date(DEADLINE).toISOString(),
          until: new Date(DEADLINE + 7 * DAY).toISOString(),
          at: new Date(T0 + DAY).toISOString(),
        },
      ]);
    });

    it('staff correct the submitted form: validated like the form, the audit keeps before, after and the actor', () => {
      const r = registration();
      refused(
        RegistrationFailure.InvalidTransition,
        () => checkCorrectForm(r, { actor: STAFF, changes: { phone: '+852 5555 1234' }, reason: 'x' }, T0),
        /not been submitted/,
      );
      submitForm(r, { actor: 'student', form: validForm }, T0);
      takeSnapshot(r);
      refused(RegistrationFailure.InvalidInput, () => checkCorrectForm(r, { actor: STAFF, changes: { legalName: '  ' }, reason: 'x' }, T0), /legalName/);
      refused(RegistrationFailure.InvalidInput, () => checkCorrectForm(r, { actor: STAFF, changes: { phone: '+852 5555 1234' }, reason: ' ' }, T0), /reason/);
      refused(
        RegistrationFailure.InvalidInput,
        () => checkCorrectForm(r, { actor: STAFF, changes: { phone: validForm.phone }, reason: 'x' }, T0),
        /changes nothing/,
      );
      refused(
        RegistrationFailure.InvalidInput,
        () => checkCorrectForm(r, { actor: STAFF, changes: { picsConsent: false } as never, reason: 'x' }, T0),
        /consent/,
      );
      const view = correctForm(
        r,
        { actor: STAFF, changes: { legalName: 'CHAN Tai-man', emergencyContact: { phone: '+852 5555 9999' } }, reason: 'typo on the HKID' },
        T0 + HOUR,
      );
      assert.equal(view.form?.legalName, 'CHAN Tai-man');
      assert.deepEqual(view.form?.emergencyContact, { ...validForm.emergencyContact, phone: '+852 5555 9999' });
      const [event] = takeSnapshot(r).events;
      assert.deepEqual(event, {
        seq: 3,
        type: 'FORM_CORRECTED',
        actor: STAFF,
        at: new Date(T0 + HOUR).toISOString(),
        data: {
          reason: 'typo on the HKID',
          before: { legalName: 'CHAN Tai Man', 'emergencyContact.phone': '+852 5555 0001' },
          after: { legalName: 'CHAN Tai-man', 'emergencyContact.phone': '+852 5555 9999' },
        },
      });
    });

    it('a sign-in link is emailed to the personal address once per request id, and never after the outcome', () => {
      const r = registration();
      activateAccount(r, { actor: 'system:idp', universityEmail: 'a100@connect.ust.hk' }, T0);
      assert.equal(requestSignInLink(r, { actor: 'system:gateway', requestId: 'req-1' }, T0), true);
      assert.equal(requestSignInLink(r, { actor: 'system:gateway', requestId: 'req-1' }, T0), false);
      assert.equal(requestSignInLink(r, { actor: 'system:gateway', requestId: 'req-2' }, T0), true);
      assert.deepEqual(
        takeEmails(r).map((e) => [e.message.kind, e.to.join(','), e.idempotencyKey]),
        [
          ['SIGN_IN_LINK', 'a100@example.com', 'registration-A100:SIGN_IN_LINK:1'],
          ['SIGN_IN_LINK', 'a100@example.com', 'registration-A100:SIGN_IN_LINK:2'],
        ],
      );
      declineOffer(r, { actor: 'student' }, T0);
      assert.equal(requestSignInLink(r, { actor: 'system:gateway', requestId: 'req-3' }, T0), false);
    });
  });
});
