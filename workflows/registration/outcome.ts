/**
 * The registration's outcome, decided from the checklist after every change:
 * COMPLETED when every item is settled, INCOMPLETE when only supplementary
 * items are owed after the registration deadline, and the outcome emails.
 * WITHDRAWN is concluded by the actions that cause it (a decline, a missed
 * deadline, a lapsed resubmission window) through `conclude`.
 */
import { allSettled, compulsoryAllIn, owedOptional } from './checklist';
import { itemRef, queueEmail, studentAddresses } from './email-decisions';
import { iso } from './plain';
import type { DeadlineKind, RegistrationRecord } from './records';
import { SYSTEM, isClosed, itemOf, recordEvent } from './state-core';
import type { ItemKey, OutcomeReason, RegistrationResult, RegistrationStatus } from './types';

/** Decides the registration status from the checklist; called after every change. */
export function settleOutcome(r: RegistrationRecord, now: number): void {
  if (isClosed(r)) return;
  if (allSettled(r.items)) {
    conclude(r, 'COMPLETED', 'ALL_ITEMS_VERIFIED', [], 'every item is verified or waived', now);
    return;
  }
  const registrationPassed = r.deadlines.REGISTRATION!.passed;
  const owed = owedOptional(r.items);
  // INCOMPLETE is judged once the registration deadline passed with every compulsory item in
  // (a fee still ahead of its own deadline must be in as well: "and the fee settled").
  if (r.status === 'IN_PROGRESS' && registrationPassed && compulsoryAllIn(r.items) && owed.length) {
    conclude(
      r,
      'INCOMPLETE',
      'SUPPLEMENTARY_OWED',
      owed.map((i) => i.key),
      `still owed: ${owed.map((i) => i.label).join(', ')}`,
      now,
    );
  }
}

/** `withdrawal`: what the withdrawal notice adds, e.g. the deadline that applied. */
export function conclude(
  r: RegistrationRecord,
  status: RegistrationStatus,
  reason: OutcomeReason,
  items: ItemKey[],
  detail: string,
  now: number,
  withdrawal: { deadline?: DeadlineKind } = {},
): void {
  r.status = status;
  r.outcome = { status, reason, items, detail, at: now };
  recordEvent(r, 'STATUS_CHANGED', SYSTEM, now, { status, reason, items, detail });
  const refs = items.map((k) => itemRef(itemOf(r, k)));
  if (status === 'COMPLETED') queueEmail(r, { kind: 'ACKNOWLEDGEMENT' }, studentAddresses(r));
  if (status === 'INCOMPLETE') queueEmail(r, { kind: 'FOLLOW_UP', owed: refs }, studentAddresses(r));
  if (status === 'WITHDRAWN') queueEmail(r, { kind: 'WITHDRAWAL', reason, items: refs, detail, ...withdrawal }, studentAddresses(r));
}

/** The workflow's result, once the outcome is final. */
export function result(r: RegistrationRecord): RegistrationResult {
  if (!isClosed(r) || !r.outcome) throw new Error('the registration has no final outcome yet');
  return {
    applicationNo: r.input.student.applicationNo,
    status: r.status as RegistrationResult['status'],
    reason: r.outcome.reason,
    items: r.outcome.items,
    detail: r.outcome.detail,
    at: iso(r.outcome.at),
  };
}
