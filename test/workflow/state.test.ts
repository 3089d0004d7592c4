/**
 * The registration state machine without Temporal: which actions the current
 * state allows (the update validators use exactly these checks), late events,
 * payments against the cohort fee and duplicate uploads. Its deadline rules are
 * in state-deadlines.test.ts, its bounded history in state-history.test.ts, its
 * email queue in state-emails.test.ts; the paths through Temporal are in
 * paths.test.ts and messages.dev-server.test.ts.
 */
import assert from 'node:assert/strict';
import { RegistrationFailure, defaultCohortPolicy } from '../../workflows/registration/api';
import { activateAccount, confirmPayment } from '../../workflows/registration/event-actions';
import {
  checkSubmitForm,
  submitForm,
  checkRegisterDocument,
  registerDocument,
  checkDeclineOffer,
  declineOffer,
} from '../../workflows/registration/student-actions';
import { checkVerifyItem, verifyItem, checkRejectItem, rejectItem, checkWaiveItem, waiveItem } from '../../workflows/registration/review-actions';
import { checkExtendDeadline } from '../../workflows/registration/staff-actions';
import { advance } from '../../workflows/registration/time-actions';
import { takeEmails } from '../../workflows/registration/email-decisions';
import { statusView, takeSnapshot } from '../../workflows/registration/views';
import type { RegistrationRecord } from '../../workflows/registration/records';
import { DEADLINE, T0, refused, registration, student, uploadAgain } from './state-support';
import { DAY, HOUR, STAFF, upload } from './support';
import { validForm } from '../kit/samples';

describe('registration state', () => {
  describe('what the current state allows (update validators)', () => {
    it('verifying or rejecting an item never submitted is an invalid transition', () => {
      const r = registration();
      refused(RegistrationFailure.InvalidTransition, () => checkVerifyItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT' }, T0), /PENDING/);
      refused(RegistrationFailure.InvalidTransition, () => checkRejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'x' }, T0));
    });

    it('the form can be submitted once only, and only with consent', () => {
      const r = registration();
      refused(RegistrationFailure.InvalidInput, () => checkSubmitForm(r, { actor: 'student', form: { ...validForm, picsConsent: false } }, T0), /consent/);
      refused(RegistrationFailure.InvalidInput, () => checkSubmitForm(r, { actor: 'student', form: { ...validForm, legalName: ' ' } }, T0), /legalName/);
      submitForm(r, { actor: 'student', form: validForm }, T0);
      refused(RegistrationFailure.InvalidTransition, () => checkSubmitForm(r, { actor: 'student', form: validForm }, T0), /once only/);
    });

    it('activation and the form are not reviewed by staff', () => {
      const r = registration();
      submitForm(r, { actor: 'student', form: validForm }, T0);
      refused(RegistrationFailure.InvalidTransition, () => checkVerifyItem(r, { actor: STAFF, itemKey: 'FORM' }, T0));
    });

    it('an item the student does not have is unknown; a non-document item takes no upload', () => {
      const r = registration();
      refused(RegistrationFailure.UnknownItem, () => checkRegisterDocument(r, upload('VISA'), T0));
      refused(RegistrationFailure.UnknownItem, () => checkWaiveItem(r, { actor: STAFF, itemKey: 'SUPPLEMENTARY:NOPE', reason: 'x' }, T0));
      refused(RegistrationFailure.InvalidInput, () => checkRegisterDocument(r, upload('ACTIVATION'), T0));
    });

    it('uploads are checked: checksum, size, and the photo specification', () => {
      const r = registration();
      refused(RegistrationFailure.InvalidInput, () => checkRegisterDocument(r, upload('ID_DOCUMENT', { sha256: 'abc' }), T0), /sha256/);
      refused(RegistrationFailure.InvalidInput, () => checkRegisterDocument(r, upload('PHOTO', { imageWidth: 900, imageHeight: 600 }), T0), /portrait/);
      refused(RegistrationFailure.InvalidInput, () => checkRegisterDocument(r, upload('PHOTO', { mediaType: 'image/gif' }), T0), /format/);
    });

    it('a rejection needs a known reason code and a note; a waiver needs a reason and an item not yet settled', () => {
      const r = registration();
      registerDocument(r, upload('ID_DOCUMENT'), T0);
      refused(RegistrationFailure.InvalidInput, () =>
        checkRejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'BLURRY' as never, note: 'x' }, T0),
      );
      refused(RegistrationFailure.InvalidInput, () => checkRejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: '' }, T0));
      refused(RegistrationFailure.InvalidInput, () => checkWaiveItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reason: '' }, T0));
      verifyItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT' }, T0);
      refused(RegistrationFailure.InvalidTransition, () => checkWaiveItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reason: 'x' }, T0));
      refused(RegistrationFailure.InvalidTransition, () => checkRegisterDocument(r, upload('ID_DOCUMENT'), T0), /VERIFIED/);
    });

    it('text the read model cannot store (NUL, control characters, lone surrogates) is refused by the validators too', () => {
      const r = registration();
      refused(
        RegistrationFailure.InvalidInput,
        () => checkSubmitForm(r, { actor: 'student', form: { ...validForm, legalName: 'Chan\u0000' } }, T0),
        /legalName must not contain control characters \(found U\+0000/,
      );
      refused(
        RegistrationFailure.InvalidInput,
        () => checkSubmitForm(r, { actor: 'student', form: { ...validForm, emergencyContact: { ...validForm.emergencyContact, name: 'Ho \ud800' } } }, T0),
        /emergencyContact\.name must be valid Unicode/,
      );
      refused(
        RegistrationFailure.InvalidInput,
        () => checkSubmitForm(r, { actor: 'student', form: { ...validForm, nationality: 'Hong\nKong' } }, T0),
        /nationality/,
      );
      // A line break is fine in the address (multi-line), NUL is not.
      checkSubmitForm(r, { actor: 'student', form: { ...validForm, correspondenceAddress: 'Flat 1\nClear Water Bay' } }, T0);
      refused(
        RegistrationFailure.InvalidInput,
        () => checkSubmitForm(r, { actor: 'student', form: { ...validForm, correspondenceAddress: 'Flat 1\u0000' } }, T0),
        /correspondenceAddress/,
      );
      refused(RegistrationFailure.InvalidInput, () => checkDeclineOffer(r, { actor: 'student', reason: 'no\u0000' }, T0), /reason/);
      refused(RegistrationFailure.InvalidInput, () => checkRegisterDocument(r, upload('ID_DOCUMENT', { originalName: 'id\u0000.pdf' }), T0), /originalName/);
      registerDocument(r, upload('ID_DOCUMENT'), T0);
      refused(RegistrationFailure.InvalidInput, () => checkVerifyItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', note: 'ok\u0007' }, T0), /note/);
      refused(
        RegistrationFailure.InvalidInput,
        () => checkRejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred\u0000' }, T0),
        /note/,
      );
      refused(RegistrationFailure.InvalidInput, () => checkWaiveItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reason: 'x\u0000' }, T0), /reason/);
      refused(
        RegistrationFailure.InvalidInput,
        () => checkExtendDeadline(r, { actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + DAY).toISOString(), reason: 'x\u0000' }, T0),
        /reason/,
      );
    });

    it('a deadline can be extended only before it passes, only later, and only if the registration has it', () => {
      const r = registration();
      const until = new Date(DEADLINE + 7 * DAY).toISOString();
      refused(RegistrationFailure.InvalidTransition, () => checkExtendDeadline(r, { actor: STAFF, deadline: 'PAYMENT', until, reason: 'x' }, T0), /no PAYMENT/);
      refused(
        RegistrationFailure.InvalidInput,
        () => checkExtendDeadline(r, { actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE - DAY).toISOString(), reason: 'x' }, T0),
        /later/,
      );
      refused(RegistrationFailure.InvalidInput, () => checkExtendDeadline(r, { actor: STAFF, deadline: 'REGISTRATION', until: 'soon', reason: 'x' }, T0));
      refused(
        RegistrationFailure.InvalidTransition,
        () => checkExtendDeadline(r, { actor: STAFF, deadline: 'REGISTRATION', until, reason: 'x' }, DEADLINE),
        /passed/,
      );
      checkExtendDeadline(r, { actor: STAFF, deadline: 'REGISTRATION', until, reason: 'x' }, DEADLINE - 1);
    });

    it('a compulsory item cannot be handed in after its deadline (the registration is being withdrawn)', () => {
      const r = registration();
      refused(RegistrationFailure.InvalidTransition, () => checkRegisterDocument(r, upload('ID_DOCUMENT'), DEADLINE), /due by/);
      checkRegisterDocument(r, upload('PHOTO'), DEADLINE + DAY); // non-compulsory items may follow later
    });

    it('after an outcome nothing more is accepted', () => {
      const r = registration();
      declineOffer(r, { actor: 'student' }, T0);
      assert.equal(r.status, 'WITHDRAWN');
      refused(RegistrationFailure.InvalidTransition, () => checkSubmitForm(r, { actor: 'student', form: validForm }, T0), /WITHDRAWN/);
      refused(RegistrationFailure.InvalidTransition, () => checkRegisterDocument(r, upload('ID_DOCUMENT'), T0));
      refused(RegistrationFailure.InvalidTransition, () => checkDeclineOffer(r, { actor: 'student' }, T0));
      refused(RegistrationFailure.InvalidTransition, () => checkWaiveItem(r, { actor: STAFF, itemKey: 'PHOTO', reason: 'x' }, T0));
    });

    it('an upload beyond the tenth of one item is refused with SubmissionLimitReached (the history stays bounded)', () => {
      const r = registration();
      for (let i = 0; i < 10; i++) uploadAgain(r, 'PHOTO', T0 + i * HOUR);
      rejectItem(r, { actor: STAFF, itemKey: 'PHOTO', reasonCode: 'UNREADABLE', note: 'Please send it again.' }, T0 + DAY);
      refused(RegistrationFailure.SubmissionLimitReached, () => checkRegisterDocument(r, upload('PHOTO'), T0 + DAY), /10 submissions/);
      checkRegisterDocument(r, upload('ID_DOCUMENT'), T0 + DAY); // the cap is per item
    });
  });

  describe('late events: after the outcome, recorded and mailed to the registry, never dropped', () => {
    it('an activation after WITHDRAWN is a LATE_EVENT with a LATE_EVENT email; the same activation again adds nothing', () => {
      const r = registration();
      declineOffer(r, { actor: 'student' }, T0);
      takeEmails(r);
      takeSnapshot(r);
      assert.equal(activateAccount(r, { actor: 'system:idp', universityEmail: 'x@connect.ust.hk' }, T0 + HOUR), true);
      assert.equal(r.status, 'WITHDRAWN');
      const snap = takeSnapshot(r);
      assert.deepEqual(
        snap.events.map((e) => [e.type, e.data.event, e.data.status]),
        [['LATE_EVENT', 'ACTIVATION', 'WITHDRAWN']],
      );
      const emails = takeEmails(r);
      assert.deepEqual(
        emails.map((e) => [e.idempotencyKey, e.to]),
        [['registration-A100:LATE_EVENT:1', []]],
      );
      assert.equal(activateAccount(r, { actor: 'system:idp', universityEmail: 'x@connect.ust.hk' }, T0 + 2 * HOUR), false);
    });

    it('a payment after COMPLETED is recorded as a LATE_EVENT (not settled, not dropped); a repeated reference is not', () => {
      const r = registration();
      for (const key of ['ID_DOCUMENT', 'PHOTO'] as const) waiveItem(r, { actor: STAFF, itemKey: key, reason: 'x' }, T0);
      waiveItem(r, { actor: STAFF, itemKey: 'ACTIVATION', reason: 'x' }, T0);
      submitForm(r, { actor: 'student', form: validForm }, T0);
      assert.equal(r.status, 'COMPLETED');
      takeSnapshot(r);
      takeEmails(r);
      assert.equal(confirmPayment(r, { actor: 'system:payment', paymentRef: 'PAY-9', amount: 42100, currency: 'HKD' }, T0 + DAY), true);
      const [event] = takeSnapshot(r).events;
      assert.deepEqual([event!.type, event!.data.event, event!.data.paymentRef, event!.data.amount], ['LATE_EVENT', 'PAYMENT', 'PAY-9', 42100]);
      assert.deepEqual(
        takeEmails(r).map((e) => e.message.kind),
        ['LATE_EVENT'],
      );
      assert.equal(confirmPayment(r, { actor: 'system:payment', paymentRef: 'PAY-9', amount: 42100, currency: 'HKD' }, T0 + DAY), false);
    });
  });

  describe('payments against the cohort fee', () => {
    const ug = student({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' });
    const withFee = defaultCohortPolicy(new Date(DEADLINE).toISOString(), { tuitionFee: { amount: 42100, currency: 'HKD' } });
    const receipt = (r: RegistrationRecord) => statusView(r).items.find((i) => i.key === 'TUITION_RECEIPT')!;

    it('the exact fee settles the tuition item', () => {
      const r = registration(ug, withFee);
      confirmPayment(r, { actor: 'system:payment', paymentRef: 'P1', amount: 42100, currency: 'HKD' }, T0);
      assert.equal(receipt(r).state, 'VERIFIED');
    });

    for (const [what, paid] of [
      ['a short amount', { amount: 4210, currency: 'HKD' }],
      ['another currency', { amount: 42100, currency: 'USD' }],
      ['no amount at all', {}],
    ] as const) {
      it(`${what}: recorded as PAYMENT_MISMATCH, the item SUBMITTED and flagged for staff, never settled`, () => {
        const r = registration(ug, withFee);
        takeSnapshot(r);
        confirmPayment(r, { actor: 'system:payment', paymentRef: 'P1', ...paid }, T0);
        const item = receipt(r);
        assert.equal(item.state, 'SUBMITTED');
        assert.match(item.flag ?? '', /of 42100 HKD paid|the fee is 42100 HKD/);
        const snap = takeSnapshot(r);
        assert.deepEqual(
          snap.events.map((e) => e.type),
          ['PAYMENT_MISMATCH'],
        );
        assert.match(snap.view.items.find((i) => i.key === 'TUITION_RECEIPT')!.flag ?? '', /42100 HKD/);
        // Staff decide; their decision clears the flag.
        verifyItem(r, { actor: STAFF, itemKey: 'TUITION_RECEIPT', note: 'paid by two transfers' }, T0 + HOUR);
        assert.equal(receipt(r).flag, undefined);
      });
    }

    it('a mismatched payment leaves the fee owed: at the end of the grace period the student is withdrawn (staff had not decided)', () => {
      const r = registration(ug, withFee);
      confirmPayment(r, { actor: 'system:payment', paymentRef: 'P1', amount: 100, currency: 'HKD' }, T0);
      activateAccount(r, { actor: 'system:idp', universityEmail: 'a@connect.ust.hk' }, T0);
      submitForm(r, { actor: 'student', form: validForm }, T0);
      registerDocument(r, upload('ID_DOCUMENT'), T0);
      advance(r, DEADLINE);
      assert.equal(r.status, 'IN_PROGRESS', 'not INCOMPLETE: the fee is not settled (state-fee.test.ts has the dates)');
      advance(r, DEADLINE + 10 * DAY);
      assert.equal(r.status, 'WITHDRAWN');
      assert.equal(r.outcome!.reason, 'MISSED_FEE');
    });
  });

  describe('duplicate uploads (the workflow decides them)', () => {
    it('a registerDocument sent twice with the same document id records one submission and one event', () => {
      const r = registration();
      const doc = upload('ID_DOCUMENT', { documentId: '0b7c3f0e-5f1a-4c59-9a56-1f0a2b3c4d5e' });
      registerDocument(r, doc, T0);
      const seq = r.seq;
      takeSnapshot(r);
      // The retry (e.g. after the gateway timed out) passes the validator and changes nothing.
      checkRegisterDocument(r, doc, T0 + 1000);
      const item = registerDocument(r, doc, T0 + 1000);
      assert.equal(item.submissions.length, 1);
      assert.equal(item.submissions[0]!.documentId, doc.documentId);
      assert.equal(r.seq, seq);
      assert.deepEqual(takeSnapshot(r).events, []);
    });

    it('a retry is answered even after the item was verified; other bytes under the same id are refused', () => {
      const r = registration();
      const doc = upload('ID_DOCUMENT', { documentId: '1b7c3f0e-5f1a-4c59-9a56-1f0a2b3c4d5e' });
      registerDocument(r, doc, T0);
      verifyItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT' }, T0 + HOUR);
      assert.equal(registerDocument(r, doc, T0 + 2 * HOUR).submissions.length, 1);
      refused(RegistrationFailure.InvalidInput, () => checkRegisterDocument(r, { ...doc, sha256: 'a'.repeat(64) }, T0 + 2 * HOUR), /other bytes/);
      // New bytes under a new id for a verified item: refused as before.
      refused(RegistrationFailure.InvalidTransition, () => checkRegisterDocument(r, upload('ID_DOCUMENT'), T0 + 2 * HOUR), /already VERIFIED/);
    });

    it("the current submission's bytes again (a new id) record nothing; after a rejection they are a new version", () => {
      const r = registration();
      const first = upload('ID_DOCUMENT', { documentId: '2b7c3f0e-5f1a-4c59-9a56-1f0a2b3c4d5e' });
      registerDocument(r, first, T0);
      const again = { ...first, documentId: '3b7c3f0e-5f1a-4c59-9a56-1f0a2b3c4d5e' };
      assert.deepEqual(
        registerDocument(r, again, T0 + 1).submissions.map((s) => s.documentId),
        [first.documentId],
      );
      rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred' }, T0 + HOUR);
      assert.deepEqual(
        registerDocument(r, again, T0 + 2 * HOUR).submissions.map((s) => s.documentId),
        [first.documentId, again.documentId],
      );
    });
  });
});
