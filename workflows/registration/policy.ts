/**
 * What a cohort starts from and whom a student writes to: the usual cohort
 * policy (an import may override any part), the catalogue of supplementary
 * documents a cohort may ask for, and the registry's contacts. Plain data and
 * pure functions: the workflow, the import, the gateway and the portal read
 * them from here.
 */
import { PHOTO_MEDIA_TYPES, type CohortPolicy, type ItemKind, type StudentRecord } from './types';

/**
 * Payment providers confirm minutes to days after the student pays: a payment made by the fee's deadline still
 * counts when confirmed within this many Hong Kong working days after it (docs/domain.md, "The tuition fee").
 */
export const SETTLEMENT_GRACE_WORKING_DAYS = 3;

/**
 * Pages one submission of a document takes (docs/domain.md, "Files and pages"). A passport's photo page and
 * visa pages, an HKID's front and back, or a transcript of a few sheets fit in ten; more is nearly always
 * the wrong document, and the cap (with the cap of submissions per item, api.ts) bounds what a registration's
 * history keeps. The ID-card photo is one picture: one page.
 */
export const MAX_PAGES_PER_SUBMISSION = 10;
export const pageLimit = (kind: ItemKind): number => (kind === 'PHOTO' ? 1 : MAX_PAGES_PER_SUBMISSION);

/** The usual cohort policy; an import may override any part. */
export const defaultCohortPolicy = (registrationDeadline: string, overrides: Partial<Omit<CohortPolicy, 'registrationDeadline'>> = {}): CohortPolicy => ({
  registrationDeadline,
  supplementaryItems: [],
  reminderOffsets: ['7 days', '1 day'],
  resubmissionWindow: '14 days',
  verificationSlaWorkingDays: 5,
  settlementGraceWorkingDays: SETTLEMENT_GRACE_WORKING_DAYS,
  photo: {
    mediaTypes: [...PHOTO_MEDIA_TYPES],
    minBytes: 10 * 1024,
    maxBytes: 5 * 1024 * 1024,
    minWidth: 300,
    maxWidth: 3000,
    minHeight: 400,
    maxHeight: 4000,
    portrait: true,
  },
  ...overrides,
});

/** Supplementary documents a cohort may ask for, by code (the import accepts only these), with their labels. */
export const SUPPLEMENTARY_DOCUMENTS: Record<string, string> = {
  FINAL_TRANSCRIPT: 'Final transcript',
  GRADUATION_CERTIFICATE: 'Graduation certificate',
  ENGLISH_PROFICIENCY: 'English language proficiency test result',
  HKDSE_RESULTS: 'HKDSE results notice',
};

/** The program registration contact: the same for every student. */
export const REGISTRY_CONTACT = 'progreg@ust.hk';

/** Whom the student writes to, by topic (shown in emails and the portal). */
export function contactsFor(student: Pick<StudentRecord, 'studyLevel'>): { registration: string; activation: string; visa: string } {
  return {
    registration: REGISTRY_CONTACT,
    activation: 'cchelp@ust.hk',
    visa: student.studyLevel === 'UG' ? 'studentvisa@ust.hk' : 'pgadmit@ust.hk',
  };
}
