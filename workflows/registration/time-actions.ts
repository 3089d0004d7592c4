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
import type { RegistrationRecord } from './records';
import { SYSTEM, isClosed, recordEvent } from './state-core';
import { deadlineEntries, dueReminders, lapsedWindows, nextWakeUp as nextWakeUpOf, overdueVerifications, reminderMark, reminderOffsets, windowMs } from './time-rules';

/** Everything time makes happen, in the order a registry officer would apply it. */
export function advance(r: RegistrationRecord, now: number): void {
  if (isClosed(r)) return;
  remindBeforeDeadlines(r, now);
  enforceDeadlines(r, now);
  enforceResubmissionWindows(r, now);
  watchVerificationSla(r, now);
  settleOutcome(r, now);
}

/** The next instant at which `advance` has something to do, and what; undefined when only a message can change anything. */
export function nextWakeUp(r: RegistrationRecord, now: number): { at: number; what: string } | undefined {
  return isClosed(r) ? undefined : nextWakeUpOf(r.deadlines, r.items, r.input.policy, now);
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
    const missing = missingCompulsory(r.items, kind).filter((i) => i.state === 'PENDING');
    recordEvent(r, 'DEADLINE_PASSED', SYSTEM, now, { deadline: kind, at: iso(d.at), missing: missing.map((i) => i.key) });
    if (missing.length && !isClosed(r)) {
      const onlyFee = missing.every((i) => i.key === 'TUITION_RECEIPT');
      conclude(
        r,
        'WITHDRAWN',
        onlyFee ? 'MISSED_FEE' : 'MISSED_COMPULSORY_ITEM',
        missing.map((i) => i.key),
        onlyFee
          ? `the tuition fee was not settled by the payment deadline ${iso(d.at)}`
          : `not submitted by the ${kind.toLowerCase()} deadline ${iso(d.at)}: ${missing.map((i) => i.label).join(', ')}`,
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
    queueEmail(
      r,
      { kind: 'SLA_ALERT', item: itemRef(item), submittedAt: iso(item.submittedAt!), expectedBy: sla.date, workflowId: r.workflowId },
      [],
    );
  }
}
