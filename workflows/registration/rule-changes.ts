/**
 * Rules changed after registrations were already running. A running
 * registration must replay its history exactly, so each change is adopted
 * through Temporal's `patched(<id>)` (workflow.ts): a new registration follows
 * every rule here from its start; one started before a change follows the old
 * rule while its history replays and the new one from its next live step. The
 * record keeps the ids it follows (carried across continue-as-new), so the
 * state machine, its views and its tests never call Temporal themselves.
 * docs/registration-workflow.md, "Determinism and versioning".
 */

export const RULE_CHANGES = [
  /** A fee payment counts by its signed `paidAt`, confirmed within the settlement grace period; only the full fee settles it. */
  'fee-settled-by-paid-at',
  /** The resubmission window's clock stops while the registry holds a resubmitted item. */
  'resubmission-clock-stops-in-review',
  /** A withdrawal names the deadline that applied (the registration deadline when the cohort has no payment deadline). */
  'withdrawal-names-its-deadline',
  /** A submission holds several files (pages), added and removed before it is sent for review (document-pages.ts). */
  'document-pages',
  /** A reclassification that changes the checklist emails the student what changed (CHECKLIST_CHANGED). */
  'reclassification-emails-the-student',
  /**
   * A submission sent for review takes no file until the registry decides, a file sent at once included (it used
   * to add a version and restart the review clock); a file sent at once with the bytes of a page waiting to be
   * sent sends the pages as they are (it used to be answered as a duplicate and send nothing).
   */
  'sent-submission-locked',
] as const;

export type RuleChange = (typeof RULE_CHANGES)[number];

/** Whether this registration follows a changed rule (else the rule as it was before the change). */
export const follows = (r: { readonly rules: readonly string[] }, rule: RuleChange): boolean => r.rules.includes(rule);
