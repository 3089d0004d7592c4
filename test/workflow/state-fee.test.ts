/**
 * The tuition fee on the state machine (docs/domain.md, "The tuition fee"): a
 * payment counts by its signed `paidAt`, confirmed within the settlement grace
 * period; the fee decision waits for that period; only the full fee settles
 * it. Every date and amount below is worked out by hand from the rules:
 *
 * - The cohort has no payment deadline, so the fee is due by the registration
 *   deadline, Wed 23 Dec 2026 23:59 HKT (2026-12-23T15:59Z).
 * - The grace period is 3 Hong Kong working days after the day of the
 *   deadline: Thu 24 Dec; Fri 25 (Christmas Day) and Sat 26 ("the first
 *   weekday after Christmas Day", not moved) and Sun 27 do not count; Mon 28,
 *   Tue 29. The fee is decided at 00:00 HKT on Wed 30 Dec (2026-12-29T16:00Z).
 * - The fee is 42,100 HKD.
 */
import assert from 'node:assert/strict';
import { renderEmail } from '../../activities/email/templates';
import { defaultCohortPolicy, type CohortPolicy } from '../../workflows/registration/api';
import { takeEmails } from '../../workflows/registration/email-decisions';
import { activateAccount, confirmPayment } from '../../workflows/registration/event-actions';
import type { RegistrationRecord } from '../../workflows/registration/records';
import { verifyItem, waiveItem } from '../../workflows/registration/review-actions';
import { adoptRules, invite, setHolidays, startRegistration } from '../../workflows/registration/state';
import { extendDeadline } from '../../workflows/registration/staff-actions';
import { registerDocument, submitForm } from '../../workflows/registration/student-actions';
import { advance, nextWakeUp } from '../../workflows/registration/time-actions';
import { statusView, takeSnapshot } from '../../workflows/registration/views';
import { student } from './state-support';
import { DAY, HOUR, MINUTE, STAFF, upload } from './support';
import { validForm } from '../kit/samples';

const STARTED = Date.parse('2026-11-20T02:00:00Z');
const DEADLINE = Date.parse('2026-12-23T15:59:00Z');
const DECIDED = Date.parse('2026-12-29T16:00:00Z');
const HOLIDAYS = ['2026-12-25', '2026-12-26', '2027-01-01'];
const FEE = { amount: 42100, currency: 'HKD' };
const ug = student({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' });
const PERSONAL = ug.personalEmail;
const UNIVERSITY = 'a100@connect.ust.hk';
const links = { activationUrl: 'https://idp.example/activate?token=T', registrationUrl: 'https://reg.example/invite?token=T' };

function registration(policy: Partial<CohortPolicy> = { tuitionFee: FEE }, rules?: []): RegistrationRecord {
  const r = startRegistration({ student: ug, policy: defaultCohortPolicy(new Date(DEADLINE).toISOString(), policy) }, STARTED, ...(rules ? [rules] : []));
  setHolidays(r, HOLIDAYS);
  invite(r);
  takeEmails(r);
  return r;
}

/** Everything but the fee (and the photo, which may follow): activation, form, identification. */
function everythingButTheFee(r: RegistrationRecord, at = STARTED + DAY): void {
  activateAccount(r, { actor: 'system:idp', universityEmail: UNIVERSITY }, at);
  submitForm(r, { actor: 'student', form: validForm }, at);
  registerDocument(r, upload('ID_DOCUMENT'), at);
  verifyItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT' }, at);
}

const pay = (paymentRef: string, amount: number | undefined, paidAt: number, receivedAt: number, currency = 'HKD') => ({
  actor: 'system:payment',
  paymentRef,
  ...(amount === undefined ? {} : { amount, currency }),
  paidAt: new Date(paidAt).toISOString(),
  receivedAt: new Date(receivedAt).toISOString(),
});
const fee = (r: RegistrationRecord) => statusView(r).items.find((i) => i.key === 'TUITION_RECEIPT')!;
const events = (r: RegistrationRecord) => takeSnapshot(r).events.map((e) => e.type);

describe('registration state: the tuition fee', () => {
  describe('when a payment counts', () => {
    it('paid at 23:58 on the deadline and confirmed at 00:05 the next day: on time, the fee settles, not withdrawn', () => {
      const r = registration();
      everythingButTheFee(r);
      advance(r, DEADLINE);
      assert.equal(r.status, 'IN_PROGRESS', 'the fee decision waits for the grace period');
      assert.deepEqual(nextWakeUp(r, DEADLINE), { at: DECIDED, what: 'end of the settlement grace period of the tuition fee' });
      takeSnapshot(r);
      const paidAt = DEADLINE - MINUTE; // 23:58 HKT
      const confirmed = DEADLINE + 6 * MINUTE; // 00:05 HKT on Thu 24 Dec
      assert.equal(confirmPayment(r, pay('PAY-1', 42100, paidAt, confirmed), confirmed), true);
      assert.equal(fee(r).state, 'VERIFIED');
      assert.deepEqual(events(r), ['PAYMENT_CONFIRMED', 'STATUS_CHANGED']);
      assert.equal(r.status, 'INCOMPLETE', 'only the photo is owed: registered');
    });

    it('confirmed on the last day of the grace period still counts; the fee is decided at 00:00 HKT on Wed 30 Dec', () => {
      const r = registration();
      everythingButTheFee(r);
      advance(r, DEADLINE);
      advance(r, DECIDED - 1);
      assert.equal(r.status, 'IN_PROGRESS', 'Tue 29 Dec 23:59:59.999 HKT: still in the grace period');
      confirmPayment(r, pay('PAY-1', 42100, DEADLINE - HOUR, DECIDED - 1), DECIDED - 1);
      advance(r, DECIDED);
      assert.equal(r.status, 'INCOMPLETE');
    });

    it('nothing paid: withdrawn at the end of the grace period (not at the deadline), in words that name the registration deadline', () => {
      const r = registration();
      everythingButTheFee(r);
      advance(r, DEADLINE);
      assert.equal(r.status, 'IN_PROGRESS');
      advance(r, DECIDED - 1);
      assert.equal(r.status, 'IN_PROGRESS');
      takeEmails(r);
      advance(r, DECIDED);
      assert.equal(r.status, 'WITHDRAWN');
      assert.equal(r.outcome!.reason, 'MISSED_FEE');
      assert.deepEqual(r.outcome!.items, ['TUITION_RECEIPT']);
      assert.match(r.outcome!.detail, /not settled by the registration deadline 2026-12-23T15:59:00\.000Z/);
      const [notice] = takeEmails(r);
      assert.equal(notice!.message.kind, 'WITHDRAWAL');
      const { text } = renderEmail(notice!);
      assert.match(text, /the tuition fee was not settled by the registration deadline\./);
      assert.doesNotMatch(text, /payment deadline/, 'this cohort had no payment deadline');
    });

    it('a payment deadline of its own is named as such', () => {
      const paymentDeadline = Date.parse('2026-12-16T15:59:00Z'); // Wed 16 Dec 23:59 HKT
      const r = registration({ tuitionFee: FEE, paymentDeadline: new Date(paymentDeadline).toISOString() });
      everythingButTheFee(r);
      advance(r, paymentDeadline);
      // Thu 17, Fri 18, Mon 21: decided at 00:00 HKT on Tue 22 Dec.
      const decided = Date.parse('2026-12-21T16:00:00Z');
      advance(r, decided - 1);
      assert.equal(r.status, 'IN_PROGRESS');
      takeEmails(r);
      advance(r, decided);
      assert.equal(r.status, 'WITHDRAWN');
      assert.match(renderEmail(takeEmails(r)[0]!).text, /not settled by the tuition payment deadline\./);
    });

    it('paid an hour after the deadline, confirmed in the grace period: never backdated; a late event, the registry told; withdrawn at the end', () => {
      const r = registration();
      everythingButTheFee(r);
      advance(r, DEADLINE);
      takeSnapshot(r);
      takeEmails(r);
      const paidAt = DEADLINE + HOUR;
      confirmPayment(r, pay('PAY-LATE', 42100, paidAt, paidAt + MINUTE), paidAt + 2 * HOUR);
      assert.equal(fee(r).state, 'PENDING');
      const [late] = takeSnapshot(r).events;
      assert.deepEqual(
        [late!.type, late!.data.event, late!.data.status, late!.data.afterDeadline],
        ['LATE_EVENT', 'PAYMENT', 'IN_PROGRESS', '2026-12-23T15:59:00.000Z'],
      );
      const [alert] = takeEmails(r);
      assert.deepEqual([alert!.message.kind, alert!.to], ['LATE_EVENT', []]);
      assert.match(renderEmail(alert!).text, /A payment made after the tuition fee's deadline \(Wed, 23 Dec 2026, 23:59 HKT\)/);
      advance(r, DECIDED);
      assert.equal(r.status, 'WITHDRAWN');
    });

    it('the worker was down over the deadline: a payment made an hour late, handled before the deadline timer, does not settle', () => {
      const r = registration();
      everythingButTheFee(r);
      // Both reach the workflow when the worker is back, two hours after the deadline; the signal first.
      const back = DEADLINE + 2 * HOUR;
      confirmPayment(r, pay('PAY-LATE', 42100, DEADLINE + HOUR, DEADLINE + HOUR), back);
      advance(r, back);
      assert.equal(fee(r).state, 'PENDING');
      assert.equal(r.status, 'IN_PROGRESS');
      advance(r, DECIDED);
      assert.equal(r.status, 'WITHDRAWN');
    });

    it('an extension of the deadline moves the grace period with it (over New Year)', () => {
      const r = registration();
      everythingButTheFee(r);
      // Wed 30 Dec 23:59 HKT; then Thu 31, (Fri 1 Jan holiday, weekend), Mon 4, Tue 5: decided 00:00 HKT Wed 6 Jan 2027.
      extendDeadline(r, { actor: 'staff:admin', deadline: 'REGISTRATION', until: '2026-12-30T15:59:00.000Z', reason: 'bank delay' }, DEADLINE - DAY);
      advance(r, Date.parse('2026-12-30T15:59:00Z'));
      advance(r, Date.parse('2027-01-05T15:59:59Z'));
      assert.equal(r.status, 'IN_PROGRESS');
      advance(r, Date.parse('2027-01-05T16:00:00Z'));
      assert.equal(r.status, 'WITHDRAWN');
    });

    it('refused: a paidAt in the future or later than its arrival, an amount of zero or less; nothing settles and the reference stays usable', () => {
      const r = registration();
      takeSnapshot(r);
      const now = DEADLINE - DAY;
      const cases = [
        pay('PAY-1', 42100, now + MINUTE, now + MINUTE), // paid and "received" after now
        pay('PAY-1', 42100, now - MINUTE, now - HOUR), // paid after it arrived
        pay('PAY-1', 0, now - HOUR, now - HOUR),
        pay('PAY-1', -42100, now - HOUR, now - HOUR),
      ];
      for (const input of cases) assert.equal(confirmPayment(r, input, now), true);
      const snap = takeSnapshot(r);
      assert.deepEqual(
        snap.events.map((e) => e.type),
        ['PAYMENT_REFUSED', 'PAYMENT_REFUSED', 'PAYMENT_REFUSED', 'PAYMENT_REFUSED'],
      );
      assert.match(String(snap.events[0]!.data.refusal), /receivedAt .* is not a past instant/);
      assert.match(String(snap.events[1]!.data.refusal), /later than the payment's arrival/);
      assert.match(String(snap.events[2]!.data.refusal), /more than zero/);
      assert.equal(fee(r).state, 'PENDING');
      confirmPayment(r, pay('PAY-1', 42100, now - HOUR, now - HOUR), now);
      assert.equal(fee(r).state, 'VERIFIED', 'the corrected confirmation under the same reference counts');
    });
  });

  describe('what counts as settled', () => {
    it('an underpayment never settles: open and flagged, the student emailed the shortfall, not registered, withdrawn at the end of the grace period', () => {
      const r = registration();
      everythingButTheFee(r);
      takeEmails(r);
      takeSnapshot(r);
      const at = DEADLINE - 3 * DAY;
      confirmPayment(r, pay('PAY-1', 40000, at, at), at);
      const item = fee(r);
      assert.equal(item.state, 'SUBMITTED', 'in the review queue for staff');
      assert.equal(item.flag, 'underpaid: 40000 HKD of 42100 HKD paid, 2100 HKD outstanding');
      assert.deepEqual(events(r), ['PAYMENT_MISMATCH']);
      const [email] = takeEmails(r);
      assert.deepEqual([email!.message.kind, email!.to], ['PAYMENT_SHORTFALL', [PERSONAL, UNIVERSITY]]);
      const { subject, text } = renderEmail(email!, links);
      assert.equal(subject, 'HKUST: Tuition fee not fully paid');
      assert.match(text, /We received 40,000 HKD for your tuition fee of 42,100 HKD\. The fee is not settled: 2,100 HKD is outstanding\./);
      assert.match(text, /Please pay the outstanding 2,100 HKD by Wed, 23 Dec 2026, 23:59 HKT/);
      advance(r, DEADLINE);
      assert.equal(r.status, 'IN_PROGRESS', 'not INCOMPLETE: the fee is not in');
      advance(r, DECIDED);
      assert.equal(r.status, 'WITHDRAWN');
      assert.equal(r.outcome!.reason, 'MISSED_FEE');
    });

    it('the rest paid on time settles it (in cents: 0.1 + 0.2 of a fee of 0.3)', () => {
      const r = registration({ tuitionFee: { amount: 0.3, currency: 'HKD' } });
      confirmPayment(r, pay('PAY-1', 0.1, DEADLINE - DAY, DEADLINE - DAY), DEADLINE - DAY);
      assert.equal(fee(r).flag, 'underpaid: 0.10 HKD of 0.30 HKD paid, 0.20 HKD outstanding');
      confirmPayment(r, pay('PAY-2', 0.2, DEADLINE - HOUR, DEADLINE + HOUR), DEADLINE + HOUR);
      assert.deepEqual([fee(r).state, fee(r).flag], ['VERIFIED', undefined]);
    });

    it('after an underpayment, staff may verify (an instalment plan) or waive: the student is not withdrawn', () => {
      for (const decide of ['verify', 'waive'] as const) {
        const r = registration();
        everythingButTheFee(r);
        confirmPayment(r, pay('PAY-1', 20000, DEADLINE - DAY, DEADLINE - DAY), DEADLINE - DAY);
        if (decide === 'verify') verifyItem(r, { actor: STAFF, itemKey: 'TUITION_RECEIPT', note: 'instalment plan approved' }, DEADLINE - HOUR);
        else waiveItem(r, { actor: STAFF, itemKey: 'TUITION_RECEIPT', reason: 'scholarship' }, DEADLINE - HOUR);
        assert.equal(fee(r).flag, undefined);
        advance(r, DEADLINE);
        advance(r, DECIDED);
        assert.equal(r.status, 'INCOMPLETE', decide);
      }
    });

    it('an overpayment settles and is flagged for a refund', () => {
      const r = registration();
      confirmPayment(r, pay('PAY-1', 42600, DEADLINE - DAY, DEADLINE - DAY), DEADLINE - DAY);
      assert.deepEqual([fee(r).state, fee(r).flag], ['VERIFIED', 'overpaid by 500 HKD: refund due']);
    });

    it('another currency is flagged and does not settle; no shortfall email (staff convert)', () => {
      const r = registration();
      takeEmails(r);
      confirmPayment(r, pay('PAY-1', 5400, DEADLINE - DAY, DEADLINE - DAY, 'USD'), DEADLINE - DAY);
      assert.deepEqual([fee(r).state, fee(r).flag], ['SUBMITTED', 'paid 5400 USD, but the fee is 42100 HKD: another currency']);
      assert.deepEqual(takeEmails(r), []);
      advance(r, DEADLINE);
      advance(r, DECIDED);
      assert.equal(r.status, 'WITHDRAWN');
    });

    it('a student whose fee is not known: a payment is flagged for staff, never settled by itself', () => {
      const r = registration({});
      confirmPayment(r, pay('PAY-1', 1, DEADLINE - DAY, DEADLINE - DAY), DEADLINE - DAY);
      assert.deepEqual([fee(r).state, fee(r).flag], ['SUBMITTED', 'the fee for this student is not known: staff decide']);
    });

    it('a registration from before the rule change keeps the old rule (any payment on arrival; a mismatch counts as handed in)', () => {
      const r = registration({ tuitionFee: FEE }, []);
      confirmPayment(r, { actor: 'system:payment', paymentRef: 'P1', amount: 100, currency: 'HKD' }, STARTED);
      activateAccount(r, { actor: 'system:idp', universityEmail: UNIVERSITY }, STARTED);
      submitForm(r, { actor: 'student', form: validForm }, STARTED);
      registerDocument(r, upload('ID_DOCUMENT'), STARTED);
      advance(r, DEADLINE);
      assert.equal(r.status, 'INCOMPLETE');
      adoptRules(r, ['fee-settled-by-paid-at']);
      assert.equal(r.status, 'INCOMPLETE', 'adopting a rule changes nothing decided');
    });
  });
});
