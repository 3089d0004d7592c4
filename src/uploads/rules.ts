/**
 * What each checklist item accepts: the media types (judged from the file's own
 * bytes) and the largest size. The photo's limits come from the cohort's photo
 * specification, which the upload route passes in.
 */
import type { ItemKind, PhotoSpec } from '../../workflows/registration/api';
import type { FileItemKind } from '../../workflows/registration/vocabulary';

export interface UploadRule {
  mediaTypes: readonly string[];
  maxBytes: number;
}

const MB = 1024 * 1024;
const DOCUMENT_TYPES = ['application/pdf', 'image/jpeg', 'image/png'] as const;

export const DOCUMENT_RULES: Record<Exclude<FileItemKind, 'PHOTO'>, UploadRule> = {
  ID_DOCUMENT: { mediaTypes: DOCUMENT_TYPES, maxBytes: 10 * MB },
  VISA: { mediaTypes: DOCUMENT_TYPES, maxBytes: 10 * MB },
  TUITION_RECEIPT: { mediaTypes: DOCUMENT_TYPES, maxBytes: 5 * MB },
  SUPPLEMENTARY: { mediaTypes: DOCUMENT_TYPES, maxBytes: 20 * MB },
};

/** The largest file any item takes (a photo's limit, from the cohort's specification, is far smaller). */
export const LARGEST_UPLOAD_BYTES = Math.max(...Object.values(DOCUMENT_RULES).map((r) => r.maxBytes));

/** The rule for an item kind, or undefined for items that take no file (activation, form). */
export function uploadRule(kind: ItemKind, photo: PhotoSpec): UploadRule | undefined {
  if (kind === 'PHOTO') return { mediaTypes: photo.mediaTypes, maxBytes: photo.maxBytes };
  return kind in DOCUMENT_RULES ? DOCUMENT_RULES[kind as keyof typeof DOCUMENT_RULES] : undefined;
}
