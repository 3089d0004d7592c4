/**
 * The state's own records of deadlines, items and the outcome, as
 * RegistrationState keeps them and carries them across continue-as-new
 * (instants as epoch milliseconds; the views turn them into ISO strings).
 */
import type { ItemDefinition } from './checklist';
import type { DueBy, ItemKey, ItemState, OutcomeReason, RegistrationStatus, ReviewView, SubmissionView } from './types';
import type { WorkingDayDeadline } from './working-days';

export type DeadlineKind = Exclude<DueBy, null>;

export interface Deadline {
  at: number;
  /** When this date was set: reminders scheduled before it are not sent (the invitation or extension just told the student). */
  setAt: number;
  passed: boolean;
  /** Reminders already sent, as `<deadline ms>/<offset ms>`: an extension re-arms them for the new date. */
  reminded: string[];
}

export interface ItemRecord extends ItemDefinition {
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

/** A final or intermediate outcome (INCOMPLETE may still become COMPLETED or WITHDRAWN). */
export interface Outcome {
  status: RegistrationStatus;
  reason: OutcomeReason;
  items: ItemKey[];
  detail: string;
  at: number;
}
