/**
 * The one table of the messages the registration workflow handles, each with
 * the rule that applies it to the record (records.ts). The workflow installs
 * one handler per entry (workflow.ts) and the state machine's tests call the
 * same rules, so a new message is its definition (api.ts), its input type
 * (types.ts), its rule in one of the *-actions.ts modules, and one entry here
 * (address-actions.ts: a personal email that bounced, and its correction).
 */
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import {
  accessRevokedSignal,
  accountActivatedSignal,
  correctFormUpdate,
  correctPersonalEmailUpdate,
  declineOfferUpdate,
  emailUndeliverableSignal,
  extendDeadlineUpdate,
  paymentConfirmedSignal,
  reclassifyUpdate,
  registerDocumentUpdate,
  rejectItemUpdate,
  removePageUpdate,
  sendForReviewUpdate,
  signInLinkRequestedSignal,
  submitFormUpdate,
  verifyItemUpdate,
  waiveItemUpdate,
} from './api';
import * as address from './address-actions';
import * as pages from './document-pages';
import * as events from './event-actions';
import * as reclassification from './reclassification';
import type { RegistrationRecord } from './records';
import * as review from './review-actions';
import * as staff from './staff-actions';
import * as student from './student-actions';

/** An event from another system (a signal): applied if new; answers whether anything changed (a duplicate changes nothing). */
export interface SignalAction<I> {
  readonly message: SignalDefinition<[I]>;
  readonly apply: (r: RegistrationRecord, input: I, now: number) => boolean;
  /**
   * A signal added after release: acted on only under this patch (`patched()`), because a history recorded
   * before its handler existed may hold the signal unhandled, and replaying it must not act on it now.
   */
  readonly patch?: string;
}

/** An action whose caller waits for the answer (an update). */
export interface UpdateAction<I, R> {
  readonly message: UpdateDefinition<R, [I]>;
  /** The update's validator: refuses before anything is recorded. `apply` checks again (the state may have moved since). */
  readonly validate: (r: RegistrationRecord, input: I, now: number) => void;
  readonly apply: (r: RegistrationRecord, input: I, now: number) => R;
  /** Starts a verification clock, which counts working days: Hong Kong's holidays must be known up to now first. */
  readonly needsCalendar?: boolean;
  /** Changes the student's facts the search attributes carry (program, study level, category): upserted after it. */
  readonly movesStudent?: boolean;
}

/**
 * A table entry, whatever its input and answer types: it hands its action to `use`, which must work for any (the
 * workflow's handler installers do). Built by `signal()` or `update()`, which check the message's input and
 * answer against the rule's, so the table holds entries of different types without a cast.
 */
type SignalEntry = <T>(use: <I>(action: SignalAction<I>) => T) => T;
type UpdateEntry = <T>(use: <I, R>(action: UpdateAction<I, R>) => T) => T;

const signal =
  <I>(action: SignalAction<I>): SignalEntry =>
  (use) =>
    use(action);
const update =
  <I, R>(action: UpdateAction<I, R>): UpdateEntry =>
  (use) =>
    use(action);

/** The events from other systems (event-actions.ts). */
export const SIGNALS: readonly SignalEntry[] = [
  signal({ message: accountActivatedSignal, apply: events.activateAccount }),
  signal({ message: paymentConfirmedSignal, apply: events.confirmPayment }),
  signal({ message: signInLinkRequestedSignal, apply: events.requestSignInLink }),
  signal({ message: accessRevokedSignal, apply: events.recordAccessRevoked }),
  signal({ message: emailUndeliverableSignal, apply: address.recordEmailUndeliverable, patch: 'email-undeliverable-flag' }),
];

/**
 * The actions: the student's (student-actions.ts, document-pages.ts), staff review (review-actions.ts), the registry's changes
 * (staff-actions.ts, reclassification.ts).
 */
export const UPDATES: readonly UpdateEntry[] = [
  update({ message: submitFormUpdate, validate: student.checkSubmitForm, apply: student.submitForm }),
  update({ message: registerDocumentUpdate, validate: student.checkRegisterDocument, apply: student.registerDocument, needsCalendar: true }),
  update({ message: removePageUpdate, validate: pages.checkRemovePage, apply: pages.removePage }),
  update({ message: sendForReviewUpdate, validate: pages.checkSendForReview, apply: pages.sendForReview, needsCalendar: true }),
  update({ message: verifyItemUpdate, validate: review.checkVerifyItem, apply: review.verifyItem }),
  update({ message: rejectItemUpdate, validate: review.checkRejectItem, apply: review.rejectItem }),
  update({ message: waiveItemUpdate, validate: review.checkWaiveItem, apply: review.waiveItem }),
  update({ message: extendDeadlineUpdate, validate: staff.checkExtendDeadline, apply: staff.extendDeadline }),
  update({ message: correctFormUpdate, validate: staff.checkCorrectForm, apply: staff.correctForm }),
  update({ message: reclassifyUpdate, validate: reclassification.checkReclassify, apply: reclassification.reclassify, movesStudent: true }),
  update({ message: correctPersonalEmailUpdate, validate: address.checkCorrectPersonalEmail, apply: address.correctPersonalEmail }),
  update({ message: declineOfferUpdate, validate: student.checkDeclineOffer, apply: student.declineOffer }),
];
