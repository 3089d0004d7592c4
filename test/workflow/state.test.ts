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
import { RegistrationState } from '../../workflows/registration/state';
import { DEADLINE, T0, refused, registration, student } from './state-support';
import { DAY, HOUR, STAFF, upload, validForm } from './support';

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
