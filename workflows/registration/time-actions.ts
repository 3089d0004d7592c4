/**
 * What time makes happen to the registration record: reminders before each
 * deadline, withdrawal at a deadline, lapsed resubmission windows, overdue
 * verifications, and the next moment any of these can happen. The rules are
 * time-rules.ts's pure functions; this applies them (records the events,
 * decides the emails, concludes the outcome).
 */
import { missingCompulsory } from './checklist';
import { itemRef, queueEmail, studentAddresses } from './email-decisions';
import { conclude, settleOutcome } from './outcome';
import { iso } from './plain';
import { feeDecidedAt, feeDecisionDue, feeUnsettled } from './fee-settlement';
import type { Deadline, DeadlineKind, ItemRecord, RegistrationRecord } from './records';
import { follows } from './rule-changes';
import type { ItemKey, OutcomeReason } from './types';
import { SYSTEM, isClosed, recordEvent } from './state-core';
import {
  deadlineEntries,
  deadlineOf,
  dueReminders,
  lapsedWindows,
  nextWakeUp as nextWakeUpOf,
  overdueVerifications,
  reminderMark,
  reminderOffsets,
  windowMs,
} from './time-rules';

/** Everything time makes happen, in the order a registry officer would apply it. */
export function advance(r: RegistrationRecord, now: number): void {
  if (isClosed(r)) return;
  remindBeforeDeadlines(r, now);
  enforceDeadlines(r, now);
  decideFee(r, now);
  enforceResubmissionWindows(r, now);
  watchVerificationSla(r, now);
  settleOutcome(r, now);
}

/** The next instant at which `advance` has something to do, and what; undefined when only a message can change anything. */
export function nextWakeUp(r: RegistrationRecord, now: number): { at: number; what: string } | undefined {
  if (isClosed(r)) return undefined;
  const next = nextWakeUpOf(r.deadlines, r.items, r.input.policy, now);
  const fee = feeDecision(r);
  if (fee && fee.at > now && (!next || fee.at < next.at)) return fee;
  return next;
}

/** The fee's item and deadline, for a registration that decides the fee at the end of the grace period. */
function feeUnderGrace(r: RegistrationRecord): { item: ItemRecord; deadline: Deadline; kind: DeadlineKind } | undefined {
  const item = r.items.find((i) => i.kind === 'TUITION_RECEIPT');
  if (!item || !follows(r, 'fee-settled-by-paid-at')) return undefined;
  const deadline = deadlineOf(item, r.deadlines)!;
  return { item, deadline, kind: r.deadlines.PAYMENT === deadline ? 'PAYMENT' : 'REGISTRATION' };
}

/** When the fee is decided, while it is still owed: the end of its settlement grace period. */
function feeDecision(r: RegistrationRecord): { at: number; what: string } | undefined {
  const fee = feeUnderGrace(r);
  if (!fee || !feeUnsettled(fee.item)) return undefined;
  return { at: feeDecidedAt(fee.deadline, r.input.policy, r.holidays), what: 'end of the settlement grace period of the tuition fee' };
}

/**
 * The fee decision: a fee still owed when the grace period after its deadline ends withdraws the student. A payment
 * made by the deadline may be confirmed until then (docs/domain.md, "The tuition fee").
 */
function decideFee(r: RegistrationRecord, now: number): void {
  const fee = feeUnderGrace(r);
  if (isClosed(r) || !fee || !feeDecisionDue(r, fee.item, fee.deadline, now)) return;
  const decidedAt = feeDecidedAt(fee.deadline, r.input.policy, r.holidays);
  withdraw(
    r,
    'MISSED_FEE',
    [fee.item.key],
    `the tuition fee was not settled by the ${deadlineWords(fee.kind)} ${iso(fee.deadline.at)} (payments made by then confirmed until ${iso(decidedAt)})`,
    fee.kind,
    now,
  );
}

const deadlineWords = (kind: DeadlineKind): string => (kind === 'PAYMENT' ? 'payment deadline' : 'registration deadline');

/** Withdraws, naming the deadline that applied where the registration follows that rule. */
function withdraw(r: RegistrationRecord, reason: OutcomeReason, items: ItemKey[], detail: string, deadline: DeadlineKind, now: number): void {
  conclude(r, 'WITHDRAWN', reason, items, detail, now, follows(r, 'withdrawal-names-its-deadline') ? { deadline } : {});
}

function remindBeforeDeadlines(r: RegistrationRecord, now: number): void {
  if (r.status !== 'IN_PROGRESS') return;
  for (const [kind, d] of deadlineEntries(r.deadlines)) {
    // Of the reminders due (and not yet sent for this date), send one: after a pause, the latest says it all.
    const due = dueReminders(d, reminderOffsets(r.input.policy), now);
    if (!due.length) continue;
    for (const o of due) d.reminded.push(reminderMark(d, o));
    const missing = missingCompulsory(r.items, kind);
    if (!missing.length) continue;
    recordEvent(r, 'REMINDER_DUE', SYSTEM, now, { deadline: kind, at: iso(d.at), missing: missing.map((i) => i.key) });
    queueEmail(r, { kind: 'REMINDER', deadline: kind, at: iso(d.at), missing: missing.map(itemRef) }, studentAddresses(r));
  }
}

function enforceDeadlines(r: RegistrationRecord, now: number): void {
  for (const [kind, d] of deadlineEntries(r.deadlines)) {
    if (d.passed || now < d.at) continue;
    d.passed = true;
    const byPaidAt = follows(r, 'fee-settled-by-paid-at');
    const missing = missingCompulsory(r.items, kind).filter((i) => i.state === 'PENDING' || (byPaidAt && feeUnsettled(i)));
    recordEvent(r, 'DEADLINE_PASSED', SYSTEM, now, { deadline: kind, at: iso(d.at), missing: missing.map((i) => i.key) });
    // The fee is decided when its settlement grace period ends (decideFee), not at the deadline.
    const decidedNow = byPaidAt ? missing.filter((i) => i.kind !== 'TUITION_RECEIPT') : missing;
    if (decidedNow.length && !isClosed(r)) {
      const onlyFee = decidedNow.every((i) => i.key === 'TUITION_RECEIPT');
      withdraw(
        r,
        onlyFee ? 'MISSED_FEE' : 'MISSED_COMPULSORY_ITEM',
        decidedNow.map((i) => i.key),
        onlyFee
          ? `the tuition fee was not settled by the ${follows(r, 'withdrawal-names-its-deadline') ? deadlineWords(kind) : 'payment deadline'} ${iso(d.at)}`
          : `not submitted by the ${kind.toLowerCase()} deadline ${iso(d.at)}: ${decidedNow.map((i) => i.label).join(', ')}`,
        kind,
        now,
      );
    }
  }
}

function enforceResubmissionWindows(r: RegistrationRecord, now: number): void {
  if (isClosed(r)) return;
  const lapsed = lapsedWindows(r.items, r.deadlines, windowMs(r.input.policy), now);
  if (!lapsed.length) return;
  conclude(
    r,
    'WITHDRAWN',
    'UNRESOLVED_REJECTION',
    lapsed.map((i) => i.key),
    `rejected and not resubmitted within the resubmission window: ${lapsed.map((i) => i.label).join(', ')}`,
    now,
  );
}

function watchVerificationSla(r: RegistrationRecord, now: number): void {
  // A registration that closed (in this same wake-up, too) is nobody's work any more: no alert.
  if (isClosed(r)) return;
  for (const item of overdueVerifications(r.items, now)) {
    const sla = item.sla!;
    sla.breached = true;
    recordEvent(r, 'VERIFICATION_OVERDUE', SYSTEM, now, { itemKey: item.key, expectedBy: sla.date, submittedAt: iso(item.submittedAt!) });
    queueEmail(r, { kind: 'SLA_ALERT', item: itemRef(item), submittedAt: iso(item.submittedAt!), expectedBy: sla.date, workflowId: r.workflowId }, []);
  }
}
