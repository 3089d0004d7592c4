/**
 * One student's registration as a state machine: the checklist, deadlines,
 * outcome and the emails it has decided to send. Every rule takes the current
 * time and is deterministic, so the whole process can be unit-tested without
 * Temporal; the workflow only feeds it messages and timer wake-ups and carries
 * out its side effects (search attributes, projection, emails).
 *
 * The state is one plain record (records.ts, `RegistrationRecord`), carried
 * across continue-as-new as it is. This module starts, carries and resumes it;
 * the rules are functions of the record in the modules that hold them: the
 * messages' (actions.ts, the one table of signals and updates), time's
 * (time-actions.ts), the emails' (email-decisions.ts) and the views (views.ts).
 * Every change goes through `recordEvent()` (state-core.ts), which stamps it
 * with the next sequence number.
 */
import { registrationWorkflowId } from './api';
import { buildChecklist } from './checklist';
import { queueEmail } from './email-decisions';
import type { Deadline, DeadlineKind, RegistrationRecord } from './records';
import { RULE_CHANGES, type RuleChange } from './rule-changes';
import { SYSTEM, recordEvent } from './state-core';
import type { CarriedRegistration, RegistrationInput } from './types';
import type { HkDate } from './working-days';

/** The read model's input types live in views.ts; the projection activity and its tests import them from here too. */
export { cameInAt, projectedView, wholeStatus, type AuditEventRecord, type ProjectedItem, type ProjectedView, type ProjectionSnapshot } from './views';

/**
 * A new registration: the student's checklist and deadlines, and the event that records its start. `rules`: the
 * changed rules it follows from its start (rule-changes.ts); a new registration follows them all.
 */
export function startRegistration(input: RegistrationInput, startedAt: number, rules: readonly RuleChange[] = RULE_CHANGES): RegistrationRecord {
  const { student, policy } = input;
  const items = buildChecklist(student, policy).map((d) => ({ ...d, state: 'PENDING' as const, submissions: [], reviews: [] }));
  const deadlines: Partial<Record<DeadlineKind, Deadline>> = {
    REGISTRATION: { at: Date.parse(policy.registrationDeadline), setAt: startedAt, passed: false, reminded: [] },
  };
  if (items.some((i) => i.dueBy === 'PAYMENT') && policy.paymentDeadline) {
    deadlines.PAYMENT = { at: Date.parse(policy.paymentDeadline), setAt: startedAt, passed: false, reminded: [] };
  }
  // Written out in the record's field order (records.ts), which is the carried JSON's order.
  const r: RegistrationRecord = {
    input,
    workflowId: registrationWorkflowId(student.applicationNo),
    holidays: new Set(),
    status: 'IN_PROGRESS',
    outcome: undefined,
    seq: 0,
    universityEmail: undefined,
    personalEmail: undefined,
    personalEmailProblem: undefined,
    form: undefined,
    items,
    deadlines,
    paymentRefs: [],
    signInRequests: [],
    deadlineChanges: [],
    deadlineChangesOmitted: 0,
    emails: [],
    emailsOmitted: 0,
    emailCount: {},
    emailQueue: [],
    unprojected: [],
    rules: [...rules],
  };
  recordEvent(r, 'REGISTRATION_STARTED', SYSTEM, startedAt, { student, policy });
  return r;
}

/** Follow these changed rules from now on (the workflow adopts each through `patched()`). */
export function adoptRules(r: RegistrationRecord, rules: readonly RuleChange[]): void {
  for (const rule of rules) if (!r.rules.includes(rule)) r.rules.push(rule);
}

/** The invitation, the student's first email. */
export function invite(r: RegistrationRecord): void {
  queueEmail(r, { kind: 'INVITATION' }, [r.input.student.personalEmail]);
}

/** Hong Kong public holidays (from an activity), for the verification service level. */
export function setHolidays(r: RegistrationRecord, dates: readonly HkDate[]): void {
  r.holidays = new Set(dates);
}

/**
 * Everything the next run needs, taken generically from the record's fields so that a field added later is
 * carried without anyone remembering to. Not carried: the input (the next run gets it anyway), the workflow id
 * (it follows from the input) and the holidays (the next run fetches them again).
 */
export function carry(r: RegistrationRecord): CarriedRegistration {
  const { input: _input, workflowId: _id, holidays: _holidays, ...fields } = r;
  return JSON.parse(JSON.stringify(fields)) as CarriedRegistration;
}

/** The record a previous run carried, for the same input. */
export function resumeRegistration(input: RegistrationInput, carried: CarriedRegistration, now: number): RegistrationRecord {
  // A run carried from before the rule changes follows none of them until the workflow adopts them.
  const r = startRegistration(input, now, []);
  Object.assign(r, JSON.parse(JSON.stringify(carried)) as object);
  return r;
}
