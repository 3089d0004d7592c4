/**
 * The words and fixed rules of a registration that more than one room needs:
 * which items take a file, what the items and media types are called, which
 * statuses are still open, and what the registration form accepts. One home
 * for each: the workflow, the gateway (its zod schemas), the worker and the
 * portal's browser bundle import these values rather than spelling them again.
 *
 * Plain data and pure functions with no imports at run time (type-only
 * imports below), so the workflow bundle stays deterministic and esbuild can
 * put it in the browser bundle.
 */
import type { ItemKind, ItemState, RegistrationForm, RegistrationStatus } from './types';

// ---------------------------------------------------------------------------
// Checklist items
// ---------------------------------------------------------------------------

/** Supplementary items are keyed `SUPPLEMENTARY:<code>`. */
export const SUPPLEMENTARY_PREFIX = 'SUPPLEMENTARY:';

/** Items backed by an uploaded file (registerDocumentUpdate); activation and the form are done by a signal and an update. */
export const FILE_ITEM_KINDS = ['ID_DOCUMENT', 'VISA', 'TUITION_RECEIPT', 'SUPPLEMENTARY', 'PHOTO'] as const satisfies readonly ItemKind[];
export type FileItemKind = (typeof FILE_ITEM_KINDS)[number];

export const isFileItem = (kind: ItemKind | string): kind is FileItemKind => (FILE_ITEM_KINDS as readonly string[]).includes(kind);

/** The fixed items in the order reports list them (the export's columns, the dashboard's bars); supplementary items follow. */
export const REPORT_ITEM_ORDER = ['ACTIVATION', 'FORM', 'ID_DOCUMENT', 'VISA', 'TUITION_RECEIPT', 'PHOTO'] as const satisfies readonly Exclude<
  ItemKind,
  'SUPPLEMENTARY'
>[];

/** What the student and staff call each fixed item; a supplementary item takes its label from the cohort's policy. */
export const ITEM_LABELS: Record<Exclude<ItemKind, 'SUPPLEMENTARY'>, string> = {
  ACTIVATION: 'Account activation',
  FORM: 'Registration form',
  ID_DOCUMENT: 'Identification document(s)',
  VISA: 'Visa / entry permit',
  TUITION_RECEIPT: 'Tuition payment receipt',
  PHOTO: 'ID-card photo',
};

/** The supplementary kind as a whole, where lists name kinds rather than items (the review queue's filter). */
export const KIND_LABELS: Record<ItemKind, string> = { ...ITEM_LABELS, SUPPLEMENTARY: 'Supplementary document' };

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/** Short names of the media types the registration accepts, as students read them. */
export const MEDIA_TYPE_LABELS: Record<string, string> = {
  'application/pdf': 'PDF',
  'image/jpeg': 'JPEG',
  'image/png': 'PNG',
};

/** "PDF, JPEG, PNG" (unknown types as they are). */
export const describeMediaTypes = (types: readonly string[]): string => types.map((t) => MEDIA_TYPE_LABELS[t] ?? t).join(', ');

/**
 * Names of file types students often pick by mistake, so a refusal says "a Word
 * document (.docx)", not "application/vnd.openxmlformats-officedocument…".
 */
const OTHER_FILE_TYPES: Record<string, string> = {
  'application/msword': 'a Word document (.doc)',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'a Word document (.docx)',
  'application/vnd.ms-excel': 'an Excel workbook (.xls)',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'an Excel workbook (.xlsx)',
  'application/vnd.ms-powerpoint': 'a PowerPoint presentation (.ppt)',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'a PowerPoint presentation (.pptx)',
  'application/vnd.apple.pages': 'a Pages document (.pages)',
  'application/rtf': 'a rich text document (.rtf)',
  'text/plain': 'a text file (.txt)',
  'text/html': 'a web page (.html)',
  'application/zip': 'a ZIP archive (.zip)',
  'image/heic': 'a HEIC photo (.heic)',
  'image/heif': 'a HEIF photo (.heif)',
  'image/webp': 'a WebP image (.webp)',
  'image/gif': 'a GIF image (.gif)',
  'image/tiff': 'a TIFF image (.tif)',
  'image/bmp': 'a bitmap image (.bmp)',
};

/**
 * What a chosen file is, in words a student reads ("a PDF file", "a Word
 * document (.docx)", "a .pages file"): never a raw media type. The file name's
 * extension names a type the list does not know.
 */
export function describeFileType(type: string, fileName = ''): string {
  const accepted = MEDIA_TYPE_LABELS[type];
  if (accepted) return `a ${accepted} file`;
  const other = OTHER_FILE_TYPES[type];
  if (other) return other;
  const ext = /\.([A-Za-z0-9]{1,10})$/.exec(fileName)?.[1];
  return ext ? `a .${ext.toLowerCase()} file` : 'a file of an unknown type';
}

// ---------------------------------------------------------------------------
// Registration status
// ---------------------------------------------------------------------------

/** Statuses in which the registration can still change (items can be decided, deadlines extended, files sent). */
export const OPEN_STATUSES = ['IN_PROGRESS', 'INCOMPLETE'] as const satisfies readonly RegistrationStatus[];

export const isOpen = (status: RegistrationStatus | string): boolean => (OPEN_STATUSES as readonly string[]).includes(status);

// ---------------------------------------------------------------------------
// Item states
// ---------------------------------------------------------------------------

/** Settled: nothing more is expected of anyone (the checklist's rules and the pages' tick marks). */
/** Settled: nothing more is owed on it (verified, waived, or no longer required after a reclassification). */
export const isSettled = (s: ItemState): boolean => s === 'VERIFIED' || s === 'WAIVED' || s === 'NOT_REQUIRED';

// ---------------------------------------------------------------------------
// The registration form
// ---------------------------------------------------------------------------

/**
 * A phone number: digits, spaces, brackets and dashes, optionally after "+". Written with
 * `(`, `)` and `-` escaped so that the same source compiles in a plain RegExp (the gateway)
 * and with the `v` flag browsers use for an input's `pattern` attribute (the portal).
 */
export const PHONE_PATTERN = '^\\+?[0-9 \\(\\)\\-]{6,20}$';

interface FormFieldRule {
  required: boolean;
  /** Characters at the most; absent where the pattern or the type already bounds it. */
  maxLength?: number;
  /** A RegExp source (see PHONE_PATTERN). */
  pattern?: string;
  /** May hold line breaks and tabs. */
  multiline?: boolean;
}

type TextField = Exclude<keyof RegistrationForm, 'emergencyContact' | 'picsConsent'>;
export type FormFieldName = TextField | `emergencyContact.${keyof RegistrationForm['emergencyContact']}`;

/** What each text field of the form accepts; consent (picsConsent) must be true. */
export const FORM_FIELD_RULES: Record<FormFieldName, FormFieldRule> = {
  legalName: { required: true, maxLength: 200 },
  preferredName: { required: false, maxLength: 100 },
  chineseName: { required: false, maxLength: 50 },
  dateOfBirth: { required: true },
  nationality: { required: true, maxLength: 100 },
  phone: { required: true, pattern: PHONE_PATTERN },
  correspondenceAddress: { required: true, maxLength: 500, multiline: true },
  'emergencyContact.name': { required: true, maxLength: 200 },
  'emergencyContact.relationship': { required: true, maxLength: 100 },
  'emergencyContact.phone': { required: true, pattern: PHONE_PATTERN },
};

/** The form's own required fields (the emergency contact is required as a whole), in the form's order. */
export const REQUIRED_FORM_FIELDS: readonly TextField[] = (Object.keys(FORM_FIELD_RULES) as FormFieldName[]).filter(
  (k): k is TextField => !k.startsWith('emergencyContact.') && FORM_FIELD_RULES[k].required,
);
