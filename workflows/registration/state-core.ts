/**
 * What every action on the registration record shares: recording an event
 * under the next sequence number, a review, looking an item up, the refusals
 * the update checks start with, and a staff decision. Every change goes
 * through `recordEvent()`: the read model applies snapshots in `seq` order
 * whatever order they arrive in.
 */
import { RegistrationFailure, registrationFailure } from './api';
import { iso, stripUndefined } from './plain';
import type { ItemRecord, RegistrationRecord } from './records';
import { deadlineOf, resubmitBy, windowMs } from './time-rules';
import type { ItemKey, ReviewView } from './types';

/** The actor of what the workflow itself records (time, outcome, emails). */
export const SYSTEM = 'system:workflow';

/** COMPLETED and WITHDRAWN are final; INCOMPLETE is not. */
export const isClosed = (r: RegistrationRecord): boolean => r.status === 'COMPLETED' || r.status === 'WITHDRAWN';

export function recordEvent(r: RegistrationRecord, type: string, actor: string, now: number, data: Record<string, unknown>): void {
  r.seq += 1;
  r.unprojected.push({ seq: r.seq, type, actor, at: iso(now), data: stripUndefined(data) });
}

export function review(r: RegistrationRecord, decision: ReviewView['decision'], actor: string, now: number, extra: Partial<ReviewView> = {}): ReviewView {
  // The review takes the sequence number of the event that records it (recordEvent() is called right after).
  return { decision, actor, at: iso(now), seq: r.seq + 1, ...stripUndefined(extra) };
}

/** A staff decision settles the item's review and stops its verification clock. */
export function decide(
  r: RegistrationRecord,
  item: ItemRecord,
  decision: ReviewView['decision'],
  actor: string,
  now: number,
  extra: Partial<ReviewView>,
): void {
  if (item.heldSince !== undefined) {
    // The registry's time with the replacement was not the student's: the window's clock starts again from here.
    item.heldMs = (item.heldMs ?? 0) + (now - item.heldSince);
    item.heldSince = undefined;
  }
  item.state = decision;
  item.reviewedAt = now;
  item.sla = undefined;
  item.flag = undefined;
  item.awaitingPayment = undefined;
  item.reviews.push(review(r, decision, actor, now, extra));
}

/** An item every registration has (activation, the form). */
export function itemOf(r: RegistrationRecord, key: ItemKey): ItemRecord {
  return r.items.find((i) => i.key === key)!;
}

/** An item a message names: refused as unknown if this registration has none. */
export function knownItem(r: RegistrationRecord, key: ItemKey): ItemRecord {
  const item = r.items.find((i) => i.key === key);
  if (!item) throw registrationFailure(RegistrationFailure.UnknownItem, `this registration has no item ${key}`);
  return item;
}

/** When a rejected item's resubmission window closes (time-rules.ts). */
export function resubmitByOf(r: RegistrationRecord, item: ItemRecord): number | undefined {
  return resubmitBy(item, r.deadlines, windowMs(r.input.policy));
}

export function invalidTransition(message: string) {
  return registrationFailure(RegistrationFailure.InvalidTransition, message);
}

export function checkOpen(r: RegistrationRecord): void {
  if (isClosed(r)) throw invalidTransition(`the registration is already ${r.status}`);
}

/**
 * "Submitted on time is what counts": after its deadline a compulsory item can
 * only be handed in again if it was rejected, and only inside its resubmission
 * window. A pending item is late, and a submitted one awaiting review may not be
 * replaced (that would swap the evidence judged on time). Staff still act on it.
 */
export function checkNotLate(r: RegistrationRecord, item: ItemRecord, now: number): void {
  if (!item.compulsory || !item.dueBy) return;
  const by = item.state === 'REJECTED' ? resubmitByOf(r, item)! : deadlineOf(item, r.deadlines)!.at;
  if (now < by) return;
  if (item.state === 'SUBMITTED')
    throw invalidTransition(`${item.key} was submitted on time and awaits review: it cannot be replaced after the deadline ${iso(by)}`);
  throw invalidTransition(`${item.key} was due by ${iso(by)}`);
}
