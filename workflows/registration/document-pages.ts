/**
 * Several files per document (docs/domain.md, "Files and pages"): a student
 * adds pages to an item's next submission, may take one out again, and sends
 * the submission for review; from then on it stays as it is until the
 * registry decides (a rejection opens the next one). The pages wait in the
 * item's `draft`; sending moves them into `submissions` under one version.
 * Adopted through the rule change 'document-pages' (rule-changes.ts): a
 * registration replaying a history from before it sends every upload at once.
 */
import { MAX_SUBMISSIONS_PER_ITEM, RegistrationFailure, registrationFailure } from './api';
import { isFileItem } from './checklist';
import { settleOutcome } from './outcome';
import { iso } from './plain';
import { pageLimit } from './policy';
import type { ItemRecord, RegistrationRecord } from './records';
import { follows } from './rule-changes';
import { checkNotLate, checkOpen, invalidTransition, knownItem, recordEvent } from './state-core';
import type { ItemView, RemovePageInput, SendForReviewInput, SubmissionView } from './types';
import { isSettled } from './vocabulary';
import { viewOf } from './views';
import { addWorkingDays } from './working-days';

/** The number of the item's latest submission (0: none yet). Pages of one submission share it. */
export const lastVersion = (item: Pick<ItemRecord, 'submissions'>): number => item.submissions.reduce((v, s) => Math.max(v, s.version), 0);

/** Whether this registration keeps pages open before sending (else each upload is sent at once, as before). */
export const keepsPages = (r: RegistrationRecord): boolean => follows(r, 'document-pages');

/** An item whose submission can take, lose or send pages: a file item, not settled, not awaiting review, on time. */
export function checkDraftOpen(r: RegistrationRecord, item: ItemRecord, now: number): void {
  checkOpen(r);
  if (!isFileItem(item.kind)) throw registrationFailure(RegistrationFailure.InvalidInput, `${item.key} is not a document item`);
  if (isSettled(item.state)) throw invalidTransition(`${item.key} is already ${item.state}`);
  if (item.state === 'SUBMITTED') {
    throw invalidTransition(`${item.label} was sent for review: its pages cannot change until the registry decides`);
  }
  checkNotLate(r, item, now);
}

/**
 * Refuses a submission beyond the item's cap of submissions. Counted by version: a registration from before
 * pages (rule change 'document-pages') made each upload its own version, so this is its count of uploads and
 * it refuses exactly where the earlier cap did; a history replays to the same commands. Only the refusal's
 * words changed, and a refusal by the validator records nothing in the history.
 */
export function checkSubmissionCap(item: ItemRecord): void {
  const sent = lastVersion(item);
  if (sent < MAX_SUBMISSIONS_PER_ITEM) return;
  throw registrationFailure(
    RegistrationFailure.SubmissionLimitReached,
    `${item.label} already has ${sent} submissions, the most one item takes; contact the registry if it must be replaced again`,
    { itemKey: item.key, limit: MAX_SUBMISSIONS_PER_ITEM },
  );
}

/** Refuses one more page than a submission takes. */
export function checkPageCap(item: ItemRecord): void {
  const limit = pageLimit(item.kind);
  const pages = item.draft?.length ?? 0;
  if (pages < limit) return;
  throw registrationFailure(
    RegistrationFailure.PageLimitReached,
    `${item.label} already has ${pages} page${pages === 1 ? '' : 's'}, the most one submission takes; remove one to add another`,
    { itemKey: item.key, limit, pages },
  );
}

/** A page as the draft keeps it: numbered after every page added since the last submission. */
export function addToDraft(item: ItemRecord, page: Omit<SubmissionView, 'version' | 'page'>): SubmissionView {
  item.pagesAdded = (item.pagesAdded ?? 0) + 1;
  const added: SubmissionView = { version: lastVersion(item) + 1, page: item.pagesAdded, ...page };
  (item.draft ??= []).push(added);
  return added;
}

/**
 * The draft goes for review as the next submission: the item is SUBMITTED and its verification clock starts.
 * A replacement inside the resubmission window is held by the registry from now: the window's clock stops.
 */
export function sendDraft(r: RegistrationRecord, item: ItemRecord, now: number): SubmissionView[] {
  const pages = (item.draft ?? []).splice(0);
  const sentAt = iso(now);
  for (const page of pages) item.submissions.push(page.at === sentAt ? page : { ...page, sentAt });
  item.pagesAdded = 0;
  startReview(r, item, now);
  return pages;
}

/** The item is SUBMITTED from now: its verification clock starts (a submission of one file or of several). */
export function startReview(r: RegistrationRecord, item: ItemRecord, now: number): void {
  if (item.state === 'REJECTED' && item.windowFrom !== undefined && follows(r, 'resubmission-clock-stops-in-review')) item.heldSince = now;
  item.state = 'SUBMITTED';
  item.submittedAt = now;
  item.rejectedAt = undefined;
  item.sla = { ...addWorkingDays(now, r.input.policy.verificationSlaWorkingDays, r.holidays), breached: false };
}

export function checkRemovePage(r: RegistrationRecord, input: RemovePageInput, now: number): void {
  const item = knownItem(r, input.itemKey);
  checkDraftOpen(r, item, now);
  if (!item.draft?.some((p) => p.page === input.page)) {
    throw registrationFailure(RegistrationFailure.PageNotFound, `${item.label} has no page ${input.page} waiting to be sent`, {
      itemKey: item.key,
      page: input.page,
      pages: (item.draft ?? []).map((p) => p.page),
    });
  }
}

export function removePage(r: RegistrationRecord, input: RemovePageInput, now: number): ItemView {
  checkRemovePage(r, input, now);
  const item = knownItem(r, input.itemKey);
  const draft = item.draft!;
  const [removed] = draft.splice(
    draft.findIndex((p) => p.page === input.page),
    1,
  );
  // The read model keeps the removed page's row as a tombstone; its bytes become the collector's (src/uploads/gc.ts).
  recordEvent(r, 'DOCUMENT_PAGE_REMOVED', input.actor, now, { itemKey: item.key, ...removed });
  return viewOf(r, item);
}

export function checkSendForReview(r: RegistrationRecord, input: SendForReviewInput, now: number): void {
  const item = knownItem(r, input.itemKey);
  checkDraftOpen(r, item, now);
  if (!item.draft?.length) throw invalidTransition(`${item.label} has no pages to send: add at least one first`);
  checkSubmissionCap(item);
  if (input.shown && !sameDraft(item.draft, input.shown)) {
    throw registrationFailure(
      RegistrationFailure.PagesChanged,
      `${item.label}'s pages changed since they were shown (added or taken out elsewhere): nothing was sent; check them and send again`,
      { itemKey: item.key, version: item.draft[0]!.version, pages: item.draft.map((p) => p.page ?? 1) },
    );
  }
}

/** Whether the draft holds exactly the pages shown: the same submission's, the same numbers (in any order). */
function sameDraft(draft: SubmissionView[], shown: NonNullable<SendForReviewInput['shown']>): boolean {
  const numbers = (pages: number[]) => [...pages].sort((x, y) => x - y).join();
  return draft[0]!.version === shown.version && numbers(draft.map((p) => p.page ?? 1)) === numbers(shown.pages);
}

export function sendForReview(r: RegistrationRecord, input: SendForReviewInput, now: number): ItemView {
  checkSendForReview(r, input, now);
  const item = knownItem(r, input.itemKey);
  const pages = sendDraft(r, item, now);
  recordEvent(r, 'DOCUMENT_SENT_FOR_REVIEW', input.actor, now, {
    itemKey: item.key,
    version: pages[0]!.version,
    pages: pages.map((p) => ({ page: p.page, documentId: p.documentId, sha256: p.sha256 })),
  });
  settleOutcome(r, now);
  return viewOf(r, item);
}
