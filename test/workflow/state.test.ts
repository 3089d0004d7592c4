/**
 * The registration state machine without Temporal: which actions the current
 * state allows (the update validators use exactly these checks) and the
 * deadline rules at their edges. The paths through Temporal are in
 * paths.test.ts and messages.dev-server.test.ts.
 */
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { RegistrationFailure, defaultCohortPolicy, type CohortPolicy, type StudentRecord } from '../../workflows/registration/api';
import { RegistrationState } from '../../workflows/registration/state';
import { DAY, HOUR, STAFF, upload, validForm } from './support';

const T0 = Date.parse('2027-06-01T02:00:00Z');
const DEADLINE = T0 + 30 * DAY;
const student = (o: Partial<StudentRecord> = {}): StudentRecord => ({
  applicationNo: 'A100',
  name: 'Chan Tai Man',
  personalEmail: 'a100@example.com',
  programCode: 'MSC-IT',
  studyLevel: 'TPG',
  residency: 'LOCAL',
  cohortId: 'c',
  ...o,
});
const registration = (s = student(), policy: CohortPolicy = defaultCohortPolicy(new Date(DEADLINE).toISOString())) => {
  const r = new RegistrationState({ student: s, policy }, T0);
  r.invite();
  r.takeEmails();
  return r;
};

function refused(type: RegistrationFailure, action: () => unknown, message?: RegExp): void {
  assert.throws(action, (e: unknown) => {
    assert.ok(e instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(e)}`);
    assert.equal(e.type, type);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('registration state', () => {
  describe('what the current state allows (update validators)', () => {
    it('verifying or rejecting an item never submitted is an invalid transition', () => {
      const r = registration();
      refused(RegistrationFailure.InvalidTransition, () => r.checkVerifyItem({ actor: STAFF, itemKey: 'ID_DOCUMENT' }, T0), /PENDING/);
      refused(RegistrationFailure.InvalidTransition, () => r.checkRejectItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'x' }, T0));
    });

    it('the form can be submitted once only, and only with consent', () => {
      const r = registration();
      refused(RegistrationFailure.InvalidInput, () => r.checkSubmitForm({ actor: 'student', form: { ...validForm, picsConsent: false } }, T0), /consent/);
      refused(RegistrationFailure.InvalidInput, () => r.checkSubmitForm({ actor: 'student', form: { ...validForm, legalName: ' ' } }, T0), /legalName/);
      r.submitForm({ actor: 'student', form: validForm }, T0);
      refused(RegistrationFailure.InvalidTransition, () => r.checkSubmitForm({ actor: 'student', form: validForm }, T0), /once only/);
    });

    it('activation and the form are not reviewed by staff', () => {
      const r = registration();
      r.submitForm({ actor: 'student', form: validForm }, T0);
      refused(RegistrationFailure.InvalidTransition, () => r.checkVerifyItem({ actor: STAFF, itemKey: 'FORM' }, T0));
    });

    it('an item the student does not have is unknown; a non-document item takes no upload', () => {
      const r = registration();
      refused(RegistrationFailure.UnknownItem, () => r.checkRegisterDocument(upload('VISA'), T0));
      refused(RegistrationFailure.UnknownItem, () => r.checkWaiveItem({ actor: STAFF, itemKey: 'SUPPLEMENTARY:NOPE', reason: 'x' }, T0));
      refused(RegistrationFailure.InvalidInput, () => r.checkRegisterDocument(upload('ACTIVATION'), T0));
    });

    it('uploads are checked: checksum, size, and the photo specification', () => {
      const r = registration();
      refused(RegistrationFailure.InvalidInput, () => r.checkRegisterDocument(upload('ID_DOCUMENT', { sha256: 'abc' }), T0), /sha256/);
      refused(RegistrationFailure.InvalidInput, () => r.checkRegisterDocument(upload('PHOTO', { imageWidth: 900, imageHeight: 600 }), T0), /portrait/);
      refused(RegistrationFailure.InvalidInput, () => r.checkRegisterDocument(upload('PHOTO', { mediaType: 'image/gif' }), T0), /format/);
    });

    it('a rejection needs a known reason code and a note; a waiver needs a reason and an item not yet settled', () => {
      const r = registration();
      r.registerDocument(upload('ID_DOCUMENT'), T0);
      refused(RegistrationFailure.InvalidInput, () => r.checkRejectItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'BLURRY' as never, note: 'x' }, T0));
      refused(RegistrationFailure.InvalidInput, () => r.checkRejectItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: '' }, T0));
      refused(RegistrationFailure.InvalidInput, () => r.checkWaiveItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reason: '' }, T0));
      r.verifyItem({ actor: STAFF, itemKey: 'ID_DOCUMENT' }, T0);
      refused(RegistrationFailure.InvalidTransition, () => r.checkWaiveItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reason: 'x' }, T0));
      refused(RegistrationFailure.InvalidTransition, () => r.checkRegisterDocument(upload('ID_DOCUMENT'), T0), /VERIFIED/);
    });

    it('text the read model cannot store (NUL, control characters, lone surrogates) is refused by the validators too', () => {
      const r = registration();
      refused(RegistrationFailure.InvalidInput, () => r.checkSubmitForm({ actor: 'student', form: { ...validForm, legalName: 'Chan\u0000' } }, T0), /legalName must not contain control characters \(found U\+0000/);
      refused(RegistrationFailure.InvalidInput, () => r.checkSubmitForm({ actor: 'student', form: { ...validForm, emergencyContact: { ...validForm.emergencyContact, name: 'Ho \ud800' } } }, T0), /emergencyContact\.name must be valid Unicode/);
      refused(RegistrationFailure.InvalidInput, () => r.checkSubmitForm({ actor: 'student', form: { ...validForm, nationality: 'Hong\nKong' } }, T0), /nationality/);
      // A line break is fine in the address (multi-line), NUL is not.
      r.checkSubmitForm({ actor: 'student', form: { ...validForm, correspondenceAddress: 'Flat 1\nClear Water Bay' } }, T0);
      refused(RegistrationFailure.InvalidInput, () => r.checkSubmitForm({ actor: 'student', form: { ...validForm, correspondenceAddress: 'Flat 1\u0000' } }, T0), /correspondenceAddress/);
      refused(RegistrationFailure.InvalidInput, () => r.checkDeclineOffer({ actor: 'student', reason: 'no\u0000' }, T0), /reason/);
      refused(RegistrationFailure.InvalidInput, () => r.checkRegisterDocument(upload('ID_DOCUMENT', { originalName: 'id\u0000.pdf' }), T0), /originalName/);
      r.registerDocument(upload('ID_DOCUMENT'), T0);
      refused(RegistrationFailure.InvalidInput, () => r.checkVerifyItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', note: 'ok\u0007' }, T0), /note/);
      refused(RegistrationFailure.InvalidInput, () => r.checkRejectItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred\u0000' }, T0), /note/);
      refused(RegistrationFailure.InvalidInput, () => r.checkWaiveItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reason: 'x\u0000' }, T0), /reason/);
      refused(RegistrationFailure.InvalidInput, () => r.checkExtendDeadline({ actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + DAY).toISOString(), reason: 'x\u0000' }, T0), /reason/);
    });

    it('a deadline can be extended only before it passes, only later, and only if the registration has it', () => {
      const r = registration();
      const until = new Date(DEADLINE + 7 * DAY).toISOString();
      refused(RegistrationFailure.InvalidTransition, () => r.checkExtendDeadline({ actor: STAFF, deadline: 'PAYMENT', until, reason: 'x' }, T0), /no PAYMENT/);
      refused(RegistrationFailure.InvalidInput, () => r.checkExtendDeadline({ actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE - DAY).toISOString(), reason: 'x' }, T0), /later/);
      refused(RegistrationFailure.InvalidInput, () => r.checkExtendDeadline({ actor: STAFF, deadline: 'REGISTRATION', until: 'soon', reason: 'x' }, T0));
      refused(RegistrationFailure.InvalidTransition, () => r.checkExtendDeadline({ actor: STAFF, deadline: 'REGISTRATION', until, reason: 'x' }, DEADLINE), /passed/);
      r.checkExtendDeadline({ actor: STAFF, deadline: 'REGISTRATION', until, reason: 'x' }, DEADLINE - 1);
    });

    it('a compulsory item cannot be handed in after its deadline (the registration is being withdrawn)', () => {
      const r = registration();
      refused(RegistrationFailure.InvalidTransition, () => r.checkRegisterDocument(upload('ID_DOCUMENT'), DEADLINE), /due by/);
      r.checkRegisterDocument(upload('PHOTO'), DEADLINE + DAY); // non-compulsory items may follow later
    });

    it('after an outcome nothing more is accepted', () => {
      const r = registration();
      r.declineOffer({ actor: 'student' }, T0);
      assert.equal(r.status, 'WITHDRAWN');
      refused(RegistrationFailure.InvalidTransition, () => r.checkSubmitForm({ actor: 'student', form: validForm }, T0), /WITHDRAWN/);
      refused(RegistrationFailure.InvalidTransition, () => r.checkRegisterDocument(upload('ID_DOCUMENT'), T0));
      refused(RegistrationFailure.InvalidTransition, () => r.checkDeclineOffer({ actor: 'student' }, T0));
      refused(RegistrationFailure.InvalidTransition, () => r.checkWaiveItem({ actor: STAFF, itemKey: 'PHOTO', reason: 'x' }, T0));
    });

    it('an upload beyond the tenth of one item is refused with SubmissionLimitReached (the history stays bounded)', () => {
      const r = registration();
      for (let i = 0; i < 10; i++) r.registerDocument(upload('PHOTO'), T0 + i * HOUR);
      refused(RegistrationFailure.SubmissionLimitReached, () => r.checkRegisterDocument(upload('PHOTO'), T0 + DAY), /10 uploads/);
      r.checkRegisterDocument(upload('ID_DOCUMENT'), T0 + DAY); // the cap is per item
    });
  });

  describe('late events: after the outcome, recorded and mailed to the registry, never dropped', () => {
    it('an activation after WITHDRAWN is a LATE_EVENT with a LATE_EVENT email; the same activation again adds nothing', () => {
      const r = registration();
      r.declineOffer({ actor: 'student' }, T0);
      r.takeEmails();
      r.takeSnapshot();
      assert.equal(r.activateAccount({ actor: 'system:idp', universityEmail: 'x@connect.ust.hk' }, T0 + HOUR), true);
      assert.equal(r.status, 'WITHDRAWN');
      const snap = r.takeSnapshot();
      assert.deepEqual(snap.events.map((e) => [e.type, e.data.event, e.data.status]), [['LATE_EVENT', 'ACTIVATION', 'WITHDRAWN']]);
      const emails = r.takeEmails();
      assert.deepEqual(emails.map((e) => [e.idempotencyKey, e.to]), [['registration-A100:LATE_EVENT:1', []]]);
      assert.equal(r.activateAccount({ actor: 'system:idp', universityEmail: 'x@connect.ust.hk' }, T0 + 2 * HOUR), false);
    });

    it('a payment after COMPLETED is recorded as a LATE_EVENT (not settled, not dropped); a repeated reference is not', () => {
      const r = registration();
      for (const key of ['ID_DOCUMENT', 'PHOTO'] as const) r.waiveItem({ actor: STAFF, itemKey: key, reason: 'x' }, T0);
      r.waiveItem({ actor: STAFF, itemKey: 'ACTIVATION', reason: 'x' }, T0);
      r.submitForm({ actor: 'student', form: validForm }, T0);
      assert.equal(r.status, 'COMPLETED');
      r.takeSnapshot();
      r.takeEmails();
      assert.equal(r.confirmPayment({ actor: 'system:payment', paymentRef: 'PAY-9', amount: 42100, currency: 'HKD' }, T0 + DAY), true);
      const [event] = r.takeSnapshot().events;
      assert.deepEqual([event!.type, event!.data.event, event!.data.paymentRef, event!.data.amount], ['LATE_EVENT', 'PAYMENT', 'PAY-9', 42100]);
      assert.deepEqual(r.takeEmails().map((e) => e.message.kind), ['LATE_EVENT']);
      assert.equal(r.confirmPayment({ actor: 'system:payment', paymentRef: 'PAY-9', amount: 42100, currency: 'HKD' }, T0 + DAY), false);
    });
  });

  describe('payments against the cohort fee', () => {
    const ug = student({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' });
    const withFee = defaultCohortPolicy(new Date(DEADLINE).toISOString(), { tuitionFee: { amount: 42100, currency: 'HKD' } });
    const receipt = (r: RegistrationState) => r.view().items.find((i) => i.key === 'TUITION_RECEIPT')!;

    it('the exact fee settles the tuition item', () => {
      const r = registration(ug, withFee);
      r.confirmPayment({ actor: 'system:payment', paymentRef: 'P1', amount: 42100, currency: 'HKD' }, T0);
      assert.equal(receipt(r).state, 'VERIFIED');
    });

    for (const [what, paid] of [
      ['a short amount', { amount: 4210, currency: 'HKD' }],
      ['another currency', { amount: 42100, currency: 'USD' }],
      ['no amount at all', {}],
    ] as const) {
      it(`${what}: recorded as PAYMENT_MISMATCH, the item SUBMITTED and flagged for staff, never settled`, () => {
        const r = registration(ug, withFee);
        r.takeSnapshot();
        r.confirmPayment({ actor: 'system:payment', paymentRef: 'P1', ...paid }, T0);
        const item = receipt(r);
        assert.equal(item.state, 'SUBMITTED');
        assert.match(item.flag ?? '', /the fee is 42100 HKD/);
        const snap = r.takeSnapshot();
        assert.deepEqual(snap.events.map((e) => e.type), ['PAYMENT_MISMATCH']);
        assert.match(snap.view.items.find((i) => i.key === 'TUITION_RECEIPT')!.flag ?? '', /42100 HKD/);
        // Staff decide; their decision clears the flag.
        r.verifyItem({ actor: STAFF, itemKey: 'TUITION_RECEIPT', note: 'paid by two transfers' }, T0 + HOUR);
        assert.equal(receipt(r).flag, undefined);
      });
    }

    it('a mismatched payment keeps the student from being withdrawn at the deadline (staff decide)', () => {
      const r = registration(ug, withFee);
      r.confirmPayment({ actor: 'system:payment', paymentRef: 'P1', amount: 100, currency: 'HKD' }, T0);
      r.activateAccount({ actor: 'system:idp', universityEmail: 'a@connect.ust.hk' }, T0);
      r.submitForm({ actor: 'student', form: validForm }, T0);
      r.registerDocument(upload('ID_DOCUMENT'), T0);
      r.advance(DEADLINE);
      // Not WITHDRAWN (MISSED_FEE): the fee counts as handed in while staff look at it; only the photo is owed.
      assert.equal(r.status, 'INCOMPLETE');
    });
  });

  describe('bounded history per change', () => {
    it('a snapshot carries only what is new, and an update answer only the latest of each item: their size does not grow with the history', () => {
      const r = registration();
      r.setHolidays([]);
      const sizes: number[] = [];
      for (let i = 0; i < 10; i++) {
        r.registerDocument(upload('PHOTO'), T0 + i * HOUR);
        const snap = r.takeSnapshot();
        assert.deepEqual(snap.submissions.map((s) => s.version), [i + 1]);
        assert.equal('submissions' in snap.view.items[0]!, false);
        sizes.push(JSON.stringify(snap).length);
      }
      // The 10th upload's snapshot is no bigger than the 2nd's (the old full status grew by one submission each time).
      assert.ok(sizes[9]! <= sizes[1]! + 16, `snapshot sizes ${sizes.join(', ')}`);
      const answer = r.extendDeadline({ actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + DAY).toISOString(), reason: 'x' }, T0 + DAY);
      const photo = answer.items.find((i) => i.key === 'PHOTO')!;
      assert.deepEqual(photo.submissions.map((s) => s.version), [10]);
      assert.equal(r.view().items.find((i) => i.key === 'PHOTO')!.submissions.length, 10, 'the query still has them all');
    });

    it('a form correction answers with the bounded status too (each answer goes into history and the latest are carried)', () => {
      const r = registration();
      r.setHolidays([]);
      r.submitForm({ actor: 'student', form: validForm }, T0);
      for (let i = 0; i < 4; i++) r.registerDocument(upload('PHOTO'), T0 + i * HOUR);
      const answer = r.correctForm({ actor: STAFF, changes: { phone: '+852 5555 1234' }, reason: 'student called' }, T0 + DAY);
      assert.deepEqual(answer.items.find((i) => i.key === 'PHOTO')!.submissions.map((s) => s.version), [4]);
      assert.equal(answer.form?.phone, '+852 5555 1234');
    });
  });

  describe('continue-as-new', () => {
    it('carry → resume gives the same state: view, seq, deadlines, emails decided, and the next email key continues', () => {
      const r = registration(student({ residency: 'NON_LOCAL' }));
      r.setHolidays([]);
      r.activateAccount({ actor: 'system:idp', universityEmail: 'a@connect.ust.hk' }, T0);
      r.registerDocument(upload('VISA'), T0 + HOUR);
      r.rejectItem({ actor: STAFF, itemKey: 'VISA', reasonCode: 'EXPIRED', note: 'expired' }, T0 + 2 * HOUR);
      r.extendDeadline({ actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + 7 * DAY).toISOString(), reason: 'x' }, T0 + 3 * HOUR);
      r.takeSnapshot();
      const carried = JSON.parse(JSON.stringify(r.carry()));
      const next = RegistrationState.resume({ student: r.input.student, policy: r.input.policy }, carried, T0 + 4 * HOUR);
      const json = (v: unknown) => JSON.parse(JSON.stringify(v)); // as the status travels (undefined fields dropped)
      assert.deepEqual(json(next.view()), json(r.view()));
      assert.equal(next.seq, r.seq);
      assert.deepEqual(next.takeEmails().map((e) => e.idempotencyKey), ['registration-A100:REJECTION:1', 'registration-A100:DEADLINE_EXTENDED:1']);
      assert.deepEqual(next.nextWakeUp(T0 + 4 * HOUR), r.nextWakeUp(T0 + 4 * HOUR));
      // The deadline carried is the extended one: nothing happens at the old date, withdrawal at the new one.
      next.advance(DEADLINE + HOUR);
      assert.equal(next.status, 'IN_PROGRESS');
      next.advance(DEADLINE + 7 * DAY);
      assert.equal(next.status, 'WITHDRAWN');
      assert.deepEqual(next.takeEmails().map((e) => e.idempotencyKey).filter((k) => k.includes('WITHDRAWAL')), ['registration-A100:WITHDRAWAL:1']);
    });

    /** `n` extensions of a minute each, every extension email sent, then the carried state as JSON. */
    function extendedAndCarried(n: number): { r: RegistrationState; carried: string } {
      const r = registration();
      for (let i = 1; i <= n; i++) {
        const now = T0 + i * 1000;
        r.extendDeadline({ actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + i * 60_000).toISOString(), reason: `extension ${i}` }, now);
        for (const e of r.takeEmails()) r.emailSent(e, { delivery: 'OUTBOX', to: e.to, subject: 'Your registration deadline was extended' }, now);
        r.takeSnapshot();
      }
      return { r, carried: JSON.stringify(r.carry()) };
    }

    it('what a continued run carries does not grow with the number of extensions and emails', () => {
      const small = extendedAndCarried(60);
      const large = extendedAndCarried(1000);
      // Same bounded lists, only the counters' digits differ (the old state carried ~950 bytes more per extension).
      assert.ok(large.carried.length <= small.carried.length + 64, `carried ${small.carried.length} bytes after 60 extensions, ${large.carried.length} after 1,000`);
      const v = large.r.view();
      assert.equal(v.deadlineChanges.length, 10);
      assert.equal(v.deadlineChangesOmitted, 990);
      assert.equal(v.deadlineChanges[0]!.until, new Date(DEADLINE + 991 * 60_000).toISOString());
      assert.equal(v.deadlineChanges[9]!.until, new Date(DEADLINE + 1000 * 60_000).toISOString());
      assert.equal(v.emails.length, 50);
      assert.equal(v.emailsOmitted, 950);
      assert.equal(v.emails[49]!.idempotencyKey, 'registration-A100:DEADLINE_EXTENDED:1000');
      // An update's answer (history) is bounded the same way.
      const answer = large.r.extendDeadline({ actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + 1001 * 60_000).toISOString(), reason: 'one more' }, T0 + 1001 * 1000);
      assert.equal(answer.deadlineChanges.length, 10);
    });

    it('after a continuation with records dropped, the next email of a kind gets the next key: none repeated, none skipped', () => {
      const { r, carried } = extendedAndCarried(60);
      const next = RegistrationState.resume({ student: r.input.student, policy: r.input.policy }, JSON.parse(carried), T0 + HOUR);
      assert.deepEqual([next.view().deadlineChangesOmitted, next.view().emailsOmitted], [50, 10]);
      next.extendDeadline({ actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + 61 * 60_000).toISOString(), reason: 'after continuing' }, T0 + HOUR);
      assert.deepEqual(next.takeEmails().map((e) => e.idempotencyKey), ['registration-A100:DEADLINE_EXTENDED:61']);
      next.advance(DEADLINE + 61 * 60_000);
      assert.deepEqual(next.takeEmails().map((e) => e.idempotencyKey), ['registration-A100:WITHDRAWAL:1']);
    });

    it('reminders sent for an earlier date are forgotten when the deadline moves (the list does not grow with extensions)', () => {
      const MIN = 60_000;
      const r = registration();
      r.advance(DEADLINE - 7 * DAY);
      // Each one-minute extension re-arms the 7-day reminder, which falls due a minute later.
      for (let i = 1; i <= 30; i++) {
        r.extendDeadline({ actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + i * MIN).toISOString(), reason: `extension ${i}` }, DEADLINE - 7 * DAY + (i - 1) * MIN + 1);
        r.advance(DEADLINE - 7 * DAY + i * MIN);
      }
      assert.equal(r.takeEmails().filter((e) => e.message.kind === 'REMINDER').length, 31);
      const carried = r.carry() as { deadlines: { REGISTRATION: { reminded: string[] } } };
      assert.deepEqual(carried.deadlines.REGISTRATION.reminded, [`${DEADLINE + 30 * MIN}/${7 * DAY}`]);
    });
  });

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

  describe('the email queue (decided, not yet confirmed): carried small, extensions told once', () => {
    const MIN = 60_000;
    const at = (ms: number) => new Date(ms).toISOString();
    const extendTo = (r: RegistrationState, until: number, now: number) =>
      r.extendDeadline({ actor: STAFF, deadline: 'REGISTRATION', until: at(until), reason: `to ${at(until)}` }, now);
    const sent = (e: { to: string[] }) => ({ delivery: 'OUTBOX' as const, to: e.to, subject: 's' });

    it('988 extensions while the invitation is being sent: one extension email (first date → latest), and the carried state does not grow', () => {
      const r = new RegistrationState({ student: student(), policy: defaultCohortPolicy(at(DEADLINE)) }, T0);
      r.invite();
      const invitation = r.handOverEmail()!;
      assert.equal(invitation.idempotencyKey, 'registration-A100:INVITATION:1');
      let after10 = 0;
      for (let i = 1; i <= 988; i++) {
        extendTo(r, DEADLINE + i * MIN, T0 + i * 1000);
        r.takeSnapshot();
        if (i === 10) after10 = JSON.stringify(r.carry()).length;
      }
      const after988 = JSON.stringify(r.carry()).length;
      // Only digits differ (reasons and counters); the old queue carried every email with its context, ~2 KB each.
      assert.ok(after988 <= after10 + 64, `carried ${after10} bytes after 10 extensions, ${after988} after 988`);
      assert.ok(after988 < 16 * 1024, `carried ${after988} bytes`);
      r.emailSent(invitation, sent(invitation), T0 + 989 * 1000);
      const queued = r.takeEmails();
      assert.deepEqual(
        queued.map((e) => [e.idempotencyKey, e.to, e.message]),
        [['registration-A100:DEADLINE_EXTENDED:1', ['a100@example.com'], { kind: 'DEADLINE_EXTENDED', deadline: 'REGISTRATION', from: at(DEADLINE), until: at(DEADLINE + 988 * MIN) }]],
      );
      // The context is rendered when the email goes out: the deadline as it is then.
      assert.equal(queued[0]!.context.deadlines.registration, at(DEADLINE + 988 * MIN));
      // Every extension is still recorded (audit trail) and listed as before; only the emails are folded.
      const v = r.view();
      assert.equal(v.seq, 1 + 988 + 1);
      assert.equal(v.deadlineChangesOmitted, 978);
    });

    it('an email handed over is never changed: a later extension gets its own email, from the date the first one told, and a continued run sends the first again under its key', () => {
      const r = registration();
      extendTo(r, DEADLINE + DAY, T0 + HOUR);
      const first = r.handOverEmail()!;
      assert.deepEqual([first.idempotencyKey, first.message], [
        'registration-A100:DEADLINE_EXTENDED:1',
        { kind: 'DEADLINE_EXTENDED', deadline: 'REGISTRATION', from: at(DEADLINE), until: at(DEADLINE + DAY) },
      ]);
      extendTo(r, DEADLINE + 2 * DAY, T0 + 2 * HOUR);
      extendTo(r, DEADLINE + 3 * DAY, T0 + 3 * HOUR);
      // Continue-as-new with the first still in flight.
      const next = RegistrationState.resume({ student: r.input.student, policy: r.input.policy }, JSON.parse(JSON.stringify(r.carry())), T0 + 4 * HOUR);
      const again = next.handOverEmail()!;
      assert.deepEqual([again.idempotencyKey, again.message], [first.idempotencyKey, first.message]);
      extendTo(next, DEADLINE + 4 * DAY, T0 + 5 * HOUR);
      next.emailSent(again, sent(again), T0 + 6 * HOUR);
      assert.deepEqual(next.takeEmails().map((e) => [e.idempotencyKey, e.message]), [
        ['registration-A100:DEADLINE_EXTENDED:2', { kind: 'DEADLINE_EXTENDED', deadline: 'REGISTRATION', from: at(DEADLINE + DAY), until: at(DEADLINE + 4 * DAY) }],
      ]);
      // After the folded email, the next extension is an email of its own again.
      extendTo(next, DEADLINE + 5 * DAY, T0 + 7 * HOUR);
      assert.deepEqual(next.takeEmails().map((e) => e.idempotencyKey), ['registration-A100:DEADLINE_EXTENDED:3']);
    });

    it('a folded extension email goes out after what was decided in between, to the addresses known by then; other emails are never folded', () => {
      const r = registration();
      r.registerDocument(upload('ID_DOCUMENT'), T0);
      extendTo(r, DEADLINE + DAY, T0 + HOUR);
      r.rejectItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred' }, T0 + 2 * HOUR);
      r.activateAccount({ actor: 'system:idp', universityEmail: 'a100@connect.ust.hk' }, T0 + 3 * HOUR);
      extendTo(r, DEADLINE + 2 * DAY, T0 + 4 * HOUR);
      r.requestSignInLink({ actor: 'system:gateway', requestId: 'req-1' }, T0 + 5 * HOUR);
      r.requestSignInLink({ actor: 'system:gateway', requestId: 'req-2' }, T0 + 5 * HOUR);
      assert.deepEqual(r.takeEmails().map((e) => [e.idempotencyKey, e.to.join(',')]), [
        ['registration-A100:REJECTION:1', 'a100@example.com'],
        ['registration-A100:DEADLINE_EXTENDED:1', 'a100@example.com,a100@connect.ust.hk'],
        ['registration-A100:SIGN_IN_LINK:1', 'a100@example.com'],
        ['registration-A100:SIGN_IN_LINK:2', 'a100@example.com'],
      ]);
    });

    it('an email is rendered with the registration as it is when it goes out, not when it was decided', () => {
      const r = registration();
      r.registerDocument(upload('ID_DOCUMENT'), T0);
      r.rejectItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred' }, T0 + HOUR);
      r.activateAccount({ actor: 'system:idp', universityEmail: 'a100@connect.ust.hk' }, T0 + 2 * HOUR);
      r.registerDocument(upload('ID_DOCUMENT'), T0 + 3 * HOUR);
      const [rejection] = r.takeEmails();
      assert.equal(rejection!.context.universityEmail, 'a100@connect.ust.hk');
      assert.equal(rejection!.context.items.find((i) => i.key === 'ID_DOCUMENT')!.state, 'SUBMITTED');
      // The decision's own facts stay as decided.
      assert.deepEqual(rejection!.message, {
        kind: 'REJECTION',
        item: { key: 'ID_DOCUMENT', label: 'Identification document(s)' },
        reasonCode: 'UNREADABLE',
        note: 'blurred',
        resubmitBy: at(DEADLINE),
      });
    });
  });

  describe('duplicate uploads (the workflow decides them)', () => {
    it('a registerDocument sent twice with the same document id records one submission and one event', () => {
      const r = registration();
      const doc = upload('ID_DOCUMENT', { documentId: '0b7c3f0e-5f1a-4c59-9a56-1f0a2b3c4d5e' });
      r.registerDocument(doc, T0);
      const seq = r.seq;
      r.takeSnapshot();
      // The retry (e.g. after the gateway timed out) passes the validator and changes nothing.
      r.checkRegisterDocument(doc, T0 + 1000);
      const item = r.registerDocument(doc, T0 + 1000);
      assert.equal(item.submissions.length, 1);
      assert.equal(item.submissions[0]!.documentId, doc.documentId);
      assert.equal(r.seq, seq);
      assert.deepEqual(r.takeSnapshot().events, []);
    });

    it('a retry is answered even after the item was verified; other bytes under the same id are refused', () => {
      const r = registration();
      const doc = upload('ID_DOCUMENT', { documentId: '1b7c3f0e-5f1a-4c59-9a56-1f0a2b3c4d5e' });
      r.registerDocument(doc, T0);
      r.verifyItem({ actor: STAFF, itemKey: 'ID_DOCUMENT' }, T0 + HOUR);
      assert.equal(r.registerDocument(doc, T0 + 2 * HOUR).submissions.length, 1);
      refused(RegistrationFailure.InvalidInput, () => r.checkRegisterDocument({ ...doc, sha256: 'a'.repeat(64) }, T0 + 2 * HOUR), /other bytes/);
      // New bytes under a new id for a verified item: refused as before.
      refused(RegistrationFailure.InvalidTransition, () => r.checkRegisterDocument(upload('ID_DOCUMENT'), T0 + 2 * HOUR), /already VERIFIED/);
    });

    it('the current submission\'s bytes again (a new id) record nothing; after a rejection they are a new version', () => {
      const r = registration();
      const first = upload('ID_DOCUMENT', { documentId: '2b7c3f0e-5f1a-4c59-9a56-1f0a2b3c4d5e' });
      r.registerDocument(first, T0);
      const again = { ...first, documentId: '3b7c3f0e-5f1a-4c59-9a56-1f0a2b3c4d5e' };
      assert.deepEqual(r.registerDocument(again, T0 + 1).submissions.map((s) => s.documentId), [first.documentId]);
      r.rejectItem({ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred' }, T0 + HOUR);
      assert.deepEqual(r.registerDocument(again, T0 + 2 * HOUR).submissions.map((s) => s.documentId), [first.documentId, again.documentId]);
    });
  });
});
