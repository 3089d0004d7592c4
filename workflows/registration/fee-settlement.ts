/**
 * When a tuition payment counts and when it settles the fee (docs/domain.md,
 * "The tuition fee"), as pure rules, and their application to the record:
 *
 * - a payment counts as on time when its signed `paidAt` is at or before the
 *   fee's deadline, whenever it is confirmed inside the settlement grace
 *   period; one made after the deadline is never backdated (a late event);
 * - a payment of nothing, or one dated in the future or after its own
 *   arrival, is refused;
 * - only the full fee, in the fee's currency, settles it; less leaves the
 *   item open and flagged (the student is told the shortfall), more settles
 *   it and is flagged for a refund, another currency is flagged.
 *
 * Followed by registrations that adopted 'fee-settled-by-paid-at'
 * (rule-changes.ts); event-actions.ts keeps the rule as it was for the others.
 */
import { queueEmail, studentAddresses } from './email-decisions';
import { iso } from './plain';
import type { Deadline, ItemRecord, RegistrationRecord } from './records';
import { recordEvent, review } from './state-core';
import type { CohortPolicy, PaymentConfirmedInput, TuitionFee } from './types';
import { isSettled } from './vocabulary';
import { addWorkingDays, type HkDate } from './working-days';
import { SETTLEMENT_GRACE_WORKING_DAYS } from './policy';

/** Money is counted in cents: 0.1 + 0.2 HKD must equal 0.3 HKD. */
const cents = (amount: number): number => Math.round(amount * 100);
const money = (c: number, currency: string): string => `${(c / 100).toFixed(2).replace(/\.00$/, '')} ${currency}`;

/** Hong Kong working days after the fee's deadline in which a payment made by the deadline may still be confirmed. */
const settlementGraceDays = (policy: CohortPolicy): number => policy.settlementGraceWorkingDays ?? SETTLEMENT_GRACE_WORKING_DAYS;

/** The end of the settlement grace period: 00:00 HKT after the n-th working day after the day of the deadline. The fee is decided then. */
export const feeDecidedAt = (deadline: Deadline, policy: CohortPolicy, holidays: ReadonlySet<HkDate>): number =>
  addWorkingDays(deadline.at, settlementGraceDays(policy), holidays).endsAt;

/** The fee is still owed: nothing handed in, or money that did not settle it (short, another currency, no known fee). */
export const feeUnsettled = (item: ItemRecord): boolean => item.state === 'PENDING' || (item.state === 'SUBMITTED' && item.awaitingPayment === true);

/** Why a payment confirmation is refused outright (nothing recorded but the refusal), or undefined. */
export function paymentRefusal(input: PaymentConfirmedInput, now: number): string | undefined {
  if (input.amount !== undefined && !(Number.isFinite(input.amount) && input.amount > 0)) return `amount ${input.amount}: a payment must be more than zero`;
  const arrived = input.receivedAt === undefined ? now : Date.parse(input.receivedAt);
  if (Number.isNaN(arrived) || arrived > now) return `receivedAt ${input.receivedAt} is not a past instant`;
  if (input.paidAt !== undefined) {
    const paidAt = Date.parse(input.paidAt);
    if (Number.isNaN(paidAt)) return `paidAt ${input.paidAt} is not an instant`;
    if (paidAt > arrived) return `paidAt ${input.paidAt} is later than the payment's arrival ${iso(arrived)}`;
  }
  return undefined;
}

/** When the payment was made: its signed `paidAt`, else when it arrived. */
const paidAtOf = (input: PaymentConfirmedInput, now: number): number => Date.parse(input.paidAt ?? input.receivedAt ?? iso(now));

export type FeeJudgement =
  | { settles: true; paidCents: number; overpaid?: string }
  | { settles: false; paidCents: number; flag: string; shortfall?: { amount: number; currency: string } };

/** What an on-time payment does to the fee, given what was paid on time before (in the fee's currency). */
function judgeFeePayment(fee: TuitionFee | undefined, paidBeforeCents: number, payment: Pick<PaymentConfirmedInput, 'amount' | 'currency'>): FeeJudgement {
  if (!fee) return { settles: false, paidCents: paidBeforeCents, flag: 'the fee for this student is not known: staff decide' };
  const feeCents = cents(fee.amount);
  const currency = fee.currency.toUpperCase();
  if (payment.amount === undefined || !payment.currency) {
    return { settles: false, paidCents: paidBeforeCents, flag: `the payment did not state its amount and currency; the fee is ${money(feeCents, currency)}` };
  }
  if (payment.currency.toUpperCase() !== currency) {
    return {
      settles: false,
      paidCents: paidBeforeCents,
      flag: `paid ${payment.amount} ${payment.currency}, but the fee is ${money(feeCents, currency)}: another currency`,
    };
  }
  const paid = paidBeforeCents + cents(payment.amount);
  if (paid >= feeCents) return { settles: true, paidCents: paid, ...(paid > feeCents ? { overpaid: money(paid - feeCents, currency) } : {}) };
  return {
    settles: false,
    paidCents: paid,
    flag: `underpaid: ${money(paid, currency)} of ${money(feeCents, currency)} paid, ${money(feeCents - paid, currency)} outstanding`,
    shortfall: { amount: (feeCents - paid) / 100, currency },
  };
}

/**
 * A confirmed payment (not refused, not a repeat, registration open) under the rule: a late event when made after
 * the fee's deadline (`late`), else judged against the fee. Answers whether anything changed.
 */
export function applyFeePayment(
  r: RegistrationRecord,
  input: PaymentConfirmedInput,
  item: ItemRecord,
  deadline: Deadline,
  now: number,
  late: (data: Record<string, unknown>) => boolean,
): boolean {
  const { actor, ...payment } = input;
  const paidAt = paidAtOf(input, now);
  if (paidAt > deadline.at) return late({ ...payment, paidAt: iso(paidAt), afterDeadline: iso(deadline.at) });
  if (isSettled(item.state)) {
    // Money for a fee already settled (paid in full, or waived) belongs back to the student.
    item.flag = `paid ${payment.amount ?? '?'} ${payment.currency ?? ''} (${payment.paymentRef}) after the fee was settled: refund due`.replace(/ {2}/g, ' ');
    recordEvent(r, 'PAYMENT_CONFIRMED', actor, now, { ...payment, settledItem: false, flag: item.flag });
    return true;
  }
  const judged = judgeFeePayment(r.input.policy.tuitionFee, item.paidCents ?? 0, input);
  item.paidCents = judged.paidCents;
  if (judged.settles) {
    item.state = 'VERIFIED';
    item.submittedAt ??= now;
    item.reviewedAt = now;
    item.sla = undefined;
    item.awaitingPayment = undefined;
    item.flag = judged.overpaid ? `overpaid by ${judged.overpaid}: refund due` : undefined;
    item.reviews.push(review(r, 'VERIFIED', actor, now, { note: `payment ${input.paymentRef}` }));
    recordEvent(r, 'PAYMENT_CONFIRMED', actor, now, {
      ...payment,
      settledItem: true,
      ...(judged.overpaid ? { overpaid: judged.overpaid, flag: item.flag } : {}),
    });
    return true;
  }
  // Money arrived, but not the fee: never settled silently. The item waits in the review queue, flagged, for staff
  // to verify (an approved instalment plan), waive or reject; it still counts as owed at the fee decision.
  if (item.state !== 'SUBMITTED') {
    item.state = 'SUBMITTED';
    item.submittedAt = now;
    item.rejectedAt = undefined;
    item.sla = { ...addWorkingDays(now, r.input.policy.verificationSlaWorkingDays, r.holidays), breached: false };
  }
  item.awaitingPayment = true;
  item.flag = judged.flag;
  recordEvent(r, 'PAYMENT_MISMATCH', actor, now, { ...payment, settledItem: false, mismatch: judged.flag, shortfall: judged.shortfall });
  if (judged.shortfall) {
    queueEmail(
      r,
      {
        kind: 'PAYMENT_SHORTFALL',
        paid: judged.paidCents / 100,
        fee: r.input.policy.tuitionFee!.amount,
        shortfall: judged.shortfall.amount,
        currency: judged.shortfall.currency,
        // Only a date still ahead is worth naming: a payment made after it would not count.
        ...(deadline.at > now ? { payBy: iso(deadline.at) } : {}),
      },
      studentAddresses(r),
    );
  }
  return true;
}

/** The fee decision at the end of the grace period: the fee still owed withdraws the student. */
export function feeDecisionDue(r: RegistrationRecord, item: ItemRecord | undefined, deadline: Deadline | undefined, now: number): boolean {
  return !!item && !!deadline && deadline.passed && feeUnsettled(item) && now >= feeDecidedAt(deadline, r.input.policy, r.holidays);
}
