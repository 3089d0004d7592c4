/**
 * The registration state machine without Temporal: the deadline rules at their
 * edges, the policy numbers, deadline extensions, form corrections and
 * sign-in links.
 */
import assert from 'node:assert/strict';
import { RegistrationFailure, defaultCohortPolicy } from '../../workflows/registration/api';
import { RegistrationState } from '../../workflows/registration/state';
import { DEADLINE, T0, refused, registration, student } from './state-support';
import { DAY, HOUR, STAFF, upload, validForm } from './support';

describe('registration state: deadlines and policy', () => {
  describe('deadline rules', () => {
    const complete = (r: RegistrationState, now: number) => {
      r.activateAccount({ actor: 'system:idp', universityEmail: 'a100@connect.ust.hk' }, now);
      r.submitForm({ actor: 'student', form: validForm }, now);
    };

    it('a compulsory item rejected shortly before the deadline keeps the full resubmission window after it', () => {
      const r = registration();
      complete(r, T0);
      r.registerDocument(upload('PHOTO'), T0);
      r.registerDocument(upload('ID_DOCUMENT'), T0);
      const rejectedAt = DEADLINE - DAY;
      const item = r.rejectItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'expired' }, rejectedAt);
      assert.equal(Date.parse(item.resubmitBy!), rejectedAt + 14 * DAY);
      r.advance(DEADLINE);
      assert.equal(r.status, 'IN_PROGRESS', 'submitted on time: not withdrawn at the deadline');
      r.advance(rejectedAt + 14 * DAY);
      assert.deepEqual([r.status, r.outcome?.reason], ['WITHDRAWN', 'UNRESOLVED_REJECTION']);
    });

    it('a compulsory item rejected long before the deadline and never resubmitted is withdrawn at the deadline', () => {
      const r = registration();
      complete(r, T0);
      r.registerDocument(upload('ID_DOCUMENT'), T0);
      r.rejectItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'expired' }, T0 + DAY);
      r.advance(DEADLINE);
      assert.deepEqual([r.status, r.outcome?.reason, r.outcome?.items], ['WITHDRAWN', 'UNRESOLVED_REJECTION', ['ID_DOCUMENT']]);
    });

    it('a payment deadline before the registration deadline is enforced first', () => {
      const s = student({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS' });
      const r = registration(s, defaultCohortPolicy(new Date(DEADLINE).toISOString(), { paymentDeadline: new Date(DEADLINE - 10 * DAY).toISOString() }));
      complete(r, T0);
      assert.equal(r.nextWakeUp(T0)?.what, 'reminder before the payment deadline');
      r.advance(DEADLINE - 10 * DAY);
      assert.deepEqual([r.status, r.outcome?.reason], ['WITHDRAWN', 'MISSED_FEE']);
    });

    it('reminders: one per offset before each date, none for offsets that fell before the date was set', () => {
      const r = new RegistrationState({ student: student(), policy: defaultCohortPolicy(new Date(T0 + 3 * DAY).toISOString()) }, T0);
      r.takeEmails();
      assert.equal(r.nextWakeUp(T0)?.at, T0 + 2 * DAY, 'the 7-day reminder was due before the start: only the 1-day one');
      r.advance(T0 + 2 * DAY);
      r.advance(T0 + 2 * DAY + HOUR);
      assert.deepEqual(r.takeEmails().map((e) => e.message.kind), ['REMINDER']);
    });

    it('every change has the next sequence number; a snapshot carries the events since the previous one', () => {
      const r = registration();
      const first = r.takeSnapshot();
      assert.deepEqual(first.events.map((e) => [e.seq, e.type]), [[1, 'REGISTRATION_STARTED']]);
      complete(r, T0);
      const second = r.takeSnapshot();
      assert.deepEqual(second.events.map((e) => [e.seq, e.type]), [[2, 'ACCOUNT_ACTIVATED'], [3, 'FORM_SUBMITTED']]);
      assert.equal(second.seq, 3);
      assert.deepEqual(r.takeSnapshot().events, []);
    });
  
    it('submitted on time is what counts: after the deadline a submitted item awaiting review cannot be replaced; staff still decide on it', () => {
      const r = registration();
      complete(r, T0);
      r.registerDocument(upload('ID_DOCUMENT'), DEADLINE - DAY);
      r.checkRegisterDocument(upload('ID_DOCUMENT'), DEADLINE - HOUR); // before the deadline a wrong file may still be replaced
      r.advance(DEADLINE);
      refused(RegistrationFailure.InvalidTransition, () => r.checkRegisterDocument(upload('ID_DOCUMENT'), DEADLINE + HOUR), /submitted on time/);
      r.checkVerifyItem({ actor: STAFF, itemKey: 'ID_DOCUMENT' }, DEADLINE + HOUR);
      r.rejectItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred' }, DEADLINE + HOUR);
      r.checkRegisterDocument(upload('ID_DOCUMENT'), DEADLINE + 2 * HOUR); // rejected: may be resubmitted inside its window
    });

    it('one resubmission window per item: a second rejection after the deadline does not open another', () => {
      const r = registration();
      complete(r, T0);
      r.registerDocument(upload('PHOTO'), T0);
      r.registerDocument(upload('ID_DOCUMENT'), T0);
      r.advance(DEADLINE);
      const first = r.rejectItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'expired' }, DEADLINE + DAY);
      const windowEnds = DEADLINE + DAY + 14 * DAY;
      assert.equal(Date.parse(first.resubmitBy!), windowEnds);
      r.registerDocument(upload('ID_DOCUMENT'), DEADLINE + 10 * DAY);
      const second = r.rejectItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'still blurred' }, DEADLINE + 12 * DAY);
      assert.equal(Date.parse(second.resubmitBy!), windowEnds, 'the same window, not a new 14 days');
      r.advance(windowEnds - 1);
      assert.equal(r.status, 'IN_PROGRESS');
      refused(RegistrationFailure.InvalidTransition, () => r.checkRegisterDocument(upload('ID_DOCUMENT'), windowEnds), /due by/);
      r.advance(windowEnds);
      assert.deepEqual([r.status, r.outcome?.reason, r.outcome?.items], ['WITHDRAWN', 'UNRESOLVED_REJECTION', ['ID_DOCUMENT']]);
    });

    it('a rejection long before the deadline opens no window; a later one that reaches past the deadline does', () => {
      const r = registration();
      complete(r, T0);
      r.registerDocument(upload('ID_DOCUMENT'), T0);
      const early = r.rejectItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'x' }, T0 + DAY);
      assert.equal(Date.parse(early.resubmitBy!), DEADLINE);
      r.registerDocument(upload('ID_DOCUMENT'), T0 + 2 * DAY);
      const late = r.rejectItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'x' }, DEADLINE - 2 * DAY);
      assert.equal(Date.parse(late.resubmitBy!), DEADLINE - 2 * DAY + 14 * DAY);
    });

    it('no service-level alert for a registration that closes in the same wake-up', () => {
      // A 1-working-day service level for a document submitted on the last day: the SLA and the deadline fall together.
      const r = registration(student(), defaultCohortPolicy(new Date(DEADLINE).toISOString(), { verificationSlaWorkingDays: 1 }));
      r.activateAccount({ actor: 'system:idp', universityEmail: 'a100@connect.ust.hk' }, T0);
      r.registerDocument(upload('ID_DOCUMENT'), DEADLINE - 10 * DAY); // the form was never submitted: withdrawn at the deadline
      r.takeEmails();
      r.advance(DEADLINE + DAY);
      assert.deepEqual([r.status, r.outcome?.reason], ['WITHDRAWN', 'MISSED_COMPULSORY_ITEM']);
      assert.deepEqual(r.takeEmails().map((e) => e.message.kind).filter((k) => k !== 'REMINDER'), ['WITHDRAWAL']);
    });
  });

  describe('policy numbers, extensions, form corrections and sign-in links', () => {
    it('the status view and the email context carry the cohort\'s numbers', () => {
      const r = new RegistrationState(
        { student: student(), policy: defaultCohortPolicy(new Date(DEADLINE).toISOString(), { verificationSlaWorkingDays: 3, resubmissionWindow: '10 days', reminderOffsets: ['5 days', '2 days'] }) },
        T0,
      );
      const numbers = { verificationSlaWorkingDays: 3, resubmissionWindowDays: 10, reminderDaysBefore: [5, 2] };
      assert.deepEqual(r.view().policy, numbers);
      r.invite();
      const [invitation] = r.takeEmails();
      assert.deepEqual(invitation!.context.policy, numbers);
      assert.equal(invitation!.context.changeableUntil, new Date(DEADLINE + 10 * DAY).toISOString());
    });

    it('an extension emails the student the new date and shows in the status', () => {
      const r = registration();
      r.extendDeadline({ actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + 7 * DAY).toISOString(), reason: 'typhoon' }, T0 + DAY);
      const [email] = r.takeEmails();
      assert.deepEqual(email!.message, { kind: 'DEADLINE_EXTENDED', deadline: 'REGISTRATION', from: new Date(DEADLINE).toISOString(), until: new Date(DEADLINE + 7 * DAY).toISOString() });
      assert.deepEqual(email!.to, ['a100@example.com']);
      assert.equal(email!.context.deadlines.registration, new Date(DEADLINE + 7 * DAY).toISOString());
      assert.deepEqual(r.view().deadlineChanges, [
        { deadline: 'REGISTRATION', from: new Date(DEADLINE).toISOString(), until: new Date(DEADLINE + 7 * DAY).toISOString(), at: new Date(T0 + DAY).toISOString() },
      ]);
    });

    it('staff correct the submitted form: validated like the form, the audit keeps before, after and the actor', () => {
      const r = registration();
      refused(RegistrationFailure.InvalidTransition, () => r.checkCorrectForm({ actor: STAFF, changes: { phone: '+852 5555 1234' }, reason: 'x' }, T0), /not been submitted/);
      r.submitForm({ actor: 'student', form: validForm }, T0);
      r.takeSnapshot();
      refused(RegistrationFailure.InvalidInput, () => r.checkCorrectForm({ actor: STAFF, changes: { legalName: '  ' }, reason: 'x' }, T0), /legalName/);
      refused(RegistrationFailure.InvalidInput, () => r.checkCorrectForm({ actor: STAFF, changes: { phone: '+852 5555 1234' }, reason: ' ' }, T0), /reason/);
      refused(RegistrationFailure.InvalidInput, () => r.checkCorrectForm({ actor: STAFF, changes: { phone: validForm.phone }, reason: 'x' }, T0), /changes nothing/);
      refused(RegistrationFailure.InvalidInput, () => r.checkCorrectForm({ actor: STAFF, changes: { picsConsent: false } as never, reason: 'x' }, T0), /consent/);
      const view = r.correctForm({ actor: STAFF, changes: { legalName: 'CHAN Tai-man', emergencyContact: { phone: '+852 5555 9999' } }, reason: 'typo on the HKID' }, T0 + HOUR);
      assert.equal(view.form?.legalName, 'CHAN Tai-man');
      assert.deepEqual(view.form?.emergencyContact, { ...validForm.emergencyContact, phone: '+852 5555 9999' });
      const [event] = r.takeSnapshot().events;
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
      r.activateAccount({ actor: 'system:idp', universityEmail: 'a100@connect.ust.hk' }, T0);
      assert.equal(r.requestSignInLink({ actor: 'system:gateway', requestId: 'req-1' }, T0), true);
      assert.equal(r.requestSignInLink({ actor: 'system:gateway', requestId: 'req-1' }, T0), false);
      assert.equal(r.requestSignInLink({ actor: 'system:gateway', requestId: 'req-2' }, T0), true);
      assert.deepEqual(r.takeEmails().map((e) => [e.message.kind, e.to.join(','), e.idempotencyKey]), [
        ['SIGN_IN_LINK', 'a100@example.com', 'registration-A100:SIGN_IN_LINK:1'],
        ['SIGN_IN_LINK', 'a100@example.com', 'registration-A100:SIGN_IN_LINK:2'],
      ]);
      r.declineOffer({ actor: 'student' }, T0);
      assert.equal(r.requestSignInLink({ actor: 'system:gateway', requestId: 'req-3' }, T0), false);
    });
  });
});
