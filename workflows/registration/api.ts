/**
 * The contract of the registration workflow: its id, type name, messages and
 * failure types. The gateway, the worker, the client helpers and the tests all
 * import these; nothing else spells them. Workflow-safe (no I/O, no Node APIs).
 */
import { ApplicationFailure, defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AccessRevokedInput,
  AccountActivatedInput,
  CorrectFormInput,
  CorrectPersonalEmailInput,
  EmailUndeliverableInput,
  DeclineOfferInput,
  ExtendDeadlineInput,
  ItemKey,
  ItemUpdateResult,
  PaymentConfirmedInput,
  ReclassifyInput,
  RegisterDocumentInput,
  RegistrationStatusView,
  RejectItemInput,
  RemovePageInput,
  SendForReviewInput,
  SignInLinkRequestedInput,
  SubmitFormInput,
  VerifyItemInput,
  WaiveItemInput,
} from './types';
import { SUPPLEMENTARY_PREFIX } from './vocabulary';

export * from './types';

// ---------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------

/** The workflow function's name, i.e. its Temporal workflow type. */
export const REGISTRATION_WORKFLOW_TYPE = 'registrationWorkflow';

const WORKFLOW_ID_PREFIX = 'registration-';

/** One workflow per student: the id is derived from the application number. */
export const registrationWorkflowId = (applicationNo: string): string => `${WORKFLOW_ID_PREFIX}${applicationNo}`;

export const supplementaryItemKey = (code: string): ItemKey => `${SUPPLEMENTARY_PREFIX}${code}`;

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------
// Signals carry events from other systems, which only need the event recorded.
// Updates carry actions whose caller waits for an answer (and for a refusal,
// from the validator, before anything is written to history).

/** The identity provider activated the student's university account. */
export const accountActivatedSignal = defineSignal<[AccountActivatedInput]>('accountActivated');
/** The payment webhook confirmed the tuition fee; settles the tuition item. */
export const paymentConfirmedSignal = defineSignal<[PaymentConfirmedInput]>('paymentConfirmed');

/** Someone asked for a fresh sign-in link (POST /api/session/link); the workflow emails it to the personal email on record. */
export const signInLinkRequestedSignal = defineSignal<[SignInLinkRequestedInput]>('signInLinkRequested');
/**
 * Staff revoked the student's links and sessions (POST /api/registrations/:no/revoke-access): recorded in the
 * audit trail with the staff actor, and a fresh link goes to the student's personal email, never to staff.
 */
export const accessRevokedSignal = defineSignal<[AccessRevokedInput]>('accessRevoked');

/**
 * The email provider reported that an email bounced for good or was marked as spam (POST /api/webhooks/email).
 * When the personal email on record was among its recipients, the registration is flagged and the registry told.
 */
export const emailUndeliverableSignal = defineSignal<[EmailUndeliverableInput]>('emailUndeliverable');

/** Student submits the registration form (once; later changes go through staff). */
export const submitFormUpdate = defineUpdate<ItemUpdateResult, [SubmitFormInput]>('submitForm');
/**
 * Student (or staff on their behalf) registers an uploaded file for an item: as a page of the next submission,
 * kept open (`keepDraft`), or sent for review at once with any pages added before. A retry (same documentId)
 * or the current bytes again add nothing.
 */
export const registerDocumentUpdate = defineUpdate<ItemUpdateResult, [RegisterDocumentInput]>('registerDocument');
/** Student (or staff) takes a page out of an item's submission before it is sent for review. */
export const removePageUpdate = defineUpdate<ItemUpdateResult, [RemovePageInput]>('removePage');
/** Student (or staff) sends the pages added to an item for review; they stay as they are until the registry decides. */
export const sendForReviewUpdate = defineUpdate<ItemUpdateResult, [SendForReviewInput]>('sendForReview');
/** Staff accept a submitted item. */
export const verifyItemUpdate = defineUpdate<ItemUpdateResult, [VerifyItemInput]>('verifyItem');
/** Staff reject a submitted item with a reason code and a note the student sees. */
export const rejectItemUpdate = defineUpdate<ItemUpdateResult, [RejectItemInput]>('rejectItem');
/** Staff waive an item (who and why are recorded). */
export const waiveItemUpdate = defineUpdate<ItemUpdateResult, [WaiveItemInput]>('waiveItem');
/** Staff move the registration or payment deadline later, before it passes; every timer follows. */
export const extendDeadlineUpdate = defineUpdate<RegistrationStatusView, [ExtendDeadlineInput]>('extendDeadline');
/** Staff correct fields of the submitted form, with a reason; the audit trail keeps before and after. */
export const correctFormUpdate = defineUpdate<RegistrationStatusView, [CorrectFormInput]>('correctForm');
/** Staff change the student's residency, admission route, study level or program, with a reason; the checklist is recomputed. */
export const reclassifyUpdate = defineUpdate<RegistrationStatusView, [ReclassifyInput]>('reclassify');
/** Staff replace the personal email, with a reason; a fresh invitation goes to the new address. */
export const correctPersonalEmailUpdate = defineUpdate<RegistrationStatusView, [CorrectPersonalEmailInput]>('correctPersonalEmail');
/** Student declines the offer: the registration is withdrawn. */
export const declineOfferUpdate = defineUpdate<RegistrationStatusView, [DeclineOfferInput]>('declineOffer');

/** The full status: items with their history, deadlines, expected verification dates, card readiness, emails. */
export const getStatusQuery = defineQuery<RegistrationStatusView>('getStatus');

// ---------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------

/**
 * Why an update was refused. Thrown from validators as an ApplicationFailure
 * whose `type` is one of these; the gateway maps them to HTTP status:
 * InvalidTransition → 409, InvalidInput → 422, UnknownItem → 404,
 * SubmissionLimitReached → 409 SUBMISSION_LIMIT_REACHED, PageLimitReached → 409 PAGE_LIMIT_REACHED,
 * PageNotFound → 404 PAGE_NOT_FOUND, PagesChanged → 409 PAGES_CHANGED.
 */
export enum RegistrationFailure {
  /** The current state does not allow it (verify an item never submitted, submit the form twice, act after an outcome). */
  InvalidTransition = 'InvalidTransition',
  /** The message itself is malformed (missing consent, photo outside the spec, unknown reason code...). */
  InvalidInput = 'InvalidInput',
  /** This student's checklist has no such item. */
  UnknownItem = 'UnknownItem',
  /** The item already holds MAX_SUBMISSIONS_PER_ITEM uploads (keeps a registration's history bounded). */
  SubmissionLimitReached = 'SubmissionLimitReached',
  /** The item's next submission already holds the pages one submission takes (policy.ts, `pageLimit`). */
  PageLimitReached = 'PageLimitReached',
  /** The item's next submission has no page with that number. */
  PageNotFound = 'PageNotFound',
  /** The pages to send are not the ones the sender was shown (one was added or taken out since). */
  PagesChanged = 'PagesChanged',
}

/**
 * Submissions one item takes, all versions counted (each may hold several pages, policy.ts). Ten is far more than a real
 * student needs (a rejection and a resubmission or two), and it bounds what a
 * registration keeps: without it, every re-upload while SUBMITTED grew the
 * history until the server terminated the workflow.
 */
export const MAX_SUBMISSIONS_PER_ITEM = 10;

export const registrationFailure = (type: RegistrationFailure, message: string, details?: unknown): ApplicationFailure =>
  ApplicationFailure.create({ type, message, nonRetryable: true, details: details === undefined ? [] : [details] });

export { defaultCohortPolicy } from './policy';
