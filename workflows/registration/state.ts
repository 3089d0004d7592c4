/**
 * One student's registration as a state machine: the checklist, deadlines,
 * outcome and the emails it has decided to send. Every method takes the
 * current time and is deterministic, so the whole process can be unit-tested
 * without Temporal; the workflow only feeds it messages and timer wake-ups and
 * carries out its side effects (search attributes, projection, emails).
 *
 * Every change goes through `record()`, which stamps it with the next sequence
 * number: the read model applies snapshots in that order whatever order they
 * arrive in.
 */
import { msToNumber } from '@temporalio/common/lib/time';
import { MAX_SUBMISSIONS_PER_ITEM, RegistrationFailure, registrationFailure, registrationWorkflowId } from './api';
import {
  allSettled,
  buildChecklist,
  compulsoryAllIn,
  contactsFor,
  isCardReady,
  isFileItem,
  isReviewable,
  isSettled,
  missingCompulsory,
  outstandingItems,
  owedOptional,
  photoSpecViolations,
  type ItemDefinition,
} from './checklist';
import { textProblemsIn, type TextRule } from './text';
import { emailIdempotencyKey, lateEventFacts, type EmailContext, type EmailItemRef, type EmailMessage, type EmailRequest, type EmailSent } from './emails';
import type {
  IsoInstant,
  AccountActivatedInput,
  CarriedRegistration,
  CohortPolicy,
  CorrectFormInput,
  DeadlineChange,
  DeclineOfferInput,
  DueBy,
  EmailKind,
  EmailRecord,
  ExtendDeadlineInput,
  ItemKey,
  ItemState,
  ItemView,
  LateEventKind,
  OutcomeReason,
  PaymentConfirmedInput,
  PolicyNumbers,
  RegisterDocumentInput,
  RegistrationForm,
  RegistrationInput,
  RegistrationResult,
  RegistrationStatus,
  RegistrationStatusView,
  RejectItemInput,
  ReviewView,
  SignInLinkRequestedInput,
  SubmissionView,
  SubmitFormInput,
  TuitionFee,
  VerifyItemInput,
  WaiveItemInput,
} from './types';
import { REJECTION_REASONS } from './types';
import { addWorkingDays, type HkDate, type WorkingDayDeadline } from './working-days';
import { REQUIRED_FORM_FIELDS } from './vocabulary';

type DeadlineKind = Exclude<DueBy, null>;

interface Deadline {
  at: number;
  /** When this date was set: reminders scheduled before it are not sent (the invitation or extension just told the student). */
  setAt: number;
  passed: boolean;
  /** Reminders already sent, as `<deadline ms>/<offset ms>`: an extension re-arms them for the new date. */
  reminded: string[];
}

interface ItemRecord extends ItemDefinition {
  state: ItemState;
  submittedAt?: number;
  reviewedAt?: number;
  rejectedAt?: number;
  /**
   * When this item's resubmission window opened: the first rejection whose window reaches past the
   * deadline. Later rejections do not open another (docs/domain.md, "Resubmission window").
   */
  windowFrom?: number;
  submissions: SubmissionView[];
  reviews: ReviewView[];
  /** Verification service level of the current submission. */
  sla?: WorkingDayDeadline & { breached: boolean };
  /** Something staff must look at before deciding (a payment that does not match the fee); cleared by their decision. */
  flag?: string;
}

export interface AuditEventRecord {
  seq: number;
  type: string;
  actor: string;
  at: string;
  data: Record<string, unknown>;
}

/** An item as the read model keeps it: its current state, without its history (that travels as deltas). */
export type ProjectedItem = Omit<ItemView, 'submissions' | 'reviews'> & { rejectionReason?: string; rejectionNote?: string; inAt?: IsoInstant };

/**
 * When an item came in: its first submission or waiver after its last rejection (activation and
 * the form, which have no files, at their own time); undefined while it is pending or rejected.
 * Carried as one instant so the bounded projection input still answers the dashboard's burn-down.
 */
export function cameInAt(item: Pick<ItemView, 'state' | 'submissions' | 'reviews' | 'submittedAt' | 'reviewedAt'>): IsoInstant | undefined {
  if (item.state === 'PENDING' || item.state === 'REJECTED') return undefined;
  const rejected = Math.max(-Infinity, ...item.reviews.filter((r) => r.decision === 'REJECTED').map((r) => Date.parse(r.at)));
  const ins = [...item.submissions.map((s) => s.at), ...item.reviews.filter((r) => r.decision === 'WAIVED').map((r) => r.at)].filter((t) => Date.parse(t) > rejected);
  if (ins.length) return ins.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
  return item.submittedAt ?? item.reviewedAt;
}

/** The registration as of a snapshot, bounded: no submission, review or email lists. */
export type ProjectedView = Omit<RegistrationStatusView, 'items' | 'emails'> & { items: ProjectedItem[] };

/**
 * What the projection activity receives: the bounded state as of `seq`, and
 * only what was recorded since the previous snapshot (events, submissions,
 * reviews, email keys). Each change thus puts a few kilobytes into history,
 * however many uploads and reviews the registration has seen.
 */
export interface ProjectionSnapshot {
  seq: number;
  view: ProjectedView;
  events: AuditEventRecord[];
  submissions: (SubmissionView & { itemKey: ItemKey })[];
  reviews: (ReviewView & { itemKey: ItemKey })[];
  /** Email log rows to link to this registration. */
  emailKeys: string[];
  /** For a cohort row the import did not create (a registration started from the CLI). */
  policy: CohortPolicy;
}

interface Outcome {
  status: RegistrationStatus;
  reason: OutcomeReason;
  items: ItemKey[];
  detail: string;
  at: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
/** Emails an update's answer lists (the latest); the query lists them all. */
const BOUNDED_EMAILS = 5;
const SYSTEM = 'system:workflow';
const DAY_MS = 24 * 60 * 60 * 1000;
/** Sign-in link requests remembered for de-duplication (a retried request within this many is not mailed twice). */
const SIGN_IN_REQUESTS_KEPT = 20;
/**
 * Deadline extensions the state keeps (and the status shows), and email records. Both are carried across
 * continue-as-new, so they are bounded: without a bound, a thousand extensions carried ~1 MB from run to run.
 * The older ones stay in the audit trail and the email log (read model); the state keeps only how many were
 * dropped. Email idempotency keys come from `emailCount`, never from these records, so dropping a record can
 * neither repeat nor lose an email (docs/registration-workflow.md, "What a continued run carries").
 */
export const DEADLINE_CHANGES_KEPT = 10;
export const EMAIL_RECORDS_KEPT = 50;

export class RegistrationState {
  readonly workflowId: string;
  status: RegistrationStatus = 'IN_PROGRESS';
  outcome?: Outcome;
  seq = 0;
  universityEmail?: string;
  form?: RegistrationForm;
  private readonly items: ItemRecord[];
  private readonly deadlines: Partial<Record<DeadlineKind, Deadline>> = {};
  private readonly paymentRefs: string[] = [];
  private readonly signInRequests: string[] = [];
  private readonly deadlineChanges: DeadlineChange[] = [];
  /** Extensions older than the DEADLINE_CHANGES_KEPT latest, dropped from `deadlineChanges`. */
  private deadlineChangesOmitted = 0;
  private readonly emails: EmailRecord[] = [];
  /** Email records older than the EMAIL_RECORDS_KEPT latest, dropped from `emails` (they stay in the email log). */
  private emailsOmitted = 0;
  private readonly emailCount: Partial<Record<EmailKind, number>> = {};
  private readonly pendingEmails: EmailRequest[] = [];
  private readonly unprojected: AuditEventRecord[] = [];
  private holidays: ReadonlySet<HkDate> = new Set();

  constructor(
    readonly input: RegistrationInput,
    startedAt: number,
  ) {
    const { student, policy } = input;
    this.workflowId = registrationWorkflowId(student.applicationNo);
    this.items = buildChecklist(student, policy).map((d) => ({ ...d, state: 'PENDING', submissions: [], reviews: [] }));
    this.deadlines.REGISTRATION = { at: Date.parse(policy.registrationDeadline), setAt: startedAt, passed: false, reminded: [] };
    if (this.items.some((i) => i.dueBy === 'PAYMENT') && policy.paymentDeadline) {
      this.deadlines.PAYMENT = { at: Date.parse(policy.paymentDeadline), setAt: startedAt, passed: false, reminded: [] };
    }
    this.record('REGISTRATION_STARTED', SYSTEM, startedAt, { student, policy });
  }

  get isClosed(): boolean {
    return this.status === 'COMPLETED' || this.status === 'WITHDRAWN';
  }

  /** Hong Kong public holidays (from an activity), for the verification service level. */
  setHolidays(dates: readonly HkDate[]): void {
    this.holidays = new Set(dates);
  }

  // -------------------------------------------------------------------------
  // The invitation
  // -------------------------------------------------------------------------

  invite(): void {
    this.queueEmail({ kind: 'INVITATION' }, [this.input.student.personalEmail]);
  }

  // -------------------------------------------------------------------------
  // Events from other systems (signals): duplicates change nothing
  // -------------------------------------------------------------------------

  activateAccount(input: AccountActivatedInput, now: number): boolean {
    if (this.isClosed && this.universityEmail !== input.universityEmail) {
      this.universityEmail ??= input.universityEmail;
      return this.recordLateEvent('ACTIVATION', input.actor, now, { universityEmail: input.universityEmail, activatedAt: input.activatedAt });
    }
    if (this.isClosed || this.universityEmail !== undefined) return false;
    this.universityEmail = input.universityEmail;
    const item = this.item('ACTIVATION');
    // A waived activation stays waived; the university email is still worth knowing.
    if (!isSettled(item.state)) {
      item.state = 'VERIFIED';
      item.submittedAt = item.reviewedAt = now;
      item.reviews.push(this.review('VERIFIED', input.actor, now));
    }
    this.record('ACCOUNT_ACTIVATED', input.actor, now, { universityEmail: input.universityEmail, activatedAt: input.activatedAt });
    this.settleOutcome(now);
    return true;
  }

  confirmPayment(input: PaymentConfirmedInput, now: number): boolean {
    if (this.paymentRefs.includes(input.paymentRef)) return false;
    this.paymentRefs.push(input.paymentRef);
    if (this.isClosed) {
      const { actor, ...payment } = input;
      return this.recordLateEvent('PAYMENT', actor, now, payment);
    }
    const item = this.items.find((i) => i.kind === 'TUITION_RECEIPT');
    const mismatch = feeMismatch(this.input.policy.tuitionFee, input);
    const settles = !!item && !isSettled(item.state) && !mismatch;
    if (item && settles) {
      item.state = 'VERIFIED';
      item.submittedAt ??= now;
      item.reviewedAt = now;
      item.sla = undefined;
      item.flag = undefined;
      item.reviews.push(this.review('VERIFIED', input.actor, now, { note: `payment ${input.paymentRef}` }));
    } else if (item && mismatch && !isSettled(item.state)) {
      // Money arrived, but not the fee: never settled silently. The item waits in the review queue, flagged, for
      // staff to verify or reject; meanwhile the fee deadline does not withdraw a student who paid something.
      if (item.state !== 'SUBMITTED') {
        item.state = 'SUBMITTED';
        item.submittedAt = now;
        item.rejectedAt = undefined;
        item.sla = { ...addWorkingDays(now, this.input.policy.verificationSlaWorkingDays, this.holidays), breached: false };
      }
      item.flag = mismatch;
    }
    this.record(mismatch ? 'PAYMENT_MISMATCH' : 'PAYMENT_CONFIRMED', input.actor, now, { ...input, settledItem: settles, ...(mismatch ? { mismatch } : {}) });
    this.settleOutcome(now);
    return true;
  }

  /**
   * An event from another system after the outcome: it changes nothing, but it
   * is recorded (audit trail and read model) and the registry is told, because
   * money or an account that arrives must never vanish.
   */
  private recordLateEvent(event: LateEventKind, actor: string, now: number, data: Record<string, unknown>): boolean {
    this.record('LATE_EVENT', actor, now, { event, status: this.status, outcomeReason: this.outcome?.reason, ...data });
    const facts = lateEventFacts(event, data);
    this.queueEmail({ kind: 'LATE_EVENT', event, status: this.status, outcomeReason: this.outcome?.reason, receivedAt: iso(now), facts }, []);
    return true;
  }

  /** A fresh sign-in link to the personal email on record, once per request id; nothing once the registration is closed. */
  requestSignInLink(input: SignInLinkRequestedInput, now: number): boolean {
    if (this.isClosed || !input.requestId || this.signInRequests.includes(input.requestId)) return false;
    this.signInRequests.push(input.requestId);
    if (this.signInRequests.length > SIGN_IN_REQUESTS_KEPT) this.signInRequests.shift();
    this.record('SIGN_IN_LINK_REQUESTED', input.actor, now, { requestId: input.requestId });
    this.queueEmail({ kind: 'SIGN_IN_LINK' }, [this.input.student.personalEmail]);
    return true;
  }

  // -------------------------------------------------------------------------
  // Actions (updates): each has a check, used by the validator and again by the handler
  // -------------------------------------------------------------------------

  checkSubmitForm(input: SubmitFormInput, now: number): void {
    this.checkOpen();
    const item = this.item('FORM');
    if (item.state !== 'PENDING') throw this.invalidTransition(`the registration form is ${item.state}: it can be submitted once only; later changes go through the registry`);
    this.checkNotLate(item, now);
    const problems = formProblems(input.form);
    if (problems.length) throw registrationFailure(RegistrationFailure.InvalidInput, `the form is not valid: ${problems.join('; ')}`, { problems });
  }

  submitForm(input: SubmitFormInput, now: number): ItemView {
    this.checkSubmitForm(input, now);
    const item = this.item('FORM');
    this.form = input.form;
    item.state = 'VERIFIED';
    item.submittedAt = item.reviewedAt = now;
    item.reviews.push(this.review('VERIFIED', input.actor, now, { note: 'validly submitted' }));
    this.record('FORM_SUBMITTED', input.actor, now, { form: input.form });
    this.settleOutcome(now);
    return this.itemView(item);
  }

  checkCorrectForm(input: CorrectFormInput, _now: number): void {
    this.checkOpen();
    if (!this.form) throw this.invalidTransition('the registration form has not been submitted: there is nothing to correct');
    if (!input.reason?.trim()) throw registrationFailure(RegistrationFailure.InvalidInput, 'a correction needs a reason');
    const changes = (input.changes ?? {}) as Record<string, unknown>;
    if ('picsConsent' in changes) throw registrationFailure(RegistrationFailure.InvalidInput, 'consent is the student\'s: staff cannot correct it');
    if (!Object.keys(formChanges(this.form, correctedForm(this.form, input)).after).length) {
      throw registrationFailure(RegistrationFailure.InvalidInput, 'the correction changes nothing');
    }
    const problems = formProblems(correctedForm(this.form, input));
    if (problems.length) throw registrationFailure(RegistrationFailure.InvalidInput, `the corrected form is not valid: ${problems.join('; ')}`, { problems });
  }

  correctForm(input: CorrectFormInput, now: number): RegistrationStatusView {
    this.checkCorrectForm(input, now);
    const before = this.form!;
    this.form = correctedForm(before, input);
    this.record('FORM_CORRECTED', input.actor, now, { reason: input.reason, ...formChanges(before, this.form) });
    // The answer goes into history (and the latest answers across continue-as-new): bounded like the other status answers.
    return this.boundedView();
  }

  checkRegisterDocument(input: RegisterDocumentInput, now: number): void {
    // A retry (same document id) or the current submission's bytes again: answered with what is recorded.
    if (this.registeredAlready(input)) return;
    this.checkOpen();
    const item = this.knownItem(input.itemKey);
    if (!isFileItem(item.kind)) throw registrationFailure(RegistrationFailure.InvalidInput, `${item.key} is not a document item`);
    if (isSettled(item.state)) throw this.invalidTransition(`${item.key} is already ${item.state}`);
    this.checkNotLate(item, now);
    if (item.submissions.length >= MAX_SUBMISSIONS_PER_ITEM) {
      throw registrationFailure(
        RegistrationFailure.SubmissionLimitReached,
        `${item.label} already has ${item.submissions.length} uploads, the most one item takes; contact the registry if it must be replaced again`,
        { itemKey: item.key, limit: MAX_SUBMISSIONS_PER_ITEM },
      );
    }
    const problems: string[] = [];
    if (!/^[0-9a-f]{64}$/.test(input.sha256)) problems.push('sha256 must be 64 lower-case hex digits');
    if (!Number.isInteger(input.size) || input.size <= 0) problems.push('size must be a positive integer');
    if (!input.mediaType || !input.originalName || !input.uploadedBy) problems.push('mediaType, originalName and uploadedBy are required');
    problems.push(...unkeepableText({ mediaType: input.mediaType, originalName: input.originalName, uploadedBy: input.uploadedBy }));
    if (item.kind === 'PHOTO') problems.push(...photoSpecViolations(this.input.policy.photo, input));
    if (problems.length) throw registrationFailure(RegistrationFailure.InvalidInput, `the upload is not valid: ${problems.join('; ')}`, { problems });
  }

  registerDocument(input: RegisterDocumentInput, now: number): ItemView {
    this.checkRegisterDocument(input, now);
    const item = this.knownItem(input.itemKey);
    if (this.registeredAlready(input)) return this.itemView(item);
    const submission: SubmissionView = {
      version: item.submissions.length + 1,
      at: iso(now),
      sha256: input.sha256,
      size: input.size,
      mediaType: input.mediaType,
      originalName: input.originalName,
      documentId: input.documentId,
      uploadedBy: input.uploadedBy,
      imageWidth: input.imageWidth,
      imageHeight: input.imageHeight,
    };
    item.submissions.push(submission);
    item.state = 'SUBMITTED';
    item.submittedAt = now;
    item.rejectedAt = undefined;
    item.sla = { ...addWorkingDays(now, this.input.policy.verificationSlaWorkingDays, this.holidays), breached: false };
    this.record('DOCUMENT_REGISTERED', input.actor, now, { itemKey: item.key, ...submission });
    this.settleOutcome(now);
    return this.itemView(item);
  }

  /**
   * The submission this upload already is: the one with its document id (the gateway's
   * retry of a timed-out upload), or the current one if it has the same bytes and is
   * still SUBMITTED or VERIFIED. The workflow, not the gateway, decides duplicates.
   */
  private registeredAlready(input: RegisterDocumentInput): SubmissionView | undefined {
    const item = this.items.find((i) => i.key === input.itemKey);
    if (!item) return undefined;
    const same = input.documentId === undefined ? undefined : item.submissions.find((s) => s.documentId === input.documentId);
    if (same && same.sha256 !== input.sha256) {
      throw registrationFailure(RegistrationFailure.InvalidInput, `document ${input.documentId} was registered with other bytes`);
    }
    if (same) return same;
    const current = item.submissions[item.submissions.length - 1];
    return current?.sha256 === input.sha256 && (item.state === 'SUBMITTED' || item.state === 'VERIFIED') ? current : undefined;
  }

  checkReview(input: VerifyItemInput, _now: number): void {
    this.checkOpen();
    const item = this.knownItem(input.itemKey);
    if (!isReviewable(item.kind)) throw this.invalidTransition(`${item.key} is not reviewed by staff`);
    if (item.state !== 'SUBMITTED') throw this.invalidTransition(`${item.key} is ${item.state}: only a submitted item can be reviewed`);
    checkKeepableText({ note: input.note }, { multiline: true });
  }

  verifyItem(input: VerifyItemInput, now: number): ItemView {
    this.checkReview(input, now);
    const item = this.knownItem(input.itemKey);
    this.decide(item, 'VERIFIED', input.actor, now, { note: input.note });
    this.record('ITEM_VERIFIED', input.actor, now, { itemKey: item.key, note: input.note });
    this.settleOutcome(now);
    return this.itemView(item);
  }

  checkReject(input: RejectItemInput, now: number): void {
    this.checkReview(input, now);
    if (!(REJECTION_REASONS as readonly string[]).includes(input.reasonCode)) {
      throw registrationFailure(RegistrationFailure.InvalidInput, `unknown reason code ${input.reasonCode}; one of ${REJECTION_REASONS.join(', ')}`);
    }
    if (!input.note?.trim()) throw registrationFailure(RegistrationFailure.InvalidInput, 'a rejection needs a note for the student');
  }

  rejectItem(input: RejectItemInput, now: number): ItemView {
    this.checkReject(input, now);
    const item = this.knownItem(input.itemKey);
    this.decide(item, 'REJECTED', input.actor, now, { reasonCode: input.reasonCode, note: input.note });
    item.rejectedAt = now;
    const deadline = item.dueBy ? (this.deadlines[item.dueBy] ?? this.deadlines.REGISTRATION!) : undefined;
    if (item.compulsory && deadline && item.windowFrom === undefined && now + this.windowMs() > deadline.at) item.windowFrom = now;
    const resubmitBy = this.resubmitBy(item);
    this.record('ITEM_REJECTED', input.actor, now, {
      itemKey: item.key,
      reasonCode: input.reasonCode,
      note: input.note,
      resubmitBy: resubmitBy === undefined ? undefined : iso(resubmitBy),
    });
    this.queueEmail(
      { kind: 'REJECTION', item: ref(item), reasonCode: input.reasonCode, note: input.note, resubmitBy: resubmitBy === undefined ? undefined : iso(resubmitBy) },
      this.studentAddresses(),
    );
    this.settleOutcome(now);
    return this.itemView(item);
  }

  checkWaive(input: WaiveItemInput, _now: number): void {
    this.checkOpen();
    const item = this.knownItem(input.itemKey);
    if (isSettled(item.state)) throw this.invalidTransition(`${item.key} is already ${item.state}`);
    if (!input.reason?.trim()) throw registrationFailure(RegistrationFailure.InvalidInput, 'a waiver needs a reason');
    checkKeepableText({ reason: input.reason }, { multiline: true });
  }

  waiveItem(input: WaiveItemInput, now: number): ItemView {
    this.checkWaive(input, now);
    const item = this.knownItem(input.itemKey);
    this.decide(item, 'WAIVED', input.actor, now, { note: input.reason });
    this.record('ITEM_WAIVED', input.actor, now, { itemKey: item.key, reason: input.reason });
    this.settleOutcome(now);
    return this.itemView(item);
  }

  checkExtendDeadline(input: ExtendDeadlineInput, now: number): void {
    this.checkOpen();
    const deadline = this.deadlines[input.deadline];
    if (!deadline) throw this.invalidTransition(`this registration has no ${input.deadline} deadline`);
    if (deadline.passed || now >= deadline.at) throw this.invalidTransition(`the ${input.deadline} deadline has passed; it can only be extended before it passes`);
    const until = Date.parse(input.until);
    if (Number.isNaN(until)) throw registrationFailure(RegistrationFailure.InvalidInput, `until is not a date: ${input.until}`);
    if (until <= deadline.at) throw registrationFailure(RegistrationFailure.InvalidInput, `the new deadline must be later than ${iso(deadline.at)}`);
    if (!input.reason?.trim()) throw registrationFailure(RegistrationFailure.InvalidInput, 'an extension needs a reason');
    checkKeepableText({ reason: input.reason }, { multiline: true });
  }

  extendDeadline(input: ExtendDeadlineInput, now: number): RegistrationStatusView {
    this.checkExtendDeadline(input, now);
    const deadline = this.deadlines[input.deadline]!;
    const from = deadline.at;
    deadline.at = Date.parse(input.until);
    deadline.setAt = now;
    // Reminders are re-armed for the new date; those sent for earlier dates are never consulted again.
    deadline.reminded = deadline.reminded.filter((r) => r.startsWith(`${deadline.at}/`));
    this.record('DEADLINE_EXTENDED', input.actor, now, { deadline: input.deadline, from: iso(from), until: iso(deadline.at), reason: input.reason });
    const change: DeadlineChange = { deadline: input.deadline, from: iso(from), until: iso(deadline.at), at: iso(now) };
    this.deadlineChanges.push(change);
    this.deadlineChangesOmitted += dropOldest(this.deadlineChanges, DEADLINE_CHANGES_KEPT);
    // The student is told the new date (docs/domain.md: every deadline the student must meet is one they were told).
    this.queueEmail({ kind: 'DEADLINE_EXTENDED', deadline: change.deadline, from: change.from, until: change.until }, this.studentAddresses());
    return this.boundedView();
  }

  checkDecline(input: DeclineOfferInput, _now: number): void {
    this.checkOpen();
    checkKeepableText({ reason: input.reason }, { multiline: true });
  }

  declineOffer(input: DeclineOfferInput, now: number): RegistrationStatusView {
    this.checkDecline(input, now);
    this.record('OFFER_DECLINED', input.actor, now, { reason: input.reason });
    this.conclude('WITHDRAWN', 'DECLINED', [], `the student declined the offer${input.reason ? `: ${input.reason}` : ''}`, now);
    return this.boundedView();
  }

  // -------------------------------------------------------------------------
  // Time: what is due now, and when to look again
  // -------------------------------------------------------------------------

  /** Everything time makes happen, in the order a registry officer would apply it. */
  advance(now: number): void {
    if (this.isClosed) return;
    this.remindBeforeDeadlines(now);
    this.enforceDeadlines(now);
    this.enforceResubmissionWindows(now);
    this.watchVerificationSla(now);
    this.settleOutcome(now);
  }

  /** The next instant at which `advance` has something to do, and what; undefined when only a message can change anything. */
  nextWakeUp(now: number): { at: number; what: string } | undefined {
    if (this.isClosed) return undefined;
    const times: { at: number; what: string }[] = [];
    for (const [kind, d] of this.deadlineEntries()) {
      if (d.passed) continue;
      times.push({ at: d.at, what: `${kind.toLowerCase()} deadline` });
      for (const offset of this.reminderOffsets()) times.push({ at: d.at - offset, what: `reminder before the ${kind.toLowerCase()} deadline` });
    }
    for (const item of this.items) {
      const by = this.resubmitBy(item);
      if (by !== undefined && item.state === 'REJECTED') times.push({ at: by, what: `resubmission window of ${item.key}` });
      if (item.state === 'SUBMITTED' && item.sla && !item.sla.breached) times.push({ at: item.sla.endsAt, what: `verification service level of ${item.key}` });
    }
    return times.filter((t) => t.at > now).sort((a, b) => a.at - b.at)[0];
  }

  private remindBeforeDeadlines(now: number): void {
    if (this.status !== 'IN_PROGRESS') return;
    for (const [kind, d] of this.deadlineEntries()) {
      if (d.passed || now >= d.at) continue;
      // Of the reminders due (and not yet sent for this date), send one: after a pause, the latest says it all.
      const due = this.reminderOffsets().filter((o) => d.at - o <= now && d.at - o >= d.setAt && !d.reminded.includes(`${d.at}/${o}`));
      if (!due.length) continue;
      for (const o of due) d.reminded.push(`${d.at}/${o}`);
      const missing = missingCompulsory(this.items, kind);
      if (!missing.length) continue;
      this.record('REMINDER_DUE', SYSTEM, now, { deadline: kind, at: iso(d.at), missing: missing.map((i) => i.key) });
      this.queueEmail({ kind: 'REMINDER', deadline: kind, at: iso(d.at), missing: missing.map(ref) }, this.studentAddresses());
    }
  }

  private enforceDeadlines(now: number): void {
    for (const [kind, d] of this.deadlineEntries()) {
      if (d.passed || now < d.at) continue;
      d.passed = true;
      const missing = missingCompulsory(this.items, kind).filter((i) => i.state === 'PENDING');
      this.record('DEADLINE_PASSED', SYSTEM, now, { deadline: kind, at: iso(d.at), missing: missing.map((i) => i.key) });
      if (missing.length && !this.isClosed) {
        const onlyFee = missing.every((i) => i.key === 'TUITION_RECEIPT');
        this.conclude(
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

  private enforceResubmissionWindows(now: number): void {
    if (this.isClosed) return;
    const lapsed = this.items.filter((i) => {
      const by = this.resubmitBy(i);
      return i.state === 'REJECTED' && by !== undefined && now >= by;
    });
    if (!lapsed.length) return;
    this.conclude(
      'WITHDRAWN',
      'UNRESOLVED_REJECTION',
      lapsed.map((i) => i.key),
      `rejected and not resubmitted within the resubmission window: ${lapsed.map((i) => i.label).join(', ')}`,
      now,
    );
  }

  private watchVerificationSla(now: number): void {
    // A registration that closed (in this same wake-up, too) is nobody's work any more: no alert.
    if (this.isClosed) return;
    for (const item of this.items) {
      if (item.state !== 'SUBMITTED' || !item.sla || item.sla.breached || now < item.sla.endsAt) continue;
      item.sla.breached = true;
      this.record('VERIFICATION_OVERDUE', SYSTEM, now, { itemKey: item.key, expectedBy: item.sla.date, submittedAt: iso(item.submittedAt!) });
      this.queueEmail(
        { kind: 'SLA_ALERT', item: ref(item), submittedAt: iso(item.submittedAt!), expectedBy: item.sla.date, workflowId: this.workflowId },
        [],
      );
    }
  }

  /** Decides the registration status from the checklist; called after every change. */
  private settleOutcome(now: number): void {
    if (this.isClosed) return;
    if (allSettled(this.items)) {
      this.conclude('COMPLETED', 'ALL_ITEMS_VERIFIED', [], 'every item is verified or waived', now);
      return;
    }
    const registrationPassed = this.deadlines.REGISTRATION!.passed;
    const owed = owedOptional(this.items);
    // INCOMPLETE is judged once the registration deadline passed with every compulsory item in
    // (a fee still ahead of its own deadline must be in as well: "and the fee settled").
    if (this.status === 'IN_PROGRESS' && registrationPassed && compulsoryAllIn(this.items) && owed.length) {
      this.conclude('INCOMPLETE', 'SUPPLEMENTARY_OWED', owed.map((i) => i.key), `still owed: ${owed.map((i) => i.label).join(', ')}`, now);
    }
  }

  private conclude(status: RegistrationStatus, reason: OutcomeReason, items: ItemKey[], detail: string, now: number): void {
    this.status = status;
    this.outcome = { status, reason, items, detail, at: now };
    this.record('STATUS_CHANGED', SYSTEM, now, { status, reason, items, detail });
    const refs = items.map((k) => ref(this.item(k)));
    if (status === 'COMPLETED') this.queueEmail({ kind: 'ACKNOWLEDGEMENT' }, this.studentAddresses());
    if (status === 'INCOMPLETE') this.queueEmail({ kind: 'FOLLOW_UP', owed: refs }, this.studentAddresses());
    if (status === 'WITHDRAWN') this.queueEmail({ kind: 'WITHDRAWAL', reason, items: refs, detail }, this.studentAddresses());
  }

  // -------------------------------------------------------------------------
  // Emails: decided here, sent by the workflow, recorded back here
  // -------------------------------------------------------------------------

  /** Emails decided but not yet handed to the email activity. */
  takeEmails(): EmailRequest[] {
    return this.pendingEmails.splice(0);
  }

  get hasEmailsToSend(): boolean {
    return this.pendingEmails.length > 0;
  }

  emailSent(request: EmailRequest, sent: EmailSent, now: number): void {
    const record: EmailRecord = {
      kind: request.message.kind,
      idempotencyKey: request.idempotencyKey,
      to: sent.to,
      subject: sent.subject,
      delivery: sent.delivery,
      at: iso(now),
    };
    this.keepEmailRecord(record);
    this.record('EMAIL_SENT', SYSTEM, now, { ...record, providerId: sent.providerId });
  }

  emailFailed(request: EmailRequest, error: string, now: number): void {
    const record: EmailRecord = {
      kind: request.message.kind,
      idempotencyKey: request.idempotencyKey,
      to: request.to,
      subject: '',
      delivery: 'FAILED',
      at: iso(now),
      error,
    };
    this.keepEmailRecord(record);
    this.record('EMAIL_FAILED', SYSTEM, now, { ...record });
  }

  private keepEmailRecord(record: EmailRecord): void {
    this.emails.push(record);
    this.emailsOmitted += dropOldest(this.emails, EMAIL_RECORDS_KEPT);
  }

  private queueEmail(message: EmailMessage, to: string[]): void {
    const n = (this.emailCount[message.kind] ?? 0) + 1;
    this.emailCount[message.kind] = n;
    this.pendingEmails.push({
      idempotencyKey: emailIdempotencyKey(this.workflowId, message.kind, n),
      workflowId: this.workflowId,
      registrationNo: this.input.student.applicationNo,
      to,
      context: this.emailContext(),
      message,
    });
  }

  private emailContext(): EmailContext {
    return {
      student: this.input.student,
      universityEmail: this.universityEmail,
      deadlines: { registration: iso(this.deadlines.REGISTRATION!.at), payment: this.deadlines.PAYMENT ? iso(this.deadlines.PAYMENT.at) : undefined },
      contacts: contactsFor(this.input.student),
      items: this.items.map((i) => ({ ...ref(i), state: i.state, compulsory: i.compulsory, dueBy: i.dueBy })),
      policy: this.policyNumbers(),
      changeableUntil: iso(this.changeableUntil()),
    };
  }

  /** The cohort's policy numbers, as every page and email states them. */
  policyNumbers(): PolicyNumbers {
    const { policy } = this.input;
    return {
      verificationSlaWorkingDays: policy.verificationSlaWorkingDays,
      resubmissionWindowDays: this.windowMs() / DAY_MS,
      reminderDaysBefore: this.reminderOffsets().map((o) => o / DAY_MS),
    };
  }

  /** The last moment a student action can still count: the latest deadline plus the resubmission window. */
  changeableUntil(): number {
    return Math.max(...this.deadlineEntries().map(([, d]) => d.at)) + this.windowMs();
  }

  /** Personal email always; the university email once the account is activated. */
  private studentAddresses(): string[] {
    return [this.input.student.personalEmail, ...(this.universityEmail ? [this.universityEmail] : [])];
  }

  // -------------------------------------------------------------------------
  // Views
  // -------------------------------------------------------------------------

  view(): RegistrationStatusView {
    const d = this.deadlines;
    return {
      applicationNo: this.input.student.applicationNo,
      workflowId: this.workflowId,
      student: this.input.student,
      universityEmail: this.universityEmail,
      status: this.status,
      outcome: this.outcome && { ...this.outcome, at: iso(this.outcome.at) },
      deadlines: {
        registration: iso(d.REGISTRATION!.at),
        payment: d.PAYMENT ? iso(d.PAYMENT.at) : undefined,
        registrationPassed: d.REGISTRATION!.passed,
        paymentPassed: d.PAYMENT?.passed ?? false,
      },
      deadlineChanges: this.deadlineChanges.map((c) => ({ ...c })),
      deadlineChangesOmitted: this.deadlineChangesOmitted,
      policy: this.policyNumbers(),
      form: this.form && { ...this.form, emergencyContact: { ...this.form.emergencyContact } },
      items: this.items.map((i) => this.itemView(i)),
      outstandingItems: this.outstandingItems(),
      cardReady: this.cardReady(),
      emails: this.emails.map((e) => ({ ...e, to: [...e.to] })),
      emailsOmitted: this.emailsOmitted,
      seq: this.seq,
    };
  }

  /**
   * The status as an update answers it (it goes into history with every change): each item with only its
   * latest submission and review, and only the latest emails. The full status is the query's.
   */
  boundedView(): RegistrationStatusView {
    const v = this.view();
    return {
      ...v,
      items: v.items.map((i) => ({ ...i, submissions: i.submissions.slice(-1), reviews: i.reviews.slice(-1) })),
      emails: v.emails.slice(-BOUNDED_EMAILS),
    };
  }

  outstandingItems(): ItemKey[] {
    return this.isClosed ? [] : outstandingItems(this.items);
  }

  cardReady(): boolean {
    return this.status !== 'WITHDRAWN' && isCardReady(this.items);
  }

  registrationDeadline(): Date {
    return new Date(this.deadlines.REGISTRATION!.at);
  }

  /** The projection's input: the bounded state as of now, with what was recorded since the previous snapshot. */
  takeSnapshot(): ProjectionSnapshot {
    const events = this.unprojected.splice(0);
    const since = events.length ? events[0]!.seq : this.seq + 1;
    const { items, emails: _emails, ...rest } = this.view();
    return {
      seq: this.seq,
      view: {
        ...rest,
        items: items.map((full) => {
          const { submissions: _s, reviews, ...item } = full;
          const last = reviews[reviews.length - 1];
          const rejected = item.state === 'REJECTED' && last?.decision === 'REJECTED';
          return stripUndefined({
            ...item,
            inAt: cameInAt(full),
            ...(rejected ? { rejectionReason: last.reasonCode, rejectionNote: last.note } : {}),
          });
        }),
      },
      events,
      // Document versions arrive only through DOCUMENT_REGISTERED; reviews carry the seq of the event that made them.
      submissions: events.filter((e) => e.type === 'DOCUMENT_REGISTERED').map((e) => e.data as unknown as SubmissionView & { itemKey: ItemKey }),
      reviews: this.items.flatMap((i) => i.reviews.filter((r) => r.seq >= since).map((r) => ({ itemKey: i.key, ...r }))),
      emailKeys: events.filter((e) => e.type === 'EMAIL_SENT' || e.type === 'EMAIL_FAILED').map((e) => String(e.data.idempotencyKey)),
      policy: this.input.policy,
    };
  }

  get hasUnprojected(): boolean {
    return this.unprojected.length > 0;
  }

  // -------------------------------------------------------------------------
  // Continue-as-new: the whole state, carried as plain JSON
  // -------------------------------------------------------------------------

  /**
   * Everything the next run needs, taken generically from the instance's own
   * fields so that a field added later is carried without anyone remembering
   * to. Not carried: the input (the next run gets it anyway) and the holidays
   * (the next run fetches them again).
   */
  carry(): CarriedRegistration {
    const { input: _input, workflowId: _id, holidays: _holidays, ...fields } = this as unknown as Record<string, unknown>;
    return JSON.parse(JSON.stringify(fields)) as CarriedRegistration;
  }

  /** The state a previous run carried, for the same input. */
  static resume(input: RegistrationInput, carried: CarriedRegistration, now: number): RegistrationState {
    const state = new RegistrationState(input, now);
    return Object.assign(state, JSON.parse(JSON.stringify(carried)) as object);
  }

  /** Emails handed to the email activity but not yet confirmed go first again (the next run sends them, same keys). */
  requeueEmails(requests: EmailRequest[]): void {
    const queued = new Set(this.pendingEmails.map((r) => r.idempotencyKey));
    this.pendingEmails.unshift(...requests.filter((r) => !queued.has(r.idempotencyKey)));
  }

  result(): RegistrationResult {
    if (!this.isClosed || !this.outcome) throw new Error('the registration has no final outcome yet');
    return {
      applicationNo: this.input.student.applicationNo,
      status: this.status as RegistrationResult['status'],
      reason: this.outcome.reason,
      items: this.outcome.items,
      detail: this.outcome.detail,
      at: iso(this.outcome.at),
    };
  }

  private itemView(i: ItemRecord): ItemView {
    const resubmitBy = i.state === 'REJECTED' ? this.resubmitBy(i) : undefined;
    return {
      key: i.key,
      kind: i.kind,
      label: i.label,
      compulsory: i.compulsory,
      dueBy: i.dueBy,
      state: i.state,
      submittedAt: i.submittedAt === undefined ? undefined : iso(i.submittedAt),
      reviewedAt: i.reviewedAt === undefined ? undefined : iso(i.reviewedAt),
      submissions: i.submissions.map((s) => ({ ...s })),
      reviews: i.reviews.map((r) => ({ ...r })),
      expectedVerificationBy: i.state === 'SUBMITTED' && i.sla ? iso(i.sla.endsAt) : undefined,
      expectedVerificationDate: i.state === 'SUBMITTED' && i.sla ? i.sla.date : undefined,
      slaBreached: i.state === 'SUBMITTED' && i.sla ? i.sla.breached : undefined,
      resubmitBy: resubmitBy === undefined ? undefined : iso(resubmitBy),
      ...(i.flag ? { flag: i.flag } : {}),
    };
  }

  // -------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------

  /**
   * A rejected compulsory item must be put right by its deadline, and never in
   * less than the resubmission window: a rejection after (or just before) the
   * deadline opens the window from the moment of rejection. One window per
   * item: a second rejection does not open another, so a case cannot run on
   * without end (docs/domain.md). Derived from the deadline, so an extension
   * moves it too. Non-compulsory items may follow later: no window.
   */
  private resubmitBy(item: ItemRecord): number | undefined {
    if (!item.compulsory || item.rejectedAt === undefined || !item.dueBy) return undefined;
    const deadline = this.deadlines[item.dueBy] ?? this.deadlines.REGISTRATION!;
    return Math.max(deadline.at, item.windowFrom === undefined ? -Infinity : item.windowFrom + this.windowMs());
  }

  private windowMs(): number {
    return msToNumber(this.input.policy.resubmissionWindow);
  }

  private deadlineEntries(): [DeadlineKind, Deadline][] {
    return (['REGISTRATION', 'PAYMENT'] as const).flatMap((k) => (this.deadlines[k] ? [[k, this.deadlines[k]!] as [DeadlineKind, Deadline]] : []));
  }

  private reminderOffsets(): number[] {
    return this.input.policy.reminderOffsets.map((o) => msToNumber(o));
  }

  /**
   * "Submitted on time is what counts": after its deadline a compulsory item can
   * only be handed in again if it was rejected, and only inside its resubmission
   * window. A pending item is late, and a submitted one awaiting review may not be
   * replaced (that would swap the evidence judged on time). Staff still act on it.
   */
  private checkNotLate(item: ItemRecord, now: number): void {
    if (!item.compulsory || !item.dueBy) return;
    const deadline = this.deadlines[item.dueBy] ?? this.deadlines.REGISTRATION!;
    const by = item.state === 'REJECTED' ? this.resubmitBy(item)! : deadline.at;
    if (now < by) return;
    if (item.state === 'SUBMITTED') throw this.invalidTransition(`${item.key} was submitted on time and awaits review: it cannot be replaced after the deadline ${iso(by)}`);
    throw this.invalidTransition(`${item.key} was due by ${iso(by)}`);
  }

  private checkOpen(): void {
    if (this.isClosed) throw this.invalidTransition(`the registration is already ${this.status}`);
  }

  private item(key: ItemKey): ItemRecord {
    return this.items.find((i) => i.key === key)!;
  }

  private knownItem(key: ItemKey): ItemRecord {
    const item = this.items.find((i) => i.key === key);
    if (!item) throw registrationFailure(RegistrationFailure.UnknownItem, `this registration has no item ${key}`);
    return item;
  }

  private invalidTransition(message: string) {
    return registrationFailure(RegistrationFailure.InvalidTransition, message);
  }

  /** A staff decision settles the item's review and stops its verification clock. */
  private decide(item: ItemRecord, decision: ReviewView['decision'], actor: string, now: number, extra: Partial<ReviewView>): void {
    item.state = decision;
    item.reviewedAt = now;
    item.sla = undefined;
    item.flag = undefined;
    item.reviews.push(this.review(decision, actor, now, extra));
  }

  private review(decision: ReviewView['decision'], actor: string, now: number, extra: Partial<ReviewView> = {}): ReviewView {
    // The review takes the sequence number of the event that records it (record() is called right after).
    return { decision, actor, at: iso(now), seq: this.seq + 1, ...stripUndefined(extra) };
  }

  private record(type: string, actor: string, now: number, data: Record<string, unknown>): void {
    this.seq += 1;
    this.unprojected.push({ seq: this.seq, type, actor, at: iso(now), data: stripUndefined(data) });
  }
}

const ref = (i: ItemDefinition): EmailItemRef => ({ key: i.key, label: i.label });

/** Drops the oldest entries beyond `kept`; returns how many were dropped. */
function dropOldest(list: unknown[], kept: number): number {
  const excess = Math.max(0, list.length - kept);
  list.splice(0, excess);
  return excess;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Why a payment does not settle the cohort's fee, or undefined when it does (or the cohort sets no fee). */
export function feeMismatch(fee: TuitionFee | undefined, paid: Pick<PaymentConfirmedInput, 'amount' | 'currency'>): string | undefined {
  if (!fee) return undefined;
  const expected = `${fee.amount} ${fee.currency}`;
  if (paid.amount === undefined || !paid.currency) return `the payment did not state its amount and currency; the fee is ${expected}`;
  if (paid.currency.toUpperCase() !== fee.currency.toUpperCase() || Math.abs(paid.amount - fee.amount) > 0.005) {
    return `paid ${paid.amount} ${paid.currency}, the fee is ${expected}`;
  }
  return undefined;
}

/** The form with a staff correction applied (the emergency contact merged field by field). */
function correctedForm(form: RegistrationForm, input: CorrectFormInput): RegistrationForm {
  const { emergencyContact, ...rest } = input.changes ?? {};
  const fields = Object.fromEntries(Object.entries(rest).filter(([k, v]) => v !== undefined && k !== 'picsConsent'));
  return { ...form, ...fields, emergencyContact: { ...form.emergencyContact, ...stripUndefined(emergencyContact ?? {}) } };
}

/** The fields that differ, as flat before/after maps (`emergencyContact.phone`), for the audit trail. */
function formChanges(before: RegistrationForm, after: RegistrationForm): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const flat = (f: RegistrationForm): Record<string, unknown> => {
    const { emergencyContact, ...rest } = f;
    return { ...rest, ...Object.fromEntries(Object.entries(emergencyContact ?? {}).map(([k, v]) => [`emergencyContact.${k}`, v])) };
  };
  const b = flat(before);
  const a = flat(after);
  const changed = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => b[k] !== a[k]);
  return { before: Object.fromEntries(changed.map((k) => [k, b[k] ?? null])), after: Object.fromEntries(changed.map((k) => [k, a[k] ?? null])) };
}

function formProblems(form: RegistrationForm | undefined): string[] {
  if (!form) return ['form is missing'];
  const problems: string[] = [];
  for (const f of REQUIRED_FORM_FIELDS) if (typeof form[f] !== 'string' || !form[f].trim()) problems.push(`${f} is required`);
  const ec = form.emergencyContact;
  if (!ec || !ec.name?.trim() || !ec.relationship?.trim() || !ec.phone?.trim()) problems.push('an emergency contact (name, relationship, phone) is required');
  if (form.picsConsent !== true) problems.push('consent to the personal information collection statement is required');
  const { correspondenceAddress, ...singleLine } = form;
  problems.push(...unkeepableText(singleLine), ...unkeepableText({ correspondenceAddress }, { multiline: true }));
  return problems;
}

/** Text the read model could never store (or control characters nobody means): the same rule as the gateway's. */
function unkeepableText(value: object, rule: TextRule = {}): string[] {
  return textProblemsIn(value, rule).map((p) => `${p.path} ${p.problem}`);
}

function checkKeepableText(fields: Record<string, string | undefined>, rule: TextRule = {}): void {
  const problems = unkeepableText(fields, rule);
  if (problems.length) throw registrationFailure(RegistrationFailure.InvalidInput, `not valid text: ${problems.join('; ')}`, { problems });
}
