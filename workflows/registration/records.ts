/**
 * The registration's record: what the state machine (state.ts) keeps and
 * carries across continue-as-new (instants as epoch milliseconds; the views
 * turn them into ISO strings). The rules (event-, student-, review-, staff-,
 * time-actions.ts, the email decisions, the views) are functions of this one
 * record; actions.ts tables the messages' rules for the workflow's handlers.
 */
import type { ItemDefinition } from './checklist';
import type { QueuedEmail } from './email-queue';
import type {
  DeadlineChange,
  DueBy,
  EmailKind,
  EmailProblem,
  EmailRecord,
  ItemKey,
  ItemState,
  OutcomeReason,
  RegistrationForm,
  RegistrationInput,
  RegistrationStatus,
  ReviewView,
  SubmissionView,
} from './types';
import type { HkDate, WorkingDayDeadline } from './working-days';

/**
 * One registration's whole state. Everything but the first three fields is carried across continue-as-new as
 * plain JSON, generically (state.ts, `carry`), so a field added here is carried without anyone remembering
 * to. The field order is the carried JSON's order.
 */
export interface RegistrationRecord {
  /** Not carried: the next run gets the input anyway, and the id follows from it. */
  readonly input: RegistrationInput;
  readonly workflowId: string;
  /** Not carried: Hong Kong public holidays (from an activity), fetched again by the next run. */
  holidays: ReadonlySet<HkDate>;
  status: RegistrationStatus;
  outcome?: Outcome;
  /** The sequence number of the latest recorded event. */
  seq: number;
  universityEmail?: string;
  /** The personal email staff corrected it to (absent: the imported one); address-actions.ts. */
  personalEmail?: string;
  /** Mail to the personal email failed for good: no student email goes there until it is corrected. */
  personalEmailProblem?: { address: string; problem: EmailProblem; at: number };
  form?: RegistrationForm;
  readonly items: ItemRecord[];
  readonly deadlines: Partial<Record<DeadlineKind, Deadline>>;
  readonly paymentRefs: string[];
  readonly signInRequests: string[];
  readonly deadlineChanges: DeadlineChange[];
  /** Extensions older than the DEADLINE_CHANGES_KEPT latest, dropped from `deadlineChanges`. */
  deadlineChangesOmitted: number;
  readonly emails: EmailRecord[];
  /** Email records older than the EMAIL_RECORDS_KEPT latest, dropped from `emails` (they stay in the email log). */
  emailsOmitted: number;
  readonly emailCount: Partial<Record<EmailKind, number>>;
  /** Emails decided and not yet confirmed, oldest first; carried small (email-queue.ts). */
  readonly emailQueue: QueuedEmail[];
  /** Events recorded since the previous projection snapshot. */
  readonly unprojected: AuditEventRecord[];
  /** The changed rules this registration follows (rule-changes.ts); a run carried from before they existed follows none. */
  readonly rules: string[];
}

/**
 * Deadline extensions the record keeps (and the status shows), and email records. Both are carried across
 * continue-as-new, so they are bounded: without a bound, a thousand extensions carried ~1 MB from run to run.
 * The older ones stay in the audit trail and the email log (read model); the record keeps only how many were
 * dropped. Email idempotency keys come from `emailCount`, never from these records, so dropping a record can
 * neither repeat nor lose an email (docs/registration-workflow.md, "What a continued run carries").
 */
export const DEADLINE_CHANGES_KEPT = 10;
export const EMAIL_RECORDS_KEPT = 50;

/** One event of the audit trail, numbered by `seq`. */
export interface AuditEventRecord {
  seq: number;
  type: string;
  actor: string;
  at: string;
  data: Record<string, unknown>;
}

export type DeadlineKind = Exclude<DueBy, null>;

export interface Deadline {
  at: number;
  /** When this date was set: reminders scheduled before it are not sent (the invitation or extension just told the student). */
  setAt: number;
  passed: boolean;
  /** Reminders already sent, as `<deadline ms>/<offset ms>`: an extension re-arms them for the new date. */
  reminded: string[];
}

export interface ItemRecord extends ItemDefinition {
  state: ItemState;
  submittedAt?: number;
  reviewedAt?: number;
  rejectedAt?: number;
  /**
   * When this item's resubmission window opened: the first rejection whose window reaches past the
   * deadline. Later rejections do not open another (docs/domain.md, "Resubmission window").
   */
  windowFrom?: number;
  /** Since when the registry holds a replacement handed in inside the window: the window's clock stands still meanwhile. */
  heldSince?: number;
  /** How long the registry held replacements inside the window, in total: the window closes that much later. */
  heldMs?: number;
  submissions: SubmissionView[];
  /** Pages of the next submission not yet sent for review (document-pages.ts); absent in a record from before pages. */
  draft?: SubmissionView[];
  /** Pages added to the draft so far, removed ones included: the next page's number follows it. */
  pagesAdded?: number;
  reviews: ReviewView[];
  /** Verification service level of the current submission. */
  sla?: WorkingDayDeadline & { breached: boolean };
  /** Something staff must look at before deciding (a payment that does not match the fee); cleared by their decision. */
  flag?: string;
  /** While NOT_REQUIRED: the state it had, given back if a later reclassification makes it owed again. */
  setAsideFrom?: ItemState;
  /** The tuition fee: what was paid on time in the fee's currency, in cents (fee-settlement.ts). */
  paidCents?: number;
  /** The tuition fee: money arrived but did not settle it; the item is SUBMITTED for staff, yet still owed. */
  awaitingPayment?: boolean;
}

/** A final or intermediate outcome (INCOMPLETE may still become COMPLETED or WITHDRAWN). */
export interface Outcome {
  status: RegistrationStatus;
  reason: OutcomeReason;
  items: ItemKey[];
  detail: string;
  at: number;
}
