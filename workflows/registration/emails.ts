/**
 * What the workflow asks the email activity to send: one request per email the
 * domain table names, with an idempotency key the workflow makes
 * (workflow id + kind + occurrence) so a retried send never mails twice. The
 * activity renders the words (activities/email/templates.ts); the workflow
 * only decides who gets which email, when, and with which facts.
 */
import type { DeadlineChange, DueBy, EmailKind, IsoInstant, ItemKey, ItemState, OutcomeReason, PolicyNumbers, RejectionReason, StudentRecord } from './types';

export interface EmailItemRef {
  key: ItemKey;
  label: string;
}

/** Facts every template may use. */
export interface EmailContext {
  student: StudentRecord;
  universityEmail?: string;
  deadlines: { registration: IsoInstant; payment?: IsoInstant };
  contacts: { registration: string; activation: string; visa: string };
  items: (EmailItemRef & { state: ItemState; compulsory: boolean; dueBy: DueBy })[];
  /** The cohort's numbers (service level, resubmission window, reminder offsets): templates never spell their own. */
  policy: PolicyNumbers;
  /**
   * Until when this registration can still change (the latest deadline plus the resubmission window):
   * sign-in links minted for this email stay valid at least that long.
   */
  changeableUntil: IsoInstant;
}

export type EmailMessage =
  | { kind: 'INVITATION' }
  | { kind: 'REMINDER'; deadline: Exclude<DueBy, null>; at: IsoInstant; missing: EmailItemRef[] }
  | { kind: 'REJECTION'; item: EmailItemRef; reasonCode: RejectionReason; note: string; resubmitBy?: IsoInstant }
  | { kind: 'ACKNOWLEDGEMENT' }
  | { kind: 'FOLLOW_UP'; owed: EmailItemRef[] }
  | { kind: 'WITHDRAWAL'; reason: OutcomeReason; items: EmailItemRef[]; detail: string }
  | { kind: 'SLA_ALERT'; item: EmailItemRef; submittedAt: IsoInstant; expectedBy: string; workflowId: string }
  | ({ kind: 'DEADLINE_EXTENDED' } & Omit<DeadlineChange, 'at'>)
  | { kind: 'SIGN_IN_LINK' };

/** Emails that carry a freshly signed registration link (and, for the invitation, the activation link). */
export const EMAILS_WITH_LINKS: readonly EmailKind[] = ['INVITATION', 'REMINDER', 'DEADLINE_EXTENDED', 'SIGN_IN_LINK'];

export interface EmailRequest {
  idempotencyKey: string;
  workflowId: string;
  registrationNo: string;
  /** Student addresses; empty for emails to the registry (the activity knows the registry's address). */
  to: string[];
  context: EmailContext;
  message: EmailMessage;
}

export interface EmailSent {
  delivery: 'SENT' | 'OUTBOX';
  to: string[];
  subject: string;
  providerId?: string;
}

/** The ApplicationFailure type of a send the provider refused for good (invalid address, other 4xx). */
export const EMAIL_REJECTED_FAILURE = 'EmailRejected';

/** `registration-<no>:<KIND>:<n>`: the n-th email of that kind this workflow decided to send. */
export const emailIdempotencyKey = (workflowId: string, kind: EmailKind, occurrence: number): string =>
  `${workflowId}:${kind}:${occurrence}`;
