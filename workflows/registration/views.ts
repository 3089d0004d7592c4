/**
 * What the registration shows: an item as the status lists it, the bounded
 * status an update answers with, and the projection's input (the bounded
 * state plus what was recorded since the previous snapshot). Pure functions
 * of the state's records.
 */
import type { ItemRecord } from './records';
import type { CohortPolicy, IsoInstant, ItemKey, ItemView, RegistrationStatusView, ReviewView, SubmissionView } from './types';
import { iso, stripUndefined } from './plain';

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

/** Emails an update's answer lists (the latest); the query lists them all. */
const BOUNDED_EMAILS = 5;

/** An item as the status shows it; `resubmitBy` is when its resubmission window closes (time-rules.ts), shown while REJECTED. */
export function itemView(i: ItemRecord, windowEnd: number | undefined): ItemView {
const resubmitBy = i.state === 'REJECTED' ? windowEnd : undefined;
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

/**
 * The status as an update answers it (it goes into history with every change): each item with only its
 * latest submission and review, and only the latest emails. The full status is the query's.
 */
export function boundedStatus(v: RegistrationStatusView): RegistrationStatusView {
  return {
    ...v,
    items: v.items.map((i) => ({ ...i, submissions: i.submissions.slice(-1), reviews: i.reviews.slice(-1) })),
    emails: v.emails.slice(-BOUNDED_EMAILS),
  };
}

/** An item as the read model keeps it: its current state, when it came in, and why it was rejected if it is. */
export function projectedItem(full: ItemView): ProjectedItem {
  const { submissions: _s, reviews, ...item } = full;
  const last = reviews[reviews.length - 1];
  const rejected = item.state === 'REJECTED' && last?.decision === 'REJECTED';
  return stripUndefined({
    ...item,
    inAt: cameInAt(full),
    ...(rejected ? { rejectionReason: last.reasonCode, rejectionNote: last.note } : {}),
  });
}
