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
import { checkKeepableText, correctedForm, feeMismatch, formChanges, formProblems, unkeepableText } from './input-rules';
import { dropOldest, iso, stripUndefined } from './plain';
import { coalesceInto, settle, type QueuedEmail } from './email-queue';
import { emailIdempotencyKey, lateEventFacts, type EmailContext, type EmailItemRef, type EmailMessage, type EmailRequest, type EmailSent } from './emails';
import type {
  AccountActivatedInput,
  CarriedRegistration,
  CorrectFormInput,
  DeadlineChange,
  DeclineOfferInput,
  EmailKind,
  EmailRecord,
  ExtendDeadlineInput,
  ItemKey,
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
  VerifyItemInput,
  WaiveItemInput,
} from './types';
import { REJECTION_REASONS } from './types';
import type { Deadline, DeadlineKind, ItemRecord, Outcome } from './records';
import {
  deadlineEntries,
  changeableUntil,
  deadlineOf,
  dueReminders,
  lapsedWindows,
  nextWakeUp,
  opensWindow,
  overdueVerifications,
  policyNumbers,
  reminderMark,
  reminderOffsets,
  resubmitBy,
  windowMs,
} from './time-rules';
import { boundedStatus, itemView, projectedItem, type AuditEventRecord, type ProjectionSnapshot } from './views';
import { addWorkingDays, type HkDate } from './working-days';

/** The read model's input types live in views.ts; the projection activity and its tests import them from here too. */
export { cameInAt, type AuditEventRecord, type ProjectedItem, type ProjectedView, type ProjectionSnapshot } from './views';

const SYSTEM = 'system:workflow';
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
  /** Emails decided and not yet confirmed, oldest first; carried small (email-queue.ts). */
  private readonly emailQueue: QueuedEmail[] = [];
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
    return this.viewOf(item);
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
    if (this.registeredAlready(input)) return this.viewOf(item);
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
    return this.viewOf(item);
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

  checkVerifyItem(input: VerifyItemInput, _now: number): void {
    this.checkReviewable(input);
  }

  /** Staff decide on a submitted item (verify or reject): open, reviewed by staff, submitted, a note that can be kept. */
  private checkReviewable(input: Pick<VerifyItemInput, 'itemKey' | 'note'>): void {
    this.checkOpen();
    const item = this.knownItem(input.itemKey);
    if (!isReviewable(item.kind)) throw this.invalidTransition(`${item.key} is not reviewed by staff`);
    if (item.state !== 'SUBMITTED') throw this.invalidTransition(`${item.key} is ${item.state}: only a submitted item can be reviewed`);
    checkKeepableText({ note: input.note }, { multiline: true });
  }

  verifyItem(input: VerifyItemInput, now: number): ItemView {
    this.checkVerifyItem(input, now);
    const item = this.knownItem(input.itemKey);
    this.decide(item, 'VERIFIED', input.actor, now, { note: input.note });
    this.record('ITEM_VERIFIED', input.actor, now, { itemKey: item.key, note: input.note });
    this.settleOutcome(now);
    return this.viewOf(item);
  }

  checkRejectItem(input: RejectItemInput, _now: number): void {
    this.checkReviewable(input);
    if (!(REJECTION_REASONS as readonly string[]).includes(input.reasonCode)) {
      throw registrationFailure(RegistrationFailure.InvalidInput, `unknown reason code ${input.reasonCode}; one of ${REJECTION_REASONS.join(', ')}`);
    }
    if (!input.note?.trim()) throw registrationFailure(RegistrationFailure.InvalidInput, 'a rejection needs a note for the student');
  }

  rejectItem(input: RejectItemInput, now: number): ItemView {
    this.checkRejectItem(input, now);
    const item = this.knownItem(input.itemKey);
    this.decide(item, 'REJECTED', input.actor, now, { reasonCode: input.reasonCode, note: input.note });
    item.rejectedAt = now;
    if (opensWindow(item, this.deadlines, this.windowMs(), now)) item.windowFrom = now;
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
    return this.viewOf(item);
  }

  checkWaiveItem(input: WaiveItemInput, _now: number): void {
    this.checkOpen();
    const item = this.knownItem(input.itemKey);
    if (isSettled(item.state)) throw this.invalidTransition(`${item.key} is already ${item.state}`);
    if (!input.reason?.trim()) throw registrationFailure(RegistrationFailure.InvalidInput, 'a waiver needs a reason');
    checkKeepableText({ reason: input.reason }, { multiline: true });
  }

  waiveItem(input: WaiveItemInput, now: number): ItemView {
    this.checkWaiveItem(input, now);
    const item = this.knownItem(input.itemKey);
    this.decide(item, 'WAIVED', input.actor, now, { note: input.reason });
    this.record('ITEM_WAIVED', input.actor, now, { itemKey: item.key, reason: input.reason });
    this.settleOutcome(now);
    return this.viewOf(item);
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

  checkDeclineOffer(input: DeclineOfferInput, _now: number): void {
    this.checkOpen();
    checkKeepableText({ reason: input.reason }, { multiline: true });
  }

  declineOffer(input: DeclineOfferInput, now: number): RegistrationStatusView {
    this.checkDeclineOffer(input, now);
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
    return this.isClosed ? undefined : nextWakeUp(this.deadlines, this.items, this.input.policy, now);
  }

  private remindBeforeDeadlines(now: number): void {
    if (this.status !== 'IN_PROGRESS') return;
    for (const [kind, d] of deadlineEntries(this.deadlines)) {
      // Of the reminders due (and not yet sent for this date), send one: after a pause, the latest says it all.
      const due = dueReminders(d, this.reminderOffsets(), now);
      if (!due.length) continue;
      for (const o of due) d.reminded.push(reminderMark(d, o));
      const missing = missingCompulsory(this.items, kind);
      if (!missing.length) continue;
      this.record('REMINDER_DUE', SYSTEM, now, { deadline: kind, at: iso(d.at), missing: missing.map((i) => i.key) });
      this.queueEmail({ kind: 'REMINDER', deadline: kind, at: iso(d.at), missing: missing.map(ref) }, this.studentAddresses());
    }
  }

  private enforceDeadlines(now: number): void {
    for (const [kind, d] of deadlineEntries(this.deadlines)) {
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
    const lapsed = lapsedWindows(this.items, this.deadlines, this.windowMs(), now);
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
    for (const item of overdueVerifications(this.items, now)) {
      const sla = item.sla!;
      sla.breached = true;
      this.record('VERIFICATION_OVERDUE', SYSTEM, now, { itemKey: item.key, expectedBy: sla.date, submittedAt: iso(item.submittedAt!) });
      this.queueEmail(
        { kind: 'SLA_ALERT', item: ref(item), submittedAt: iso(item.submittedAt!), expectedBy: sla.date, workflowId: this.workflowId },
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

  /**
   * The next email to send, rendered now (the context is today's), marked as handed over; undefined when none is
   * queued. The same one again until `emailSent` or `emailFailed` settles it: the workflow sends one at a time.
   */
  handOverEmail(): EmailRequest | undefined {
    const next = this.emailQueue[0];
    if (!next) return undefined;
    next.handedOver = true;
    return this.emailRequest(next);
  }

  /** Every queued email, rendered now and taken off the queue (the tests' and tools' view of what was decided). */
  takeEmails(): EmailRequest[] {
    return this.emailQueue.splice(0).map((e) => this.emailRequest(e));
  }

  /** Some email decided is not yet confirmed (sent or refused for good). */
  get hasEmailsToSend(): boolean {
    return this.emailQueue.length > 0;
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
    settle(this.emailQueue, request.idempotencyKey);
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
    settle(this.emailQueue, request.idempotencyKey);
    this.keepEmailRecord(record);
    this.record('EMAIL_FAILED', SYSTEM, now, { ...record });
  }

  private keepEmailRecord(record: EmailRecord): void {
    this.emails.push(record);
    this.emailsOmitted += dropOldest(this.emails, EMAIL_RECORDS_KEPT);
  }

  /** Decides an email: the next key of its kind, unless it folds into one still waiting (email-queue.ts). */
  private queueEmail(message: EmailMessage, to: string[]): void {
    if (coalesceInto(this.emailQueue, message, to)) return;
    const n = (this.emailCount[message.kind] ?? 0) + 1;
    this.emailCount[message.kind] = n;
    this.emailQueue.push({ idempotencyKey: emailIdempotencyKey(this.workflowId, message.kind, n), to, message });
  }

  private emailRequest(e: QueuedEmail): EmailRequest {
    return {
      idempotencyKey: e.idempotencyKey,
      workflowId: this.workflowId,
      registrationNo: this.input.student.applicationNo,
      to: [...e.to],
      context: this.emailContext(),
      message: e.message,
    };
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

  /** The cohort's policy numbers, as every page and email states them (time-rules.ts). */
  policyNumbers(): PolicyNumbers {
    return policyNumbers(this.input.policy);
  }

  /** The last moment a student action can still count (time-rules.ts). */
  changeableUntil(): number {
    return changeableUntil(this.deadlines, this.input.policy);
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
      items: this.items.map((i) => this.viewOf(i)),
      outstandingItems: this.outstandingItems(),
      cardReady: this.cardReady(),
      emails: this.emails.map((e) => ({ ...e, to: [...e.to] })),
      emailsOmitted: this.emailsOmitted,
      seq: this.seq,
    };
  }

  /** The status an update answers with, bounded because it goes into history (views.ts). */
  boundedView(): RegistrationStatusView {
    return boundedStatus(this.view());
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
        items: items.map(projectedItem),
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

  private viewOf(i: ItemRecord): ItemView {
    return itemView(i, this.resubmitBy(i));
  }

  // -------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------

  /** When a rejected item's resubmission window closes (time-rules.ts). */
  private resubmitBy(item: ItemRecord): number | undefined {
    return resubmitBy(item, this.deadlines, this.windowMs());
  }

  private windowMs(): number {
    return windowMs(this.input.policy);
  }

  private reminderOffsets(): number[] {
    return reminderOffsets(this.input.policy);
  }

  /**
   * "Submitted on time is what counts": after its deadline a compulsory item can
   * only be handed in again if it was rejected, and only inside its resubmission
   * window. A pending item is late, and a submitted one awaiting review may not be
   * replaced (that would swap the evidence judged on time). Staff still act on it.
   */
  private checkNotLate(item: ItemRecord, now: number): void {
    if (!item.compulsory || !item.dueBy) return;
    const by = item.state === 'REJECTED' ? this.resubmitBy(item)! : deadlineOf(item, this.deadlines)!.at;
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
