/**
 * The student's personal email when mail to it fails (docs/domain.md, "Invitations
 * that bounce"). The invitation goes to an address typed months earlier; when the
 * email provider reports a hard bounce or a spam complaint for it, the
 * registration is flagged, the registry is told, and no student email goes to
 * that address any more. Staff correct the address with a reason; the new one
 * gets a fresh invitation and the audit trail keeps both.
 */
import { RegistrationFailure, registrationFailure } from './api';
import { personalEmailOf, queueEmail, sameAddress } from './email-decisions';
import type { RegistrationRecord } from './records';
import { checkOpen, isClosed, recordEvent } from './state-core';
import { checkKeepableText } from './input-rules';
import type { CorrectPersonalEmailInput, EmailUndeliverableInput, RegistrationStatusView } from './types';
import { boundedView } from './views';

/** What an address must look like to be worth sending to (the gateway's schema checks it more closely). */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_EMAIL_LENGTH = 320;

/**
 * Flags the registration when the personal email on record is among the failed email's recipients and is not
 * flagged yet; answers whether anything changed. A failure of another address (the university email, an address
 * corrected since) changes nothing here: the gateway keeps its delivery state either way. Nothing once closed.
 */
export function recordEmailUndeliverable(r: RegistrationRecord, input: EmailUndeliverableInput, now: number): boolean {
  if (isClosed(r)) return false;
  const address = personalEmailOf(r);
  if (!input.recipients.some((to) => sameAddress(to, address))) return false;
  if (r.personalEmailProblem && sameAddress(r.personalEmailProblem.address, address)) return false;
  r.personalEmailProblem = { address, problem: input.problem, at: now };
  recordEvent(r, 'PERSONAL_EMAIL_UNDELIVERABLE', input.actor, now, {
    address,
    problem: input.problem,
    providerId: input.providerId,
    emailKey: input.emailKey,
    detail: input.detail,
  });
  queueEmail(r, { kind: 'ADDRESS_UNDELIVERABLE', address, problem: input.problem, detail: input.detail, workflowId: r.workflowId }, []);
  return true;
}

export function checkCorrectPersonalEmail(r: RegistrationRecord, input: CorrectPersonalEmailInput, _now: number): void {
  checkOpen(r);
  const to = input.personalEmail?.trim() ?? '';
  if (to.length > MAX_EMAIL_LENGTH || !EMAIL_SHAPE.test(to))
    throw registrationFailure(RegistrationFailure.InvalidInput, `not an email address: ${to.slice(0, 80)}`);
  if (sameAddress(to, personalEmailOf(r))) throw registrationFailure(RegistrationFailure.InvalidInput, 'that is already the personal email on record');
  if (!input.reason?.trim()) throw registrationFailure(RegistrationFailure.InvalidInput, 'a correction needs a reason');
  checkKeepableText({ reason: input.reason }, { multiline: true });
}

export function correctPersonalEmail(r: RegistrationRecord, input: CorrectPersonalEmailInput, now: number): RegistrationStatusView {
  checkCorrectPersonalEmail(r, input, now);
  const from = personalEmailOf(r);
  const to = input.personalEmail.trim().toLowerCase();
  const problem = r.personalEmailProblem?.problem;
  r.personalEmail = to;
  r.personalEmailProblem = undefined;
  recordEvent(r, 'PERSONAL_EMAIL_CORRECTED', input.actor, now, { from, to, reason: input.reason, problem });
  // A fresh invitation (its own key, fresh links): the student may never have seen the first one.
  queueEmail(r, { kind: 'INVITATION' }, [to]);
  return boundedView(r);
}
