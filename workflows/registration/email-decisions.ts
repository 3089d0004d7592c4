/**
 * The registration's emails: decided by the actions (a key of its kind, or
 * folded into one still waiting), handed to the workflow one at a time,
 * rendered with today's context, and recorded back when sent or refused.
 * Functions of the registration record (records.ts); the queue's own rules
 * are in email-queue.ts.
 */
import { contactsFor, type ItemDefinition } from './checklist';
import { coalesceInto, settle, type QueuedEmail } from './email-queue';
import { REGISTRY_EMAILS, emailIdempotencyKey, type EmailContext, type EmailItemRef, type EmailMessage, type EmailRequest, type EmailSent } from './emails';
import { dropOldest, iso } from './plain';
import { EMAIL_RECORDS_KEPT, type RegistrationRecord } from './records';
import { SYSTEM, recordEvent } from './state-core';
import { changeableUntil, policyNumbers } from './time-rules';
import type { EmailRecord } from './types';

/** An item as an email names it. */
export const itemRef = (i: ItemDefinition): EmailItemRef => ({ key: i.key, label: i.label });

/** The personal email on record: the one staff corrected it to, else the imported one (address-actions.ts). */
export const personalEmailOf = (r: RegistrationRecord): string => r.personalEmail ?? r.input.student.personalEmail;

export const sameAddress = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * The personal email, unless mail to it failed for good (a hard bounce or spam complaint, until staff correct
 * it); the university email once the account is activated.
 */
export function studentAddresses(r: RegistrationRecord): string[] {
  const personal = personalEmailOf(r);
  const undeliverable = r.personalEmailProblem && sameAddress(r.personalEmailProblem.address, personal);
  return [...(undeliverable ? [] : [personal]), ...(r.universityEmail ? [r.universityEmail] : [])];
}

/**
 * Decides an email: the next key of its kind, unless it folds into one still waiting (email-queue.ts). A student
 * email with no address left to send to (the personal email undeliverable, no university email yet) is not sent;
 * the audit trail says so.
 */
export function queueEmail(r: RegistrationRecord, message: EmailMessage, to: string[]): void {
  if (!to.length && !REGISTRY_EMAILS.includes(message.kind)) {
    // Every email is decided by an event recorded just before it (a reminder due, an outcome...): same instant.
    const decidedAt = r.unprojected.at(-1)?.at;
    recordEvent(r, 'EMAIL_NOT_SENT', SYSTEM, decidedAt ? Date.parse(decidedAt) : 0, { kind: message.kind, reason: 'no deliverable student address' });
    return;
  }
  if (coalesceInto(r.emailQueue, message, to)) return;
  const n = (r.emailCount[message.kind] ?? 0) + 1;
  r.emailCount[message.kind] = n;
  r.emailQueue.push({ idempotencyKey: emailIdempotencyKey(r.workflowId, message.kind, n), to, message });
}

/**
 * The next email to send, rendered now (the context is today's), marked as handed over; undefined when none is
 * queued. The same one again until `emailSent` or `emailFailed` settles it: the workflow sends one at a time.
 */
export function handOverEmail(r: RegistrationRecord): EmailRequest | undefined {
  const next = r.emailQueue[0];
  if (!next) return undefined;
  next.handedOver = true;
  return emailRequest(r, next);
}

/** Every queued email, rendered now and taken off the queue (the tests' and tools' view of what was decided). */
export function takeEmails(r: RegistrationRecord): EmailRequest[] {
  return r.emailQueue.splice(0).map((e) => emailRequest(r, e));
}

export function emailSent(r: RegistrationRecord, request: EmailRequest, sent: EmailSent, now: number): void {
  const record: EmailRecord = {
    kind: request.message.kind,
    idempotencyKey: request.idempotencyKey,
    to: sent.to,
    subject: sent.subject,
    delivery: sent.delivery,
    at: iso(now),
  };
  settle(r.emailQueue, request.idempotencyKey);
  keepEmailRecord(r, record);
  recordEvent(r, 'EMAIL_SENT', SYSTEM, now, { ...record, providerId: sent.providerId });
}

export function emailFailed(r: RegistrationRecord, request: EmailRequest, error: string, now: number): void {
  const record: EmailRecord = {
    kind: request.message.kind,
    idempotencyKey: request.idempotencyKey,
    to: request.to,
    subject: '',
    delivery: 'FAILED',
    at: iso(now),
    error,
  };
  settle(r.emailQueue, request.idempotencyKey);
  keepEmailRecord(r, record);
  recordEvent(r, 'EMAIL_FAILED', SYSTEM, now, { ...record });
}

function keepEmailRecord(r: RegistrationRecord, record: EmailRecord): void {
  r.emails.push(record);
  r.emailsOmitted += dropOldest(r.emails, EMAIL_RECORDS_KEPT);
}

function emailRequest(r: RegistrationRecord, e: QueuedEmail): EmailRequest {
  return {
    idempotencyKey: e.idempotencyKey,
    workflowId: r.workflowId,
    registrationNo: r.input.student.applicationNo,
    to: [...e.to],
    context: emailContext(r),
    message: e.message,
  };
}

function emailContext(r: RegistrationRecord): EmailContext {
  return {
    student: { ...r.input.student, personalEmail: personalEmailOf(r) },
    universityEmail: r.universityEmail,
    deadlines: {
      registration: iso(r.deadlines.REGISTRATION!.at),
      payment: r.deadlines.PAYMENT ? iso(r.deadlines.PAYMENT.at) : undefined,
      passed: [...(r.deadlines.REGISTRATION!.passed ? ['registration' as const] : []), ...(r.deadlines.PAYMENT?.passed ? ['payment' as const] : [])],
    },
    contacts: contactsFor(r.input.student),
    items: r.items.map((i) => ({ ...itemRef(i), state: i.state, compulsory: i.compulsory, dueBy: i.dueBy })),
    policy: policyNumbers(r.input.policy),
    changeableUntil: iso(changeableUntil(r.deadlines, r.input.policy, r.items)),
  };
}
