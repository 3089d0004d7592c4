/**
 * One student's registration as a state machine: the checklist, deadlines,
 * outcome and the emails it has decided to send. Every method takes the
 * current time and is deterministic, so the whole process can be unit-tested
 * without Temporal; the workflow only feeds it messages and timer wake-ups and
 * carries out its side effects (search attributes, projection, emails).
 *
 * The state is one plain record (records.ts, `RegistrationRecord`), carried
 * across continue-as-new as it is. This class is its facade: each method hands
 * the record to the module that holds the rule (the actions, the time, the
 * emails, the views), so that what can change the record is this class's
 * methods and nothing else. Every change goes through `recordEvent()`
 * (state-core.ts), which stamps it with the next sequence number.
 */
import { registrationWorkflowId } from './api';
import { buildChecklist } from './checklist';
import * as emailDecisions from './email-decisions';
import type { EmailRequest, EmailSent } from './emails';
import * as events from './event-actions';
import { result } from './outcome';
import type { Deadline, DeadlineKind, RegistrationRecord } from './records';
import * as review from './review-actions';
import * as staff from './staff-actions';
import { SYSTEM, isClosed, recordEvent } from './state-core';
import * as student from './student-actions';
import * as time from './time-actions';
import { changeableUntil, policyNumbers } from './time-rules';
import type {
  AccessRevokedInput,
  AccountActivatedInput,
  CarriedRegistration,
  CorrectFormInput,
  DeclineOfferInput,
  ExtendDeadlineInput,
  ItemKey,
  ItemView,
  PaymentConfirmedInput,
  PolicyNumbers,
  RegisterDocumentInput,
  RegistrationInput,
  RegistrationResult,
  RegistrationStatus,
  RegistrationStatusView,
  RejectItemInput,
  SignInLinkRequestedInput,
  SubmitFormInput,
  VerifyItemInput,
  WaiveItemInput,
} from './types';
import { boundedView, cardReady, outstanding, statusView, takeSnapshot, type ProjectionSnapshot } from './views';
import type { HkDate } from './working-days';

/** The read model's input types live in views.ts; the projection activity and its tests import them from here too. */
export { cameInAt, type AuditEventRecord, type ProjectedItem, type ProjectedView, type ProjectionSnapshot } from './views';

export class RegistrationState {
  private readonly r: RegistrationRecord;

  constructor(input: RegistrationInput, startedAt: number) {
    const { student, policy } = input;
    const items = buildChecklist(student, policy).map((d) => ({ ...d, state: 'PENDING' as const, submissions: [], reviews: [] }));
    const deadlines: Partial<Record<DeadlineKind, Deadline>> = {
      REGISTRATION: { at: Date.parse(policy.registrationDeadline), setAt: startedAt, passed: false, reminded: [] },
    };
    if (items.some((i) => i.dueBy === 'PAYMENT') && policy.paymentDeadline) {
      deadlines.PAYMENT = { at: Date.parse(policy.paymentDeadline), setAt: startedAt, passed: false, reminded: [] };
    }
    // Written out in the record's field order (records.ts), which is the carried JSON's order.
    this.r = {
      input,
      workflowId: registrationWorkflowId(student.applicationNo),
      holidays: new Set(),
      status: 'IN_PROGRESS',
      outcome: undefined,
      seq: 0,
      universityEmail: undefined,
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
    };
    recordEvent(this.r, 'REGISTRATION_STARTED', SYSTEM, startedAt, { student, policy });
  }

  get input(): RegistrationInput {
    return this.r.input;
  }
  get workflowId(): string {
    return this.r.workflowId;
  }
  get status(): RegistrationStatus {
    return this.r.status;
  }
  get outcome(): RegistrationRecord['outcome'] {
    return this.r.outcome;
  }
  get seq(): number {
    return this.r.seq;
  }
  get universityEmail(): string | undefined {
    return this.r.universityEmail;
  }
  get form(): RegistrationRecord['form'] {
    return this.r.form;
  }
  get isClosed(): boolean {
    return isClosed(this.r);
  }

  /** Hong Kong public holidays (from an activity), for the verification service level. */
  setHolidays(dates: readonly HkDate[]): void {
    this.r.holidays = new Set(dates);
  }

  /** The invitation, the student's first email. */
  invite(): void {
    emailDecisions.queueEmail(this.r, { kind: 'INVITATION' }, [this.r.input.student.personalEmail]);
  }

  // Events from other systems (signals, event-actions.ts): each answers whether anything changed.
  activateAccount(input: AccountActivatedInput, now: number): boolean {
    return events.activateAccount(this.r, input, now);
  }
  confirmPayment(input: PaymentConfirmedInput, now: number): boolean {
    return events.confirmPayment(this.r, input, now);
  }
  requestSignInLink(input: SignInLinkRequestedInput, now: number): boolean {
    return events.requestSignInLink(this.r, input, now);
  }
  recordAccessRevoked(input: AccessRevokedInput, now: number): boolean {
    return events.recordAccessRevoked(this.r, input, now);
  }

  // Actions (updates): each has a check, used by the validator and again by the handler.
  // The student's (student-actions.ts).
  checkSubmitForm(input: SubmitFormInput, now: number): void {
    student.checkSubmitForm(this.r, input, now);
  }
  submitForm(input: SubmitFormInput, now: number): ItemView {
    return student.submitForm(this.r, input, now);
  }
  checkRegisterDocument(input: RegisterDocumentInput, now: number): void {
    student.checkRegisterDocument(this.r, input, now);
  }
  registerDocument(input: RegisterDocumentInput, now: number): ItemView {
    return student.registerDocument(this.r, input, now);
  }
  checkDeclineOffer(input: DeclineOfferInput, now: number): void {
    student.checkDeclineOffer(this.r, input, now);
  }
  declineOffer(input: DeclineOfferInput, now: number): RegistrationStatusView {
    return student.declineOffer(this.r, input, now);
  }

  // Staff review (review-actions.ts).
  checkVerifyItem(input: VerifyItemInput, now: number): void {
    review.checkVerifyItem(this.r, input, now);
  }
  verifyItem(input: VerifyItemInput, now: number): ItemView {
    return review.verifyItem(this.r, input, now);
  }
  checkRejectItem(input: RejectItemInput, now: number): void {
    review.checkRejectItem(this.r, input, now);
  }
  rejectItem(input: RejectItemInput, now: number): ItemView {
    return review.rejectItem(this.r, input, now);
  }
  checkWaiveItem(input: WaiveItemInput, now: number): void {
    review.checkWaiveItem(this.r, input, now);
  }
  waiveItem(input: WaiveItemInput, now: number): ItemView {
    return review.waiveItem(this.r, input, now);
  }

  // The registry's changes (staff-actions.ts).
  checkExtendDeadline(input: ExtendDeadlineInput, now: number): void {
    staff.checkExtendDeadline(this.r, input, now);
  }
  extendDeadline(input: ExtendDeadlineInput, now: number): RegistrationStatusView {
    return staff.extendDeadline(this.r, input, now);
  }
  checkCorrectForm(input: CorrectFormInput, now: number): void {
    staff.checkCorrectForm(this.r, input, now);
  }
  correctForm(input: CorrectFormInput, now: number): RegistrationStatusView {
    return staff.correctForm(this.r, input, now);
  }

  // Time (time-actions.ts).
  /** Everything time makes happen, in the order a registry officer would apply it. */
  advance(now: number): void {
    time.advance(this.r, now);
  }
  /** The next instant at which `advance` has something to do, and what; undefined when only a message can change anything. */
  nextWakeUp(now: number): { at: number; what: string } | undefined {
    return time.nextWakeUp(this.r, now);
  }

  // Emails: decided by the actions, sent by the workflow, recorded back here (email-decisions.ts).
  /** The next email to send, rendered now; the same one again until `emailSent` or `emailFailed` settles it. */
  handOverEmail(): EmailRequest | undefined {
    return emailDecisions.handOverEmail(this.r);
  }
  /** Every queued email, rendered now and taken off the queue (the tests' and tools' view of what was decided). */
  takeEmails(): EmailRequest[] {
    return emailDecisions.takeEmails(this.r);
  }
  /** Some email decided is not yet confirmed (sent or refused for good). */
  get hasEmailsToSend(): boolean {
    return this.r.emailQueue.length > 0;
  }
  emailSent(request: EmailRequest, sent: EmailSent, now: number): void {
    emailDecisions.emailSent(this.r, request, sent, now);
  }
  emailFailed(request: EmailRequest, error: string, now: number): void {
    emailDecisions.emailFailed(this.r, request, error, now);
  }

  // Views (views.ts).
  view(): RegistrationStatusView {
    return statusView(this.r);
  }
  /** The status an update answers with, bounded because it goes into history. */
  boundedView(): RegistrationStatusView {
    return boundedView(this.r);
  }
  outstandingItems(): ItemKey[] {
    return outstanding(this.r);
  }
  cardReady(): boolean {
    return cardReady(this.r);
  }
  registrationDeadline(): Date {
    return new Date(this.r.deadlines.REGISTRATION!.at);
  }
  /** The cohort's policy numbers, as every page and email states them (time-rules.ts). */
  policyNumbers(): PolicyNumbers {
    return policyNumbers(this.r.input.policy);
  }
  /** The last moment a student action can still count (time-rules.ts). */
  changeableUntil(): number {
    return changeableUntil(this.r.deadlines, this.r.input.policy);
  }
  /** The projection's input: the bounded state as of now, with what was recorded since the previous snapshot. */
  takeSnapshot(): ProjectionSnapshot {
    return takeSnapshot(this.r);
  }
  get hasUnprojected(): boolean {
    return this.r.unprojected.length > 0;
  }
  result(): RegistrationResult {
    return result(this.r);
  }

  // Continue-as-new: the whole record, carried as plain JSON.
  /**
   * Everything the next run needs, taken generically from the record's fields so that a field added later is
   * carried without anyone remembering to. Not carried: the input (the next run gets it anyway), the workflow id
   * (it follows from the input) and the holidays (the next run fetches them again).
   */
  carry(): CarriedRegistration {
    const { input: _input, workflowId: _id, holidays: _holidays, ...fields } = this.r;
    return JSON.parse(JSON.stringify(fields)) as CarriedRegistration;
  }

  /** The state a previous run carried, for the same input. */
  static resume(input: RegistrationInput, carried: CarriedRegistration, now: number): RegistrationState {
    const state = new RegistrationState(input, now);
    Object.assign(state.r, JSON.parse(JSON.stringify(carried)) as object);
    return state;
  }
}
