/**
 * The words the pages use for the workflow's codes. Keyed by the contract's
 * types (type-only imports: nothing of the workflow package reaches the
 * browser), so a new state or reason code fails to compile until it has words.
 */
import type {
  ItemKind,
  ItemState,
  ItemView,
  LateEventKind,
  OutcomeReason,
  RegistrationStatus,
  RejectionReason,
  StudentRecord,
} from '../../../workflows/registration/types';

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral';

export const STATUS: Record<RegistrationStatus, { label: string; tone: Tone }> = {
  IN_PROGRESS: { label: 'In progress', tone: 'info' },
  INCOMPLETE: { label: 'Incomplete', tone: 'warn' },
  COMPLETED: { label: 'Completed', tone: 'ok' },
  WITHDRAWN: { label: 'Withdrawn', tone: 'bad' },
};

/** What the student reads for each item state. */
export const ITEM_STATE: Record<ItemState, { label: string; staffLabel: string; tone: Tone }> = {
  PENDING: { label: 'To do', staffLabel: 'Pending', tone: 'neutral' },
  SUBMITTED: { label: 'Under review', staffLabel: 'Submitted', tone: 'info' },
  VERIFIED: { label: 'Done', staffLabel: 'Verified', tone: 'ok' },
  REJECTED: { label: 'Action needed', staffLabel: 'Rejected', tone: 'bad' },
  WAIVED: { label: 'Not required', staffLabel: 'Waived', tone: 'ok' },
  NOT_REQUIRED: { label: 'No longer required', staffLabel: 'No longer required', tone: 'neutral' },
};

/**
 * What the student reads for an item, which is its state's words except for a fee paid in part: money arrived but
 * not the fee, so the item is still owed (docs/domain.md, The tuition fee) although it waits in the review queue.
 */
export function itemStateFor(item: Pick<ItemView, 'state' | 'partPaid'>): { label: string; tone: Tone } {
  return item.partPaid ? { label: 'Part paid', tone: 'warn' } : ITEM_STATE[item.state];
}

export const REJECTION_REASON: Record<RejectionReason, string> = {
  UNREADABLE: 'The file is unreadable or blurred',
  EXPIRED: 'The document has expired',
  WRONG_DOCUMENT: 'This is not the document requested',
  NAME_MISMATCH: 'The name does not match your admission record',
  INCOMPLETE_PAGES: 'Pages are missing',
  PHOTO_SPEC: 'The photo does not meet the specification',
  OTHER: 'See the note from the Academic Registry',
};

export const OUTCOME_REASON: Record<OutcomeReason, string> = {
  ALL_ITEMS_VERIFIED: 'Every step has been verified by the Academic Registry.',
  SUPPLEMENTARY_OWED: 'All compulsory steps were completed on time; supplementary documents are still owed.',
  MISSED_COMPULSORY_ITEM: 'A compulsory step was not completed by the deadline.',
  MISSED_FEE: 'The tuition fee was not settled by the payment deadline.',
  UNRESOLVED_REJECTION: 'A rejected document was not replaced within the resubmission window.',
  DECLINED: 'You declined the offer of admission.',
};

/** What each step asks of the student, shown under its title. */
export const ITEM_HELP: Record<ItemKind, string> = {
  ACTIVATION:
    'Activate your HKUST student account with the activation link in your invitation email. It gives you your HKUST email and access to university systems.',
  FORM: 'Your personal particulars, contact details and emergency contact, and your consent to the Personal Information Collection Statement. It can be submitted once; later changes go through the Academic Registry.',
  ID_DOCUMENT: 'A clear copy of your identification document: your Hong Kong Identity Card, or your passport (the page with your photo and personal details).',
  VISA: 'Your student visa or entry permit for studying in Hong Kong. If it has not been issued yet, upload the approval letter you have and replace it later.',
  TUITION_RECEIPT: 'Settle the tuition fee and upload the payment receipt. A payment made through the university’s payment system is confirmed automatically.',
  SUPPLEMENTARY: 'This document may follow later, as soon as it is available to you.',
  PHOTO:
    'A recent colour photo for your HKUST Card: head and shoulders, facing the camera, on a plain light background. Uploading it early lets us prepare your card before you arrive.',
};

export const STUDY_LEVEL: Record<StudentRecord['studyLevel'], string> = {
  UG: 'Undergraduate',
  TPG: 'Taught postgraduate',
  RPG: 'Research postgraduate',
};

/** A late event's kind: one row of the Late events page, and (plural) a dashboard bar. */
export const LATE_EVENT: Record<LateEventKind, { one: string; many: string }> = {
  PAYMENT: { one: 'Payment', many: 'Payments' },
  ACTIVATION: { one: 'Account activation', many: 'Account activations' },
};

/** Readable names for audit event types such as FORM_SUBMITTED or itemVerified. */
export function humanize(code: string): string {
  const words = code
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_:]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
