/**
 * The registry's changes to a registration (updates) on its record: moving a
 * deadline later, correcting the submitted form. Each has a check, used by
 * the update's validator and again by its handler. Both answer with the
 * bounded status (it goes into history).
 */
import { RegistrationFailure, registrationFailure } from './api';
import { queueEmail, studentAddresses } from './email-decisions';
import { checkKeepableText, correctedForm, formChanges, formProblems } from './input-rules';
import { dropOldest, iso } from './plain';
import { DEADLINE_CHANGES_KEPT, type RegistrationRecord } from './records';
import { checkOpen, invalidTransition, recordEvent } from './state-core';
import type { CorrectFormInput, DeadlineChange, ExtendDeadlineInput, RegistrationStatusView } from './types';
import { boundedView } from './views';

export function checkExtendDeadline(r: RegistrationRecord, input: ExtendDeadlineInput, now: number): void {
  checkOpen(r);
  const deadline = r.deadlines[input.deadline];
  if (!deadline) throw invalidTransition(`this registration has no ${input.deadline} deadline`);
  if (deadline.passed || now >= deadline.at) throw invalidTransition(`the ${input.deadline} deadline has passed; it can only be extended before it passes`);
  const until = Date.parse(input.until);
  if (Number.isNaN(until)) throw registrationFailure(RegistrationFailure.InvalidInput, `until is not a date: ${input.until}`);
  if (until <= deadline.at) throw registrationFailure(RegistrationFailure.InvalidInput, `the new deadline must be later than ${iso(deadline.at)}`);
  if (!input.reason?.trim()) throw registrationFailure(RegistrationFailure.InvalidInput, 'an extension needs a reason');
  checkKeepableText({ reason: input.reason }, { multiline: true });
}

export function extendDeadline(r: RegistrationRecord, input: ExtendDeadlineInput, now: number): RegistrationStatusView {
  checkExtendDeadline(r, input, now);
  const deadline = r.deadlines[input.deadline]!;
  const from = deadline.at;
  deadline.at = Date.parse(input.until);
  deadline.setAt = now;
  // Reminders are re-armed for the new date; those sent for earlier dates are never consulted again.
  deadline.reminded = deadline.reminded.filter((m) => m.startsWith(`${deadline.at}/`));
  recordEvent(r, 'DEADLINE_EXTENDED', input.actor, now, { deadline: input.deadline, from: iso(from), until: iso(deadline.at), reason: input.reason });
  const change: DeadlineChange = { deadline: input.deadline, from: iso(from), until: iso(deadline.at), at: iso(now) };
  r.deadlineChanges.push(change);
  r.deadlineChangesOmitted += dropOldest(r.deadlineChanges, DEADLINE_CHANGES_KEPT);
  // The student is told the new date (docs/domain.md: every deadline the student must meet is one they were told).
  queueEmail(r, { kind: 'DEADLINE_EXTENDED', deadline: change.deadline, from: change.from, until: change.until }, studentAddresses(r));
  return boundedView(r);
}

export function checkCorrectForm(r: RegistrationRecord, input: CorrectFormInput, _now: number): void {
  checkOpen(r);
  if (!r.form) throw invalidTransition('the registration form has not been submitted: there is nothing to correct');
  if (!input.reason?.trim()) throw registrationFailure(RegistrationFailure.InvalidInput, 'a correction needs a reason');
  const changes = (input.changes ?? {}) as Record<string, unknown>;
  if ('picsConsent' in changes) throw registrationFailure(RegistrationFailure.InvalidInput, "consent is the student's: staff cannot correct it");
  if (!Object.keys(formChanges(r.form, correctedForm(r.form, input)).after).length) {
    throw registrationFailure(RegistrationFailure.InvalidInput, 'the correction changes nothing');
  }
  const problems = formProblems(correctedForm(r.form, input));
  if (problems.length) throw registrationFailure(RegistrationFailure.InvalidInput, `the corrected form is not valid: ${problems.join('; ')}`, { problems });
}

export function correctForm(r: RegistrationRecord, input: CorrectFormInput, now: number): RegistrationStatusView {
  checkCorrectForm(r, input, now);
  const before = r.form!;
  r.form = correctedForm(before, input);
  recordEvent(r, 'FORM_CORRECTED', input.actor, now, { reason: input.reason, ...formChanges(before, r.form) });
  // The answer goes into history (and the latest answers across continue-as-new): bounded like the other status answers.
  return boundedView(r);
}
