/**
 * The vocabulary of a registration: the student record and cohort policy it
 * starts from, checklist items and their states, message inputs and the status
 * the workflow reports. Plain data only (JSON on the wire, workflow-safe): the
 * gateway, the worker and the tests import it alike. Rules live in
 * checklist.ts; message definitions in api.ts.
 */
import type { Duration } from '@temporalio/common';

/** ISO-8601 instant, e.g. "2026-12-31T15:59:59.999Z". Dates travel as strings because messages are JSON. */
export type IsoInstant = string;

// ---------------------------------------------------------------------------
// Student record and cohort policy (the workflow input)
// ---------------------------------------------------------------------------

export const STUDY_LEVELS = ['UG', 'TPG', 'RPG'] as const;
export type StudyLevel = (typeof STUDY_LEVELS)[number];

export const ADMISSION_ROUTES = ['JUPAS', 'NON_JUPAS'] as const;
export type AdmissionRoute = (typeof ADMISSION_ROUTES)[number];

export const RESIDENCIES = ['LOCAL', 'NON_LOCAL'] as const;
export type Residency = (typeof RESIDENCIES)[number];

/** One admitted student, as imported. `applicationNo` is the key: one registration per application number. */
export interface StudentRecord {
  applicationNo: string;
  name: string;
  personalEmail: string;
  programCode: string;
  studyLevel: StudyLevel;
  /** Undergraduates only (UG); absent for postgraduates. */
  admissionRoute?: AdmissionRoute;
  residency: Residency;
  cohortId: string;
}

/** A supplementary document the cohort asks for, e.g. { code: 'FINAL_TRANSCRIPT', label: 'Final transcript' }. */
export interface SupplementaryItemPolicy {
  /** Upper-case code, [A-Z0-9_]+; the item key becomes `SUPPLEMENTARY:<code>`. */
  code: string;
  label: string;
  /** Domain default: supplementary items may follow later (not compulsory). A cohort may make one compulsory. */
  compulsory?: boolean;
  /** Only some students owe it; absent = every student of the cohort. */
  appliesTo?: { studyLevels?: StudyLevel[]; residencies?: Residency[] };
}

export const PHOTO_MEDIA_TYPES = ['image/jpeg', 'image/png'] as const;
export type PhotoMediaType = (typeof PHOTO_MEDIA_TYPES)[number];

/** The ID-card photo specification (plain background is judged by staff, the rest is checked on upload). */
export interface PhotoSpec {
  mediaTypes: PhotoMediaType[];
  minBytes: number;
  maxBytes: number;
  minWidth: number;
  maxWidth: number;
  minHeight: number;
  maxHeight: number;
  /** Height must exceed width. */
  portrait: boolean;
}

export interface CohortPolicy {
  registrationDeadline: IsoInstant;
  /** Tuition payment deadline; absent = the fee is due by the registration deadline. */
  paymentDeadline?: IsoInstant;
  supplementaryItems: SupplementaryItemPolicy[];
  /** How long before each deadline a reminder goes out, e.g. ['7 days', '1 day']. */
  reminderOffsets: Duration[];
  /** How long a student has to put right a compulsory item rejected after the deadline, e.g. '14 days'. */
  resubmissionWindow: Duration;
  /** Verification service level, in Hong Kong working days from the student's submission. */
  verificationSlaWorkingDays: number;
  photo: PhotoSpec;
  /**
   * The tuition fee a payment must reach to settle the fee. The import refuses a student who owes the fee without
   * one; a registration without it has every payment flagged for staff.
   */
  tuitionFee?: TuitionFee;
  /** Hong Kong working days after the fee's deadline in which a payment made by then may still be confirmed (policy.ts). */
  settlementGraceWorkingDays?: number;
}

export interface TuitionFee {
  amount: number;
  /** ISO 4217, e.g. HKD. */
  currency: string;
}

export interface RegistrationInput {
  student: StudentRecord;
  policy: CohortPolicy;
  /**
   * Set only by continue-as-new: the state of the previous run, carried whole
   * (deadlines, items, submissions, emails decided but not yet delivered, seq).
   */
  carried?: CarriedRegistration;
  /**
   * Set only by continue-as-new: the answers of the previous run's latest updates, by update id, so an update
   * retried across the continuation (same id) gets its first answer instead of being applied twice.
   */
  answeredUpdates?: Array<[string, unknown]>;
}

/** A previous run's state record (records.ts), as plain JSON (state.ts: `carry` / `resumeRegistration`). */
export type CarriedRegistration = Record<string, unknown>;

// ---------------------------------------------------------------------------
// Checklist
// ---------------------------------------------------------------------------

export const ITEM_KINDS = ['ACTIVATION', 'FORM', 'ID_DOCUMENT', 'VISA', 'TUITION_RECEIPT', 'SUPPLEMENTARY', 'PHOTO'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

/** Stable key of a checklist item: the kind, or `SUPPLEMENTARY:<CODE>`. */
export type ItemKey = Exclude<ItemKind, 'SUPPLEMENTARY'> | `SUPPLEMENTARY:${string}`;

/** NOT_REQUIRED: the student no longer owes the item after a reclassification (docs/domain.md, Reclassification). */
export const ITEM_STATES = ['PENDING', 'SUBMITTED', 'VERIFIED', 'REJECTED', 'WAIVED', 'NOT_REQUIRED'] as const;
export type ItemState = (typeof ITEM_STATES)[number];

/** Which deadline an item is compulsory by; null = may follow later. */
export type DueBy = 'REGISTRATION' | 'PAYMENT' | null;

export const REJECTION_REASONS = ['UNREADABLE', 'EXPIRED', 'WRONG_DOCUMENT', 'NAME_MISMATCH', 'INCOMPLETE_PAGES', 'PHOTO_SPEC', 'OTHER'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

// ---------------------------------------------------------------------------
// Registration status and outcome
// ---------------------------------------------------------------------------

export const REGISTRATION_STATUSES = ['IN_PROGRESS', 'INCOMPLETE', 'COMPLETED', 'WITHDRAWN'] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

export const OUTCOME_REASONS = [
  /** Every item verified or waived. */
  'ALL_ITEMS_VERIFIED',
  /** Compulsory items in on time, supplementary items (or the photo) still owed. */
  'SUPPLEMENTARY_OWED',
  'MISSED_COMPULSORY_ITEM',
  'MISSED_FEE',
  'UNRESOLVED_REJECTION',
  'DECLINED',
] as const;
export type OutcomeReason = (typeof OUTCOME_REASONS)[number];

/** What the workflow returns when it closes: which final outcome, why, and when. */
export interface RegistrationResult {
  applicationNo: string;
  status: Extract<RegistrationStatus, 'COMPLETED' | 'WITHDRAWN'>;
  reason: OutcomeReason;
  /** The items behind the reason, e.g. the missing ones. */
  items: ItemKey[];
  detail: string;
  at: IsoInstant;
}

// ---------------------------------------------------------------------------
// Message inputs. Every message names its `actor` (who did it) for the audit
// trail: e.g. `student:<applicationNo>`, `staff:<name>`, `system:idp`, `system:payment`.
// ---------------------------------------------------------------------------

export interface Actor {
  actor: string;
}

/** Events from other systems that may arrive after the registration reached its outcome (recorded, never dropped). */
export const LATE_EVENT_KINDS = ['PAYMENT', 'ACTIVATION'] as const;
export type LateEventKind = (typeof LATE_EVENT_KINDS)[number];

export interface AccountActivatedInput extends Actor {
  universityEmail: string;
  activatedAt?: IsoInstant;
}

export interface PaymentConfirmedInput extends Actor {
  /** The payment provider's reference; a repeated webhook with the same reference changes nothing. */
  paymentRef: string;
  amount?: number;
  currency?: string;
  /** When the student paid, as the provider signed it: what decides whether the payment was on time. */
  paidAt?: IsoInstant;
  /** When the confirmation reached us (the gateway's clock); `paidAt` may not be later. */
  receivedAt?: IsoInstant;
}

/** Personal particulars, contacts and consent to the personal information collection statement (PICS). */
export interface RegistrationForm {
  legalName: string;
  preferredName?: string;
  chineseName?: string;
  dateOfBirth: string;
  nationality: string;
  phone: string;
  correspondenceAddress: string;
  emergencyContact: { name: string; relationship: string; phone: string };
  /** Must be true: the form is only valid with consent. */
  picsConsent: boolean;
}

export interface SubmitFormInput extends Actor {
  form: RegistrationForm;
}

/** Metadata of a file the gateway has already stored (by sha256); the workflow never sees the bytes. */
export interface RegisterDocumentInput extends Actor {
  itemKey: ItemKey;
  sha256: string;
  size: number;
  mediaType: string;
  originalName: string;
  /** The gateway's id for this upload (a uuid, the same for every retry of it): the read model's Document id, and how a retry is recognised. */
  documentId?: string;
  uploadedBy: string;
  /** Pixel size, required for the photo (checked against the photo spec). */
  imageWidth?: number;
  imageHeight?: number;
  /**
   * true: the file is added as a page of the item's next submission, which stays open for more pages (or for
   * removing one) until it is sent for review. Absent: the submission, with any pages added before, goes for
   * review at once (docs/domain.md, "Files and pages").
   */
  keepDraft?: boolean;
}

/** Take a page out of the item's submission before it is sent for review. */
export interface RemovePageInput extends Actor {
  itemKey: ItemKey;
  /** The page's number, as the item's `draft` lists it. */
  page: number;
}

/** Send the pages added to an item to the registry for review (they cannot change until its decision). */
export interface SendForReviewInput extends Actor {
  itemKey: ItemKey;
  /**
   * The pages the sender was shown (their submission's version and their numbers in `draft`): when given, the pages
   * are sent only if they are still exactly these, so a page added or taken out elsewhere (another tab) since is never
   * sent unseen. Absent: whatever pages the item holds.
   */
  shown?: { version: number; pages: number[] };
}

export interface VerifyItemInput extends Actor {
  itemKey: ItemKey;
  note?: string;
}

export interface RejectItemInput extends Actor {
  itemKey: ItemKey;
  reasonCode: RejectionReason;
  /** Shown to the student. */
  note: string;
}

export interface WaiveItemInput extends Actor {
  itemKey: ItemKey;
  /** Why the item is waived (recorded with who granted it). */
  reason: string;
}

export interface ExtendDeadlineInput extends Actor {
  deadline: 'REGISTRATION' | 'PAYMENT';
  /** The new deadline; must be later than the current one, which must not have passed. */
  until: IsoInstant;
  reason: string;
}

export interface DeclineOfferInput extends Actor {
  reason?: string;
}

/** Registry staff correct a submitted form ("later changes go through staff", docs/domain.md). */
export interface CorrectFormInput extends Actor {
  /** Only the fields that change; the emergency contact may be changed in part. Consent is the student's and cannot be corrected. */
  changes: Partial<Omit<RegistrationForm, 'emergencyContact' | 'picsConsent'>> & { emergencyContact?: Partial<RegistrationForm['emergencyContact']> };
  /** Why (kept in the audit trail with the before and after values). */
  reason: string;
}

/** Someone asked for a fresh sign-in link for this registration (the gateway checked the personal email first). */
export interface SignInLinkRequestedInput extends Actor {
  /** One email per request id: a repeated signal for the same request sends nothing more. */
  requestId: string;
}

/** The student facts a reclassification may change; the checklist follows them. */
export const RECLASSIFIABLE_FIELDS = ['residency', 'admissionRoute', 'studyLevel', 'programCode'] as const;
export type Reclassification = Partial<Pick<StudentRecord, (typeof RECLASSIFIABLE_FIELDS)[number]>>;

/** Staff change a student's category or program, with a reason; the checklist is recomputed (docs/domain.md, Reclassification). */
export interface ReclassifyInput extends Actor {
  /** Only what changes. A student who stops being an undergraduate loses the admission route. */
  changes: Reclassification;
  reason: string;
}

/** Staff revoked the student's links and sessions (the gateway already cut them off); the actor is the staff member. */
export interface AccessRevokedInput extends Actor {
  /** One record and one email per request id, as for a sign-in link request. */
  requestId: string;
  /** The instant from which links and sessions count again (the gateway's cutoff). */
  revokedAt: IsoInstant;
  reason?: string;
}

/** Mail to an address failed for good, as the email provider reported it (a signed webhook). */
export type EmailProblem = 'BOUNCED' | 'COMPLAINED';

/** The email provider says an email of this registration bounced for good or was marked as spam. */
export interface EmailUndeliverableInput extends Actor {
  problem: EmailProblem;
  /** The email's recipients as the provider reports them. */
  recipients: string[];
  /** The provider's email id, and our idempotency key when the email was ours. */
  providerId: string;
  emailKey?: string;
  /** The provider's words (bounce type and message). */
  detail?: string;
}

/** Staff replace the student's personal email (a typo, a dead mailbox); a fresh invitation goes to the new one. */
export interface CorrectPersonalEmailInput extends Actor {
  personalEmail: string;
  /** Why (kept in the audit trail with both addresses). */
  reason: string;
}

// ---------------------------------------------------------------------------
// Update results and the status query
// ---------------------------------------------------------------------------

/**
 * One file of an item as the workflow keeps it: a page of submission `version`, with its registered metadata,
 * numbered and dated. A submission is every file of the item with the same version.
 */
export interface SubmissionView extends Omit<RegisterDocumentInput, 'itemKey' | 'actor' | 'keepDraft'> {
  version: number;
  /** Its number among the pages added to this version (kept when another is removed); absent: page 1, a file sent alone. */
  page?: number;
  /** When the file was received. */
  at: IsoInstant;
  /** When its submission was sent for review, if later than `at` (it waited as a page of the draft). */
  sentAt?: IsoInstant;
}

export interface ReviewView {
  decision: 'VERIFIED' | 'REJECTED' | 'WAIVED';
  /** Who decided: staff only (the student's view leaves it out, src/gateway/student-view.ts). */
  actor: string;
  at: IsoInstant;
  reasonCode?: RejectionReason;
  note?: string;
  seq: number;
}

export interface ItemView {
  key: ItemKey;
  kind: ItemKind;
  label: string;
  compulsory: boolean;
  dueBy: DueBy;
  state: ItemState;
  /** When the current state began with the student (last submission), for the review queue's age. */
  submittedAt?: IsoInstant;
  reviewedAt?: IsoInstant;
  submissions: SubmissionView[];
  /** Pages added to the next submission and not yet sent for review, in the order they were added. */
  draft: SubmissionView[];
  reviews: ReviewView[];
  /** While SUBMITTED: the end of the verification service level (Hong Kong working days). */
  expectedVerificationBy?: IsoInstant;
  /** The Hong Kong calendar date shown to the student ("expect a result by"). */
  expectedVerificationDate?: string;
  slaBreached?: boolean;
  /** After a rejection past the deadline: when the resubmission window closes. */
  resubmitBy?: IsoInstant;
  /** Something staff must look at before deciding, e.g. a payment that does not match the cohort's fee. */
  flag?: string;
  /**
   * The fee paid in part (docs/domain.md, The tuition fee): what was received on time, the fee and what is still to
   * pay, in the fee's currency. The item is still owed, whatever its state says.
   */
  partPaid?: PartPayment;
}

export interface PartPayment {
  received: number;
  fee: number;
  outstanding: number;
  currency: string;
}

export const EMAIL_KINDS = [
  'INVITATION',
  'REMINDER',
  'REJECTION',
  'ACKNOWLEDGEMENT',
  'FOLLOW_UP',
  'WITHDRAWAL',
  'SLA_ALERT',
  'DEADLINE_EXTENDED',
  'SIGN_IN_LINK',
  'PROJECTION_ALERT',
  'LATE_EVENT',
  'ADDRESS_UNDELIVERABLE',
  'PAYMENT_SHORTFALL',
  'CHECKLIST_CHANGED',
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

export type EmailDelivery = 'SENT' | 'OUTBOX' | 'FAILED';

export interface EmailRecord {
  kind: EmailKind;
  idempotencyKey: string;
  to: string[];
  subject: string;
  delivery: EmailDelivery;
  at: IsoInstant;
  error?: string;
}

/**
 * The cohort's policy numbers as the student and staff read them: every page and
 * email renders these, so a cohort with a 3-day service level reads "3 working days" everywhere.
 */
export interface PolicyNumbers {
  verificationSlaWorkingDays: number;
  /** The resubmission window, in days. */
  resubmissionWindowDays: number;
  /** Reminders go out this many days before each deadline, e.g. [7, 1]. */
  reminderDaysBefore: number[];
}

/** A deadline moved by staff, as the student is told. */
export interface DeadlineChange {
  deadline: 'REGISTRATION' | 'PAYMENT';
  from: IsoInstant;
  until: IsoInstant;
  at: IsoInstant;
}

export interface RegistrationStatusView {
  applicationNo: string;
  workflowId: string;
  /** As imported, with the personal email staff corrected since (the audit trail keeps the earlier ones). */
  student: StudentRecord;
  universityEmail?: string;
  /** Mail to the personal email failed for good (hard bounce or spam complaint): no reminder goes there until staff correct it. */
  personalEmailProblem?: { address: string; problem: EmailProblem; at: IsoInstant };
  status: RegistrationStatus;
  /** Set once an outcome was reached (INCOMPLETE is an outcome that may still become COMPLETED or WITHDRAWN). */
  outcome?: { status: RegistrationStatus; reason: OutcomeReason; items: ItemKey[]; detail: string; at: IsoInstant };
  deadlines: { registration: IsoInstant; payment?: IsoInstant; registrationPassed: boolean; paymentPassed: boolean };
  /** The latest extensions granted (at most 10), oldest first; earlier ones are in the audit trail. */
  deadlineChanges: DeadlineChange[];
  /** How many earlier extensions are not in `deadlineChanges`. */
  deadlineChangesOmitted: number;
  policy: PolicyNumbers;
  /** The form as submitted (and corrected by staff since); absent until submitted. */
  form?: RegistrationForm;
  items: ItemView[];
  outstandingItems: ItemKey[];
  /** Every document (visa included) and an accepted photo are in: the ID card can be issued. */
  cardReady: boolean;
  /** The latest emails (at most 50), oldest first; earlier ones are in the email log. */
  emails: EmailRecord[];
  /** How many earlier emails are not in `emails`. */
  emailsOmitted: number;
  /** Sequence number of the last change: projections with a lower number are stale. */
  seq: number;
}

/** What a student-facing update answers with: the item after the change. */
export interface ItemUpdateResult extends ItemView {
  /**
   * The registration's sequence number once the update was answered (its change, or the state that made it a no-op):
   * a reader of the read model asks for at least this one. Absent from an answer carried from before it was given.
   */
  seq?: number;
}
