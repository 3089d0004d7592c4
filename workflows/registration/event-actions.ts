/**
 * Events from other systems (signals) on the registration record: the
 * identity provider's activation, a payment, a sign-in link request. A
 * duplicate changes nothing (each answers whether anything changed); after
 * the outcome, an activation or payment is still recorded as a late event.
 */
import { isSettled } from './vocabulary';
import { personalEmailOf, queueEmail } from './email-decisions';
import { lateEventFacts } from './emails';
import { applyFeePayment, paymentRefusal } from './fee-settlement';
import { feeMismatch } from './input-rules';
import { follows } from './rule-changes';
import { deadlineOf } from './time-rules';
import { settleOutcome } from './outcome';
import { iso } from './plain';
import type { RegistrationRecord } from './records';
import { isClosed, itemOf, recordEvent, review } from './state-core';
import type { AccessRevokedInput, AccountActivatedInput, LateEventKind, PaymentConfirmedInput, SignInLinkRequestedInput } from './types';
import { addWorkingDays } from './working-days';

/** Sign-in link requests remembered for de-duplication (a retried request within this many is not mailed twice). */
const SIGN_IN_REQUESTS_KEPT = 20;

export function activateAccount(r: RegistrationRecord, input: AccountActivatedInput, now: number): boolean {
  if (isClosed(r) && r.universityEmail !== input.universityEmail) {
    r.universityEmail ??= input.universityEmail;
    return recordLateEvent(r, 'ACTIVATION', input.actor, now, { universityEmail: input.universityEmail, activatedAt: input.activatedAt });
  }
  if (isClosed(r) || r.universityEmail !== undefined) return false;
  r.universityEmail = input.universityEmail;
  const item = itemOf(r, 'ACTIVATION');
  // A waived activation stays waived; the university email is still worth knowing.
  if (!isSettled(item.state)) {
    item.state = 'VERIFIED';
    item.submittedAt = item.reviewedAt = now;
    item.reviews.push(review(r, 'VERIFIED', input.actor, now));
  }
  recordEvent(r, 'ACCOUNT_ACTIVATED', input.actor, now, { universityEmail: input.universityEmail, activatedAt: input.activatedAt });
  settleOutcome(r, now);
  return true;
}

export function confirmPayment(r: RegistrationRecord, input: PaymentConfirmedInput, now: number): boolean {
  if (r.paymentRefs.includes(input.paymentRef)) return false;
  const byPaidAt = follows(r, 'fee-settled-by-paid-at');
  const refusal = byPaidAt ? paymentRefusal(input, now) : undefined;
  if (refusal) {
    // Not remembered as seen: the provider's corrected confirmation under the same reference still counts.
    const { actor, ...payment } = input;
    recordEvent(r, 'PAYMENT_REFUSED', actor, now, { ...payment, refusal });
    return true;
  }
  r.paymentRefs.push(input.paymentRef);
  if (isClosed(r)) {
    const { actor, ...payment } = input;
    return recordLateEvent(r, 'PAYMENT', actor, now, payment);
  }
  if (byPaidAt) {
    const fee = r.items.find((i) => i.kind === 'TUITION_RECEIPT');
    if (fee) {
      const changed = applyFeePayment(r, input, fee, deadlineOf(fee, r.deadlines)!, now, (data) => recordLateEvent(r, 'PAYMENT', input.actor, now, data));
      settleOutcome(r, now);
      return changed;
    }
  }
  const item = r.items.find((i) => i.kind === 'TUITION_RECEIPT');
  const mismatch = feeMismatch(r.input.policy.tuitionFee, input);
  const settles = !!item && !isSettled(item.state) && !mismatch;
  if (item && settles) {
    item.state = 'VERIFIED';
    item.submittedAt ??= now;
    item.reviewedAt = now;
    item.sla = undefined;
    item.flag = undefined;
    item.reviews.push(review(r, 'VERIFIED', input.actor, now, { note: `payment ${input.paymentRef}` }));
  } else if (item && mismatch && !isSettled(item.state)) {
    // Money arrived, but not the fee: never settled silently. The item waits in the review queue, flagged, for
    // staff to verify or reject; meanwhile the fee deadline does not withdraw a student who paid something.
    if (item.state !== 'SUBMITTED') {
      item.state = 'SUBMITTED';
      item.submittedAt = now;
      item.rejectedAt = undefined;
      item.sla = { ...addWorkingDays(now, r.input.policy.verificationSlaWorkingDays, r.holidays), breached: false };
    }
    item.flag = mismatch;
  }
  recordEvent(r, mismatch ? 'PAYMENT_MISMATCH' : 'PAYMENT_CONFIRMED', input.actor, now, { ...input, settledItem: settles, ...(mismatch ? { mismatch } : {}) });
  settleOutcome(r, now);
  return true;
}

/**
 * An event from another system after the outcome (or a payment made after the
 * fee's deadline): it changes nothing, but it is recorded (audit trail and read
 * model) and the registry is told, because money or an account that arrives
 * must never vanish.
 */
function recordLateEvent(r: RegistrationRecord, event: LateEventKind, actor: string, now: number, data: Record<string, unknown>): boolean {
  recordEvent(r, 'LATE_EVENT', actor, now, { event, status: r.status, outcomeReason: r.outcome?.reason, ...data });
  const facts = lateEventFacts(event, data);
  const afterDeadline = typeof data.afterDeadline === 'string' ? data.afterDeadline : undefined;
  queueEmail(
    r,
    { kind: 'LATE_EVENT', event, status: r.status, outcomeReason: r.outcome?.reason, receivedAt: iso(now), ...(afterDeadline ? { afterDeadline } : {}), facts },
    [],
  );
  return true;
}

/** A fresh sign-in link to the personal email on record, once per request id; nothing once the registration is closed. */
export function requestSignInLink(r: RegistrationRecord, input: SignInLinkRequestedInput, now: number): boolean {
  if (isClosed(r) || !input.requestId || r.signInRequests.includes(input.requestId)) return false;
  r.signInRequests.push(input.requestId);
  if (r.signInRequests.length > SIGN_IN_REQUESTS_KEPT) r.signInRequests.shift();
  recordEvent(r, 'SIGN_IN_LINK_REQUESTED', input.actor, now, { requestId: input.requestId });
  queueEmail(r, { kind: 'SIGN_IN_LINK' }, [personalEmailOf(r)]);
  return true;
}

/**
 * Staff revoked the student's access: the revocation enters the audit trail under the staff actor, and the
 * student gets a fresh link at the personal email on record (issued when sent, so after the cutoff). Staff never
 * hold a working link: a link in staff hands would let them act as the student (docs/gateway.md, Revocation).
 * Once per request id; a closed registration records the revocation and sends nothing.
 */
export function recordAccessRevoked(r: RegistrationRecord, input: AccessRevokedInput, now: number): boolean {
  if (!input.requestId || r.signInRequests.includes(input.requestId)) return false;
  r.signInRequests.push(input.requestId);
  if (r.signInRequests.length > SIGN_IN_REQUESTS_KEPT) r.signInRequests.shift();
  const closed = isClosed(r);
  recordEvent(r, 'ACCESS_REVOKED', input.actor, now, { requestId: input.requestId, revokedAt: input.revokedAt, reason: input.reason, linkEmailed: !closed });
  if (!closed) queueEmail(r, { kind: 'SIGN_IN_LINK' }, [personalEmailOf(r)]);
  return true;
}
