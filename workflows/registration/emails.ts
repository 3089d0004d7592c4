/**
 * What the workflow asks the email activity to send: one request per email the
 * domain table names, with an idempotency key the workflow makes
 * (workflow id + kind + occurrence) so a retried send never mails twice. The
 * activity renders the words (activities/email/templates.ts); the workflow
 * only decides who gets which email, when, and with which facts.
 */
import type {
  DeadlineChange,
  DueBy,
  EmailKind,
  EmailProblem,
  IsoInstant,
  ItemKey,
  ItemState,
  LateEventKind,
  OutcomeReason,
  PolicyNumbers,
  RegistrationStatus,
  RejectionReason,
  StudentRecord,
} from './types';

export interface EmailItemRef {
  key: ItemKey;
  label: string;
}

/** Facts every template may use. */
export interface EmailContext {
  student: StudentRecord;
  universityEmail?: string;
  /** `passed`: the deadlines already past when the email is handed over (an email never names a date that has passed). */
  deadlines: { registration: IsoInstant; payment?: IsoInstant; passed?: ('registration' | 'payment')[] };
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
  /** `deadline`: the deadline that applied (absent in a notice decided before the rule that names it). */
  | { kind: 'WITHDRAWAL'; reason: OutcomeReason; items: EmailItemRef[]; detail: string; deadline?: Exclude<DueBy, null> }
  /** An on-time payment short of the fee: what was paid, what is outstanding, and the deadline if it is still ahead. */
  | { kind: 'PAYMENT_SHORTFALL'; paid: number; fee: number; shortfall: number; currency: string; payBy?: IsoInstant }
  /**
   * A reclassification changed the checklist: the items now owed (each with its deadline while that is ahead) and
   * those no longer required.
   */
  | { kind: 'CHECKLIST_CHANGED'; owed: (EmailItemRef & { compulsory: boolean; dueBy: DueBy; by?: IsoInstant })[]; noLongerRequired: EmailItemRef[] }
  | { kind: 'SLA_ALERT'; item: EmailItemRef; submittedAt: IsoInstant; expectedBy: string; workflowId: string }
  | ({ kind: 'DEADLINE_EXTENDED' } & Omit<DeadlineChange, 'at'>)
  | { kind: 'SIGN_IN_LINK' }
  /** Sent by the projection activity itself (not decided by the workflow): a change the read model can never store. */
  /** `leftOut`: the change was stored without this field (another registration holds its value); otherwise nothing was. */
  | { kind: 'PROJECTION_ALERT'; workflowId: string; seq: number; error: string; leftOut?: 'universityEmail' }
  /** To the registry: mail to the student's personal email bounced for good or was marked as spam. */
  | { kind: 'ADDRESS_UNDELIVERABLE'; address: string; problem: EmailProblem; detail?: string; workflowId: string }
  | {
      kind: 'LATE_EVENT';
      event: LateEventKind;
      /** The registration's status when the event arrived. */
      status: RegistrationStatus;
      outcomeReason?: OutcomeReason;
      receivedAt: IsoInstant;
      /** Set for a payment made after the fee's deadline while the registration was open: that deadline. */
      afterDeadline?: IsoInstant;
      /** What the event said, as label/value lines (payment reference, amount, university email...). */
      facts: string[];
    };

/** Emails that carry a freshly signed registration link (and, for the invitation, the activation link). */
export const EMAILS_WITH_LINKS: readonly EmailKind[] = [
  'INVITATION',
  'REMINDER',
  'REJECTION',
  'PAYMENT_SHORTFALL',
  'DEADLINE_EXTENDED',
  'SIGN_IN_LINK',
  'CHECKLIST_CHANGED',
];

/** Emails to the registry's alert address; every other kind goes to the student. */
export const REGISTRY_EMAILS: readonly EmailKind[] = ['SLA_ALERT', 'PROJECTION_ALERT', 'LATE_EVENT', 'ADDRESS_UNDELIVERABLE'];

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

/**
 * `registration-<no>:<KIND>:<n>`: the n-th email of that kind this workflow decided to send.
 * (A late event after the workflow closed is mailed by lateEventWorkflow with `<n>` = its delivery key.)
 */
export const emailIdempotencyKey = (workflowId: string, kind: EmailKind, occurrence: number | string): string => `${workflowId}:${kind}:${occurrence}`;

/** What the registry's LATE_EVENT email lists about the event, from the event's own data. */
export function lateEventFacts(event: LateEventKind, data: Record<string, unknown>): string[] {
  if (event === 'ACTIVATION') return [`University email: ${String(data.universityEmail ?? '(not given)')}`];
  return [
    `Payment reference: ${String(data.paymentRef ?? '(not given)')}`,
    `Amount: ${data.amount ?? '(not given)'} ${data.currency ?? ''}`.trim(),
    ...(data.paidAt ? [`Paid at: ${String(data.paidAt)}`] : []),
  ];
}
