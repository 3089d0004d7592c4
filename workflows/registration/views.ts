/**
 * What the registration shows: an item as the status lists it, the status
 * (full for the query, bounded for an update's answer), and the projection's
 * input (the bounded state plus what was recorded since the previous
 * snapshot). Functions of the registration record (records.ts) that change
 * nothing but `takeSnapshot`, which takes the events recorded since the last.
 */
import { isCardReady, outstandingItems } from './checklist';
import type { AuditEventRecord, ItemRecord, RegistrationRecord } from './records';
import type { CohortPolicy, IsoInstant, ItemKey, ItemView, PartPayment, RegistrationStatusView, ReviewView, SubmissionView, TuitionFee } from './types';
import { iso, stripUndefined } from './plain';
import { isClosed, resubmitByOf } from './state-core';
import { policyNumbers } from './time-rules';

export type { AuditEventRecord } from './records';

/** An item as the read model keeps it: its current state, without its history (that travels as deltas). */
export type ProjectedItem = Omit<ItemView, 'submissions' | 'draft' | 'reviews'> & { rejectionReason?: string; rejectionNote?: string; inAt?: IsoInstant };

/**
 * When an item came in: its first submission or waiver after its last rejection (activation and
 * the form, which have no files, at their own time); undefined while it is pending or rejected.
 * Carried as one instant so the bounded projection input still answers the dashboard's burn-down.
 */
export function cameInAt(item: Pick<ItemView, 'state' | 'submissions' | 'reviews' | 'submittedAt' | 'reviewedAt'>): IsoInstant | undefined {
  if (item.state === 'PENDING' || item.state === 'REJECTED') return undefined;
  const rejected = Math.max(-Infinity, ...item.reviews.filter((r) => r.decision === 'REJECTED').map((r) => Date.parse(r.at)));
  const ins = [...item.submissions.map((s) => s.sentAt ?? s.at), ...item.reviews.filter((r) => r.decision === 'WAIVED').map((r) => r.at)].filter(
    (t) => Date.parse(t) > rejected,
  );
  if (ins.length) return ins.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
  return item.submittedAt ?? item.reviewedAt;
}

/** The registration as of a snapshot, bounded: no submission, review or email lists. */
export type ProjectedView = Omit<RegistrationStatusView, 'items' | 'emails'> & { items: ProjectedItem[] };

/**
 * What the projection activity receives: the registration as of `seq`, and
 * only what was recorded since the previous snapshot (events, submissions,
 * reviews, email keys). Each change thus puts a few kilobytes into history,
 * however many uploads and reviews the registration has seen:
 * - while the whole status is within the bounds an update's answer keeps (one
 *   submission and one review per item, five emails: `withinBounds`), the
 *   snapshot carries it whole, as the status query answers it, and the read
 *   model keeps it for the status page (StatusSnapshot), which then asks no
 *   workflow: a query replays the whole history of a registration out of the
 *   worker's cache, which most of a cohort is (docs/architecture.md, "Reading
 *   one's own change");
 * - past them, it carries the view the read model's rows keep (`ProjectedView`),
 *   as every snapshot did before, and the status page asks the workflow.
 */
export interface ProjectionSnapshot {
  seq: number;
  view: RegistrationStatusView | ProjectedView;
  events: AuditEventRecord[];
  /** Files received: sent for review, or pages of a draft. */
  submissions: (SubmissionView & { itemKey: ItemKey })[];
  /** Pages taken out of a draft before it was sent. */
  removedPages: (SubmissionView & { itemKey: ItemKey; removedAt: IsoInstant })[];
  reviews: (ReviewView & { itemKey: ItemKey })[];
  /** Email log rows to link to this registration. */
  emailKeys: string[];
  /** For a cohort row the import did not create (a registration started from the CLI). */
  policy: CohortPolicy;
}

/** Emails an update's answer lists (the latest); the query lists them all. */
const BOUNDED_EMAILS = 5;

/** The fee received short of the fee, in its currency: the item is still owed (fee-settlement.ts). */
function partPaid(i: ItemRecord, fee: TuitionFee | undefined): PartPayment | undefined {
  if (i.kind !== 'TUITION_RECEIPT' || !i.awaitingPayment || !fee || !i.paidCents) return undefined;
  const feeCents = Math.round(fee.amount * 100);
  if (i.paidCents >= feeCents) return undefined;
  return { received: i.paidCents / 100, fee: feeCents / 100, outstanding: (feeCents - i.paidCents) / 100, currency: fee.currency.toUpperCase() };
}

/** An item as the status shows it; `resubmitBy` is when its resubmission window closes (time-rules.ts), shown while REJECTED. */
function itemView(i: ItemRecord, windowEnd: number | undefined, fee: TuitionFee | undefined): ItemView {
  const resubmitBy = i.state === 'REJECTED' ? windowEnd : undefined;
  const part = partPaid(i, fee);
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
    draft: (i.draft ?? []).map((p) => ({ ...p })),
    reviews: i.reviews.map((r) => ({ ...r })),
    expectedVerificationBy: i.state === 'SUBMITTED' && i.sla ? iso(i.sla.endsAt) : undefined,
    expectedVerificationDate: i.state === 'SUBMITTED' && i.sla ? i.sla.date : undefined,
    slaBreached: i.state === 'SUBMITTED' && i.sla ? i.sla.breached : undefined,
    resubmitBy: resubmitBy === undefined ? undefined : iso(resubmitBy),
    ...(i.flag ? { flag: i.flag } : {}),
    ...(part ? { partPaid: part } : {}),
  };
}

/** The files of an item's latest submission (its pages). */
const latestSubmission = (submissions: SubmissionView[]): SubmissionView[] => {
  const version = submissions[submissions.length - 1]?.version;
  return submissions.filter((s) => s.version === version);
};

/**
 * The status as an update answers it (it goes into history with every change): each item with only its
 * latest submission (every page of it) and review, and only the latest emails. The full status is the query's.
 */
function boundedStatus(v: RegistrationStatusView): RegistrationStatusView {
  return {
    ...v,
    items: v.items.map((i) => ({ ...i, submissions: latestSubmission(i.submissions), reviews: i.reviews.slice(-1) })),
    emails: v.emails.slice(-BOUNDED_EMAILS),
  };
}

/** Nothing of the status is past what an update's answer keeps (boundedStatus): it is that small, whole. */
const withinBounds = (v: RegistrationStatusView): boolean =>
  v.emails.length <= BOUNDED_EMAILS && v.items.every((i) => i.reviews.length <= 1 && latestSubmission(i.submissions).length === i.submissions.length);

/** The whole status a snapshot carries, or undefined for one that carries the read model's view alone. */
export const wholeStatus = (view: ProjectionSnapshot['view']): RegistrationStatusView | undefined => ('emails' in view ? view : undefined);

/** The registration as the read model's rows keep it (Registration, ChecklistItem), from a snapshot of either kind. */
export function projectedView(view: ProjectionSnapshot['view']): ProjectedView {
  const status = wholeStatus(view);
  if (!status) return view as ProjectedView;
  const { items, emails: _emails, ...rest } = status;
  return { ...rest, items: items.map(projectedItem) };
}

/** An item as the read model keeps it: its current state, when it came in, and why it was rejected if it is. */
function projectedItem(full: ItemView): ProjectedItem {
  const { submissions: _s, draft: _d, reviews, partPaid: _p, ...item } = full;
  const last = reviews[reviews.length - 1];
  const rejected = item.state === 'REJECTED' && last?.decision === 'REJECTED';
  return stripUndefined({
    ...item,
    inAt: cameInAt(full),
    ...(rejected ? { rejectionReason: last.reasonCode, rejectionNote: last.note } : {}),
  });
}

/** An item of the record as the status shows it. */
export const viewOf = (r: RegistrationRecord, i: ItemRecord): ItemView => itemView(i, resubmitByOf(r, i), r.input.policy.tuitionFee);

/** Items that still need someone to act; none once the registration is closed. */
export const outstanding = (r: RegistrationRecord): ItemKey[] => (isClosed(r) ? [] : outstandingItems(r.items));

/** The student card can be produced (never for a withdrawn student). */
const cardReady = (r: RegistrationRecord): boolean => r.status !== 'WITHDRAWN' && isCardReady(r.items);

/** The full status, as the query answers it. */
export function statusView(r: RegistrationRecord): RegistrationStatusView {
  const d = r.deadlines;
  return {
    applicationNo: r.input.student.applicationNo,
    workflowId: r.workflowId,
    student: r.personalEmail ? { ...r.input.student, personalEmail: r.personalEmail } : r.input.student,
    universityEmail: r.universityEmail,
    personalEmailProblem: r.personalEmailProblem && { ...r.personalEmailProblem, at: iso(r.personalEmailProblem.at) },
    status: r.status,
    outcome: r.outcome && { ...r.outcome, at: iso(r.outcome.at) },
    deadlines: {
      registration: iso(d.REGISTRATION!.at),
      payment: d.PAYMENT ? iso(d.PAYMENT.at) : undefined,
      registrationPassed: d.REGISTRATION!.passed,
      paymentPassed: d.PAYMENT?.passed ?? false,
    },
    deadlineChanges: r.deadlineChanges.map((c) => ({ ...c })),
    deadlineChangesOmitted: r.deadlineChangesOmitted,
    policy: policyNumbers(r.input.policy),
    form: r.form && { ...r.form, emergencyContact: { ...r.form.emergencyContact } },
    items: r.items.map((i) => viewOf(r, i)),
    outstandingItems: outstanding(r),
    cardReady: cardReady(r),
    emails: r.emails.map((e) => ({ ...e, to: [...e.to] })),
    emailsOmitted: r.emailsOmitted,
    seq: r.seq,
  };
}

/** The status an update answers with, bounded because it goes into history. */
export const boundedView = (r: RegistrationRecord): RegistrationStatusView => boundedStatus(statusView(r));

/**
 * What a projection replayed from history takes (docs/registration-workflow.md, "What a replay costs"): the events,
 * as `takeSnapshot` does, and their seq, without building the view. A command replayed from history is matched with
 * its event there, which holds the input it was scheduled with; the replayed one is never sent, so its input is
 * never read. A live projection (the next one included) builds its whole snapshot from the state, as always.
 */
export function takeReplayedSnapshot(r: RegistrationRecord): ReplayedSnapshot {
  return { seq: r.seq, events: r.unprojected.splice(0), replayed: true };
}

/** The input of a projection replayed from history (takeReplayedSnapshot). */
export interface ReplayedSnapshot {
  seq: number;
  events: AuditEventRecord[];
  replayed: true;
}

/** The projection's input: the registration as of now, with what was recorded since the previous snapshot. */
export function takeSnapshot(r: RegistrationRecord): ProjectionSnapshot {
  const events = r.unprojected.splice(0);
  const since = events.length ? events[0]!.seq : r.seq + 1;
  const status = statusView(r);
  return {
    seq: r.seq,
    view: withinBounds(status) ? status : projectedView(status),
    events,
    // Files arrive only through DOCUMENT_REGISTERED (sent at once) or DOCUMENT_PAGE_ADDED (a page of a draft);
    // reviews carry the seq of the event that made them.
    submissions: events
      .filter((e) => e.type === 'DOCUMENT_REGISTERED' || e.type === 'DOCUMENT_PAGE_ADDED')
      .map((e) => e.data as unknown as SubmissionView & { itemKey: ItemKey }),
    removedPages: events
      .filter((e) => e.type === 'DOCUMENT_PAGE_REMOVED')
      .map((e) => ({ ...(e.data as unknown as SubmissionView & { itemKey: ItemKey }), removedAt: e.at })),
    reviews: r.items.flatMap((i) => i.reviews.filter((rv) => rv.seq >= since).map((rv) => ({ itemKey: i.key, ...rv }))),
    emailKeys: events.filter((e) => e.type === 'EMAIL_SENT' || e.type === 'EMAIL_FAILED').map((e) => String(e.data.idempotencyKey)),
    policy: r.input.policy,
  };
}
