/**
 * The checklist rules of docs/domain.md as pure functions: which items a
 * student has, which are compulsory by which deadline, what counts as "in",
 * what is missing at a deadline, when the ID card can be issued, and whether a
 * photo meets the specification. No Temporal, no I/O: unit-tested directly and
 * used by the workflow (and by the gateway for early checks).
 */
import { supplementaryItemKey } from './api';
import { ITEM_LABELS, isFileItem, isSettled } from './vocabulary';
import type { CohortPolicy, DueBy, ItemKey, ItemKind, ItemState, PhotoSpec, RegisterDocumentInput, StudentRecord } from './types';

export interface ItemDefinition {
  key: ItemKey;
  kind: ItemKind;
  label: string;
  compulsory: boolean;
  dueBy: DueBy;
}

/** Only local undergraduates admitted outside JUPAS settle the tuition fee through registration. */
const owesTuition = (s: StudentRecord): boolean => s.studyLevel === 'UG' && s.admissionRoute === 'NON_JUPAS' && s.residency === 'LOCAL';

/** A short category for filtering in the Temporal UI, e.g. `UG-NON_JUPAS-LOCAL` or `TPG-NON_LOCAL`. */
export const studentCategory = (s: StudentRecord): string =>
  [s.studyLevel, s.studyLevel === 'UG' ? s.admissionRoute : undefined, s.residency].filter(Boolean).join('-');

/** The deadline the fee is judged at: the payment deadline when the cohort has one. */
const feeDueBy = (policy: CohortPolicy): DueBy => (policy.paymentDeadline ? 'PAYMENT' : 'REGISTRATION');

/** The domain's item table applied to one student and the cohort policy, in the order students see them. */
export function buildChecklist(student: StudentRecord, policy: CohortPolicy): ItemDefinition[] {
  const item = (kind: Exclude<ItemKind, 'SUPPLEMENTARY'>, compulsory: boolean, dueBy: DueBy): ItemDefinition => ({
    key: kind,
    kind,
    label: ITEM_LABELS[kind],
    compulsory,
    dueBy,
  });
  const items: ItemDefinition[] = [item('ACTIVATION', true, 'REGISTRATION'), item('FORM', true, 'REGISTRATION'), item('ID_DOCUMENT', true, 'REGISTRATION')];
  if (student.residency === 'NON_LOCAL') items.push(item('VISA', true, 'REGISTRATION'));
  if (owesTuition(student)) items.push(item('TUITION_RECEIPT', true, feeDueBy(policy)));
  for (const s of policy.supplementaryItems) {
    const levels = s.appliesTo?.studyLevels;
    const residencies = s.appliesTo?.residencies;
    if (levels && !levels.includes(student.studyLevel)) continue;
    if (residencies && !residencies.includes(student.residency)) continue;
    items.push({
      key: supplementaryItemKey(s.code),
      kind: 'SUPPLEMENTARY',
      label: s.label,
      compulsory: s.compulsory === true,
      dueBy: s.compulsory === true ? 'REGISTRATION' : null,
    });
  }
  items.push(item('PHOTO', false, null));
  return items;
}

/** Re-exported for the workflow's modules and tests that read the checklist's rules from here (the home is policy.ts). */
export { contactsFor } from './policy';

// ---------------------------------------------------------------------------
// Item states
// ---------------------------------------------------------------------------

/** In: the student has handed it in (verification may still be pending); a fee paid short is not in. */
const isIn = (i: ItemStateLike): boolean => (i.state === 'SUBMITTED' && !i.awaitingPayment) || isSettled(i.state);
/** Missing: the student still has to act (never submitted, rejected and not resubmitted, or a fee paid short). */
const isMissing = (i: ItemStateLike): boolean => i.state === 'PENDING' || i.state === 'REJECTED' || (i.state === 'SUBMITTED' && !!i.awaitingPayment);

/** Re-exported beside the other item rules (the home is vocabulary.ts). */
export { isFileItem };

/** Staff review submitted files; activation and the form are verified by the event itself. */
export const isReviewable = (kind: ItemKind): boolean => isFileItem(kind);

export interface ItemStateLike {
  key: ItemKey;
  compulsory: boolean;
  dueBy: DueBy;
  state: ItemState;
  /** The fee: money arrived that did not settle it (docs/domain.md, "The tuition fee"). */
  awaitingPayment?: boolean;
}

/** What the student or the registry still owe: every item not yet verified or waived (search attribute OutstandingItems). */
export const outstandingItems = (items: readonly ItemStateLike[]): ItemKey[] => items.filter((i) => !isSettled(i.state)).map((i) => i.key);

/** Compulsory items due by `deadline` that the student has not handed in. */
export const missingCompulsory = <T extends ItemStateLike>(items: readonly T[], deadline: Exclude<DueBy, null>): T[] =>
  items.filter((i) => i.compulsory && i.dueBy === deadline && isMissing(i));

/** Every compulsory item is in (submitted, verified or waived). */
export const compulsoryAllIn = (items: readonly ItemStateLike[]): boolean => items.every((i) => !i.compulsory || isIn(i));

/** Non-compulsory items (supplementary documents, the photo) the student still owes. */
export const owedOptional = <T extends ItemStateLike>(items: readonly T[]): T[] => items.filter((i) => !i.compulsory && isMissing(i));

export const allSettled = (items: readonly ItemStateLike[]): boolean => items.every((i) => isSettled(i.state));

/**
 * The ID card can be issued once every document (identification, visa,
 * receipt, supplementary) is in and the photo has been accepted by staff.
 * A waived photo does not make a card: there is nothing to print.
 */
export function isCardReady(items: readonly (ItemStateLike & { kind: ItemKind })[]): boolean {
  const photo = items.find((i) => i.kind === 'PHOTO');
  if (!photo || photo.state !== 'VERIFIED') return false;
  return items.filter((i) => isFileItem(i.kind) && i.kind !== 'PHOTO').every((i) => isIn(i));
}

// ---------------------------------------------------------------------------
// Submissions
// ---------------------------------------------------------------------------

/** Why a photo upload does not meet the specification; empty when it does. Plain background is left to staff. */
export function photoSpecViolations(spec: PhotoSpec, file: Pick<RegisterDocumentInput, 'mediaType' | 'size' | 'imageWidth' | 'imageHeight'>): string[] {
  const problems: string[] = [];
  if (!(spec.mediaTypes as string[]).includes(file.mediaType)) problems.push(`format ${file.mediaType} is not one of ${spec.mediaTypes.join(', ')}`);
  if (file.size < spec.minBytes || file.size > spec.maxBytes) problems.push(`size ${file.size} bytes is outside ${spec.minBytes}–${spec.maxBytes}`);
  const { imageWidth: w, imageHeight: h } = file;
  if (w === undefined || h === undefined) {
    problems.push('pixel size is unknown');
    return problems;
  }
  if (w < spec.minWidth || w > spec.maxWidth) problems.push(`width ${w}px is outside ${spec.minWidth}–${spec.maxWidth}`);
  if (h < spec.minHeight || h > spec.maxHeight) problems.push(`height ${h}px is outside ${spec.minHeight}–${spec.maxHeight}`);
  if (spec.portrait && h <= w) problems.push('the photo must be portrait (taller than wide)');
  return problems;
}
