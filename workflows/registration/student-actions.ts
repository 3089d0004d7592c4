/**
 * The student's actions (updates) on the registration record: the form, a
 * document (its pages: document-pages.ts), declining the offer. Each has a check, used by the update's
 * validator and again by its handler (the state may have moved in between).
 */
import { RegistrationFailure, registrationFailure } from './api';
import { addToDraft, checkDraftOpen, checkPageCap, checkSubmissionCap, keepsPages, lastVersion, sendDraft, startReview } from './document-pages';
import { isFileItem, photoSpecViolations } from './checklist';
import { isSettled } from './vocabulary';
import { checkKeepableText, formProblems, unkeepableText } from './input-rules';
import { conclude, settleOutcome } from './outcome';
import { iso } from './plain';
import type { RegistrationRecord } from './records';
import { follows } from './rule-changes';
import { checkNotLate, checkOpen, invalidTransition, itemOf, knownItem, recordEvent, review } from './state-core';
import type { DeclineOfferInput, ItemView, RegisterDocumentInput, RegistrationStatusView, SubmissionView, SubmitFormInput } from './types';
import { boundedView, viewOf } from './views';

export function checkSubmitForm(r: RegistrationRecord, input: SubmitFormInput, now: number): void {
  checkOpen(r);
  const item = itemOf(r, 'FORM');
  if (item.state !== 'PENDING')
    throw invalidTransition(`the registration form is ${item.state}: it can be submitted once only; later changes go through the registry`);
  checkNotLate(r, item, now);
  const problems = formProblems(input.form);
  if (problems.length) throw registrationFailure(RegistrationFailure.InvalidInput, `the form is not valid: ${problems.join('; ')}`, { problems });
}

export function submitForm(r: RegistrationRecord, input: SubmitFormInput, now: number): ItemView {
  checkSubmitForm(r, input, now);
  const item = itemOf(r, 'FORM');
  r.form = input.form;
  item.state = 'VERIFIED';
  item.submittedAt = item.reviewedAt = now;
  item.reviews.push(review(r, 'VERIFIED', input.actor, now, { note: 'validly submitted' }));
  recordEvent(r, 'FORM_SUBMITTED', input.actor, now, { form: input.form });
  settleOutcome(r, now);
  return viewOf(r, item);
}

export function checkRegisterDocument(r: RegistrationRecord, input: RegisterDocumentInput, now: number): void {
  // A retry (same document id) or bytes already recorded: answered with what is recorded.
  if (registeredAlready(r, input)) return;
  checkOpen(r);
  const item = knownItem(r, input.itemKey);
  if (goesThroughDraft(r, input)) {
    checkDraftOpen(r, item, now);
  } else {
    if (!isFileItem(item.kind)) throw registrationFailure(RegistrationFailure.InvalidInput, `${item.key} is not a document item`);
    if (isSettled(item.state)) throw invalidTransition(`${item.key} is already ${item.state}`);
    checkNotLate(r, item, now);
  }
  checkSubmissionCap(item);
  checkPageCap(item);
  const problems: string[] = [];
  if (!/^[0-9a-f]{64}$/.test(input.sha256)) problems.push('sha256 must be 64 lower-case hex digits');
  if (!Number.isInteger(input.size) || input.size <= 0) problems.push('size must be a positive integer');
  if (!input.mediaType || !input.originalName || !input.uploadedBy) problems.push('mediaType, originalName and uploadedBy are required');
  problems.push(...unkeepableText({ mediaType: input.mediaType, originalName: input.originalName, uploadedBy: input.uploadedBy }));
  if (item.kind === 'PHOTO') problems.push(...photoSpecViolations(r.input.policy.photo, input));
  if (problems.length) throw registrationFailure(RegistrationFailure.InvalidInput, `the upload is not valid: ${problems.join('; ')}`, { problems });
}

/**
 * Whether the upload needs the item's next submission open (docs/domain.md, "Files and pages": what was sent
 * for review stays as it is until the registry decides): a page kept, and, since 'sent-submission-locked', a
 * file sent at once too.
 */
const goesThroughDraft = (r: RegistrationRecord, input: RegisterDocumentInput): boolean =>
  keepsPages(r) && (input.keepDraft === true || follows(r, 'sent-submission-locked'));

/**
 * A file for an item: a page kept in the item's draft (`keepDraft`), or sent for review at once with the pages
 * added before it (docs/domain.md, "Files and pages"). A registration replaying a history from before pages
 * sends each file alone, as its own version.
 */
export function registerDocument(r: RegistrationRecord, input: RegisterDocumentInput, now: number): ItemView {
  checkRegisterDocument(r, input, now);
  const item = knownItem(r, input.itemKey);
  if (registeredAlready(r, input)) return viewOf(r, item);
  const file = {
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
  if (!keepsPages(r)) {
    const submission: SubmissionView = { version: item.submissions.length + 1, ...file };
    item.submissions.push(submission);
    startReview(r, item, now);
    recordEvent(r, 'DOCUMENT_REGISTERED', input.actor, now, { itemKey: item.key, ...submission });
  } else if (input.keepDraft) {
    const page = addToDraft(item, file);
    recordEvent(r, 'DOCUMENT_PAGE_ADDED', input.actor, now, { itemKey: item.key, ...page });
    return viewOf(r, item);
  } else {
    // The same bytes twice in one submission are one page: those of a page waiting are sent as that page.
    const page = (follows(r, 'sent-submission-locked') && item.draft?.find((p) => p.sha256 === input.sha256)) || addToDraft(item, file);
    const pages = sendDraft(r, item, now);
    recordEvent(r, 'DOCUMENT_REGISTERED', input.actor, now, { itemKey: item.key, ...page, pages: pages.length });
  }
  settleOutcome(r, now);
  return viewOf(r, item);
}

/**
 * The file this upload already is: the one with its document id (the gateway's retry of a timed-out upload),
 * a page of the draft with the same bytes (for a page kept), or a page of the current submission with the same bytes while it
 * is SUBMITTED or VERIFIED. The workflow, not the gateway, decides duplicates.
 */
function registeredAlready(r: RegistrationRecord, input: RegisterDocumentInput): SubmissionView | undefined {
  const item = r.items.find((i) => i.key === input.itemKey);
  if (!item) return undefined;
  const files = [...item.submissions, ...(item.draft ?? [])];
  const same = input.documentId === undefined ? undefined : files.find((s) => s.documentId === input.documentId);
  if (same && same.sha256 !== input.sha256) {
    throw registrationFailure(RegistrationFailure.InvalidInput, `document ${input.documentId} was registered with other bytes`);
  }
  if (same) return same;
  // A file sent at once is not a page already kept: it sends them (registerDocument).
  const drafted = input.keepDraft || !follows(r, 'sent-submission-locked') ? item.draft?.find((p) => p.sha256 === input.sha256) : undefined;
  if (drafted) return drafted;
  const current = lastVersion(item);
  return item.state === 'SUBMITTED' || item.state === 'VERIFIED' ? item.submissions.find((s) => s.version === current && s.sha256 === input.sha256) : undefined;
}

export function checkDeclineOffer(r: RegistrationRecord, input: DeclineOfferInput, _now: number): void {
  checkOpen(r);
  checkKeepableText({ reason: input.reason }, { multiline: true });
}

export function declineOffer(r: RegistrationRecord, input: DeclineOfferInput, now: number): RegistrationStatusView {
  checkDeclineOffer(r, input, now);
  recordEvent(r, 'OFFER_DECLINED', input.actor, now, { reason: input.reason });
  conclude(r, 'WITHDRAWN', 'DECLINED', [], `the student declined the offer${input.reason ? `: ${input.reason}` : ''}`, now);
  return boundedView(r);
}
