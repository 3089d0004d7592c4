/**
 * Staff review of a checklist item (updates) on the registration record:
 * verify or reject a submitted item, waive any unsettled one. Each has a
 * check, used by the update's validator and again by its handler.
 */
import { RegistrationFailure, registrationFailure } from './api';
import { isReviewable } from './checklist';
import { isSettled } from './vocabulary';
import { itemRef, queueEmail, studentAddresses } from './email-decisions';
import { checkKeepableText } from './input-rules';
import { settleOutcome } from './outcome';
import { iso } from './plain';
import type { RegistrationRecord } from './records';
import { checkOpen, decide, invalidTransition, knownItem, recordEvent, resubmitByOf } from './state-core';
import { opensWindow, windowMs } from './time-rules';
import { REJECTION_REASONS, type ItemKey, type ItemView, type RejectItemInput, type VerifyItemInput, type WaiveItemInput } from './types';
import { viewOf } from './views';

/** Staff decide on a submitted item (verify or reject): open, reviewed by staff, submitted, a note that can be kept. */
function checkReviewable(r: RegistrationRecord, input: Pick<VerifyItemInput, 'itemKey' | 'note'>): void {
  checkOpen(r);
  const item = knownItem(r, input.itemKey);
  if (!isReviewable(item.kind)) throw invalidTransition(`${item.key} is not reviewed by staff`);
  if (item.state !== 'SUBMITTED') throw invalidTransition(`${item.key} is ${item.state}: only a submitted item can be reviewed`);
  checkKeepableText({ note: input.note }, { multiline: true });
}

export function checkVerifyItem(r: RegistrationRecord, input: VerifyItemInput, _now: number): void {
  checkReviewable(r, input);
}

export function verifyItem(r: RegistrationRecord, input: VerifyItemInput, now: number): ItemView {
  checkVerifyItem(r, input, now);
  return settleItem(r, input.itemKey, 'VERIFIED', input.actor, now, input.note, 'ITEM_VERIFIED', { note: input.note });
}

export function checkRejectItem(r: RegistrationRecord, input: RejectItemInput, _now: number): void {
  checkReviewable(r, input);
  if (!(REJECTION_REASONS as readonly string[]).includes(input.reasonCode)) {
    throw registrationFailure(RegistrationFailure.InvalidInput, `unknown reason code ${input.reasonCode}; one of ${REJECTION_REASONS.join(', ')}`);
  }
  if (!input.note?.trim()) throw registrationFailure(RegistrationFailure.InvalidInput, 'a rejection needs a note for the student');
}

export function rejectItem(r: RegistrationRecord, input: RejectItemInput, now: number): ItemView {
  checkRejectItem(r, input, now);
  const item = knownItem(r, input.itemKey);
  decide(r, item, 'REJECTED', input.actor, now, { reasonCode: input.reasonCode, note: input.note });
  item.rejectedAt = now;
  if (opensWindow(item, r.deadlines, windowMs(r.input.policy), now)) item.windowFrom = now;
  const resubmitBy = resubmitByOf(r, item);
  recordEvent(r, 'ITEM_REJECTED', input.actor, now, {
    itemKey: item.key,
    reasonCode: input.reasonCode,
    note: input.note,
    resubmitBy: resubmitBy === undefined ? undefined : iso(resubmitBy),
  });
  queueEmail(
    r,
    {
      kind: 'REJECTION',
      item: itemRef(item),
      reasonCode: input.reasonCode,
      note: input.note,
      resubmitBy: resubmitBy === undefined ? undefined : iso(resubmitBy),
    },
    studentAddresses(r),
  );
  settleOutcome(r, now);
  return viewOf(r, item);
}

export function checkWaiveItem(r: RegistrationRecord, input: WaiveItemInput, _now: number): void {
  checkOpen(r);
  const item = knownItem(r, input.itemKey);
  if (isSettled(item.state)) throw invalidTransition(`${item.key} is already ${item.state}`);
  if (!input.reason?.trim()) throw registrationFailure(RegistrationFailure.InvalidInput, 'a waiver needs a reason');
  checkKeepableText({ reason: input.reason }, { multiline: true });
}

export function waiveItem(r: RegistrationRecord, input: WaiveItemInput, now: number): ItemView {
  checkWaiveItem(r, input, now);
  return settleItem(r, input.itemKey, 'WAIVED', input.actor, now, input.reason, 'ITEM_WAIVED', { reason: input.reason });
}

/** Verify or waive: the staff decision with its note, the event that records it, then the outcome; answered with the item. */
function settleItem(
  r: RegistrationRecord,
  key: ItemKey,
  decision: 'VERIFIED' | 'WAIVED',
  actor: string,
  now: number,
  note: string | undefined,
  event: 'ITEM_VERIFIED' | 'ITEM_WAIVED',
  data: Record<string, unknown>,
): ItemView {
  const item = knownItem(r, key);
  decide(r, item, decision, actor, now, { note });
  recordEvent(r, event, actor, now, { itemKey: item.key, ...data });
  settleOutcome(r, now);
  return viewOf(r, item);
}
