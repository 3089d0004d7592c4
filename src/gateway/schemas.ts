/**
 * Schemas shared by several routes: the workflow's status view and its parts
 * (as the OpenAPI document describes them; the TypeScript types in
 * workflows/registration/types.ts are the source, and `satisfies` keeps the two
 * in step), path parameters, and pagination.
 */
import { z } from 'zod';
import {
  EMAIL_KINDS,
  ITEM_KINDS,
  ITEM_STATES,
  OUTCOME_REASONS,
  REGISTRATION_STATUSES,
  REJECTION_REASONS,
  ADMISSION_ROUTES,
  RESIDENCIES,
  STUDY_LEVELS,
  type ItemView,
  type ReviewView,
  type RegistrationStatusView,
} from '../../workflows/registration/api';

const iso = z.string().meta({ description: 'ISO-8601 instant', example: '2027-08-20T15:59:59.999Z' });

export const ApplicationNo = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$/, 'not an application number')
  .meta({ description: "Application number (the registration's key)", example: 'A2027000123' });

/**
 * An application number as a student types it on the signed-out page: the
 * stored numbers are upper case (the import writes them so), and a student who
 * types "a2027000123" means the same registration (docs/domain.md, "The student
 * record and the cohort").
 */
export const TypedApplicationNo = ApplicationNo.toUpperCase();

export const ItemKeyParam = z
  .string()
  .regex(/^(ACTIVATION|FORM|ID_DOCUMENT|VISA|TUITION_RECEIPT|PHOTO|SUPPLEMENTARY:[A-Z0-9_]+)$/, 'not a checklist item key')
  .meta({ description: 'Checklist item key, e.g. ID_DOCUMENT or SUPPLEMENTARY:FINAL_TRANSCRIPT', example: 'ID_DOCUMENT' });

export const RegistrationParams = z.object({ applicationNo: ApplicationNo });
/**
 * A read of the read model that must not be older than a change the caller has seen (its own action's, or a status
 * it read): docs/architecture.md, "Reading one's own change".
 */
export const SeenChangeQuery = z.object({
  seq: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .meta({
      description:
        "A change sequence number the caller has seen: an action's answer's `seq`, or a status's `seq` (its ETag's number). The answer holds that change. " +
        "A `seq` beyond the registration's latest change is 400 `VALIDATION_FAILED`, naming the latest (the workflow is asked while the read model is behind). " +
        'Without it the answer is the read model as it stands, which follows each change by a moment.',
    }),
});
export const ItemParams = z.object({ applicationNo: ApplicationNo, itemKey: ItemKeyParam });

const StudentRecordSchema = z
  .object({
    applicationNo: z.string(),
    name: z.string(),
    personalEmail: z.string(),
    programCode: z.string(),
    studyLevel: z.enum(STUDY_LEVELS),
    admissionRoute: z.enum(ADMISSION_ROUTES).optional(),
    residency: z.enum(RESIDENCIES),
    cohortId: z.string(),
  })
  .meta({ id: 'StudentRecord' });

/** Who added a file; the student's own view names no staff member (src/gateway/student-view.ts). */
export const UPLOADED_BY =
  "Who added the file: `student:<applicationNo>` or `staff:<name>`. In the student's own view only `student` or `staff` (staff upload on a student's behalf).";

const SubmissionSchema = z
  .object({
    version: z.number().int().meta({ description: 'The submission this file belongs to; its pages share it.' }),
    page: z.number().int().optional().meta({ description: 'Its number among the pages added to this version (absent: page 1, a file sent alone).' }),
    at: iso,
    sentAt: iso.optional().meta({ description: 'When its submission was sent for review, if later than `at`.' }),
    sha256: z.string(),
    size: z.number().int(),
    mediaType: z.string(),
    originalName: z.string(),
    documentId: z.string().optional(),
    uploadedBy: z.string().meta({ description: UPLOADED_BY }),
    imageWidth: z.number().int().optional(),
    imageHeight: z.number().int().optional(),
  })
  .meta({ id: 'Submission' });

const ReviewSchema = z
  .object({
    decision: z.enum(['VERIFIED', 'REJECTED', 'WAIVED']),
    actor: z.string().optional().meta({ description: "Who decided. Staff only: absent from the student's own view." }),
    at: iso,
    reasonCode: z.enum(REJECTION_REASONS).optional(),
    note: z.string().optional().meta({
      description:
        "A rejection's note or a waiver's reason, both shown to the student; a verification's note is for staff only (absent from the student's view).",
    }),
    seq: z.number().int(),
  })
  .meta({ id: 'Review' });

export const ItemViewSchema = z
  .object({
    key: z.string(),
    kind: z.enum(ITEM_KINDS),
    label: z.string(),
    compulsory: z.boolean(),
    dueBy: z.enum(['REGISTRATION', 'PAYMENT']).nullable(),
    state: z.enum(ITEM_STATES),
    submittedAt: iso.optional(),
    reviewedAt: iso.optional(),
    submissions: z.array(SubmissionSchema),
    draft: z.array(SubmissionSchema).meta({ description: 'Pages added to the next submission and not yet sent for review.' }),
    reviews: z.array(ReviewSchema),
    expectedVerificationBy: iso.optional(),
    expectedVerificationDate: z.string().optional().meta({ description: 'Hong Kong date by which verification is expected' }),
    slaBreached: z.boolean().optional(),
    resubmitBy: iso.optional(),
    flag: z.string().optional().meta({
      description:
        "Something staff must look at before deciding, e.g. a payment that does not match the student's fee. Staff only: absent from the student's view.",
    }),
    partPaid: z.object({ received: z.number(), fee: z.number(), outstanding: z.number(), currency: z.string() }).optional().meta({
      description: "The tuition fee paid in part: what was received on time, the fee and what is still to pay (the fee's currency). The item is still owed.",
    }),
    seq: z
      .number()
      .int()
      .optional()
      .meta({
        description:
          "In an action's answer (not in a status's items): the registration's change sequence number once the action was answered. " +
          'Pass it as `seq` to the status, the documents list or the audit trail to read them with this change in.',
      }),
  })
  // The reviewer is optional: the student's view leaves it out (src/gateway/student-view.ts).
  .meta({ id: 'ChecklistItem' }) satisfies z.ZodType<
  Omit<ItemView, 'key' | 'reviews'> & { key: string; reviews: (Omit<ReviewView, 'actor'> & { actor?: string })[] }
>;

const EmailSchema = z
  .object({
    kind: z.enum(EMAIL_KINDS),
    idempotencyKey: z.string(),
    to: z.array(z.string()),
    subject: z.string(),
    delivery: z.enum(['SENT', 'OUTBOX', 'FAILED']),
    at: iso,
    error: z.string().optional(),
  })
  .meta({ id: 'EmailRecord' });

const SubmittedFormSchema = z
  .object({
    legalName: z.string(),
    preferredName: z.string().optional(),
    chineseName: z.string().optional(),
    dateOfBirth: z.string(),
    nationality: z.string(),
    phone: z.string(),
    correspondenceAddress: z.string(),
    emergencyContact: z.object({ name: z.string(), relationship: z.string(), phone: z.string() }),
    picsConsent: z.boolean(),
  })
  .meta({ id: 'SubmittedForm', description: 'The form as submitted, with any staff corrections.' });

const PolicyNumbersSchema = z
  .object({
    verificationSlaWorkingDays: z.number().int(),
    resubmissionWindowDays: z.number(),
    reminderDaysBefore: z.array(z.number()),
  })
  .meta({ id: 'PolicyNumbers', description: "The cohort's policy numbers: pages and emails render these." });

const DeadlineChangeSchema = z.object({ deadline: z.enum(['REGISTRATION', 'PAYMENT']), from: iso, until: iso, at: iso }).meta({ id: 'DeadlineChange' });

export const StatusViewSchema = z
  .object({
    applicationNo: z.string(),
    workflowId: z.string(),
    student: StudentRecordSchema,
    universityEmail: z.string().optional(),
    personalEmailProblem: z
      .object({ address: z.string(), problem: z.enum(['BOUNCED', 'COMPLAINED']), at: z.string() })
      .optional()
      .meta({ description: 'Mail to the personal email bounced for good or was marked as spam; no reminder goes there until staff correct it.' }),
    status: z.enum(REGISTRATION_STATUSES),
    outcome: z
      .object({ status: z.enum(REGISTRATION_STATUSES), reason: z.enum(OUTCOME_REASONS), items: z.array(z.string()), detail: z.string(), at: iso })
      .optional(),
    deadlines: z.object({ registration: iso, payment: iso.optional(), registrationPassed: z.boolean(), paymentPassed: z.boolean() }),
    deadlineChanges: z.array(DeadlineChangeSchema).describe('The latest extensions (at most 10), oldest first.'),
    deadlineChangesOmitted: z.number().int().describe('Earlier extensions not listed (they are in the audit trail).'),
    policy: PolicyNumbersSchema,
    form: SubmittedFormSchema.optional(),
    items: z.array(ItemViewSchema),
    outstandingItems: z.array(z.string()),
    cardReady: z.boolean(),
    emails: z.array(EmailSchema).describe('The latest emails (at most 50), oldest first.'),
    emailsOmitted: z.number().int().describe('Earlier emails not listed (they are in the email log).'),
    seq: z.number().int(),
  })
  .meta({ id: 'RegistrationStatus', description: 'Live status, answered by the registration workflow itself.' }) satisfies z.ZodType<
  Omit<RegistrationStatusView, 'items' | 'outstandingItems' | 'outcome'> & { items: unknown[]; outstandingItems: string[] }
>;

export const pageQuery = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
};

interface PageRequest {
  page: number;
  pageSize: number;
}
/** The rows of the requested page (Prisma's skip/take). */
export const pageWindow = (q: PageRequest) => ({ skip: (q.page - 1) * q.pageSize, take: q.pageSize });
/** A page in the shape `pageOf` describes. */
export const pageResult = <I>(items: I[], total: number, q: PageRequest) => ({ items, total, page: q.page, pageSize: q.pageSize });

export const pageOf = <T extends z.ZodType>(item: T, id: string) =>
  z.object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() }).meta({ id });

/** `?overdue=true` style flags: only "true"/"1" mean yes. */
export const flag = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .optional();

// ---------------------------------------------------------------------------
// Cohort import (routes/imports.ts; the staff pages read its type)
// ---------------------------------------------------------------------------

const RejectedRowSchema = z
  .object({
    line: z.number().int(),
    applicationNo: z.string().optional(),
    reasons: z.array(z.string()).meta({ description: 'Each as `column: what is wrong`, in words.' }),
  })
  .meta({ id: 'RejectedRow' });

export const ImportPreviewSchema = z
  .object({
    sha256: z.string().meta({ description: 'The checked file: POST /api/imports?sha256=… imports this file and refuses any other (409 IMPORT_CHANGED).' }),
    total: z.number().int().meta({ description: 'Rows in the file.' }),
    cohortIds: z.array(z.string()),
    newRegistrations: z.number().int().meta({ description: 'Registrations the import would start.' }),
    alreadyRegistered: z.array(z.string()).meta({ description: 'Application numbers of valid rows already registered: nothing is started for them.' }),
    refused: z.array(RejectedRowSchema).meta({ description: 'Rows the import would refuse, each with its reasons in words.' }),
    invitationEmails: z.number().int().meta({ description: 'Invitation emails the import would send (one per new registration).' }),
    refusedWhole: z
      .object({ reason: z.string(), rows: z.array(RejectedRowSchema) })
      .nullable()
      .meta({
        description:
          'Why the import would be refused whole (students who owe the tuition fee without a known one), with the rows to correct; null when it would go ahead.',
      }),
  })
  .meta({ id: 'ImportPreview' });

export const ImportJobSchema = z
  .object({
    id: z.string(),
    status: z.enum(['RUNNING', 'DONE', 'FAILED']),
    total: z.number().int().meta({ description: 'Rows in the file.' }),
    valid: z.number().int(),
    started: z.number().int().meta({ description: 'Registrations this import started.' }),
    existing: z.number().int().meta({ description: 'Valid rows whose registration already existed (nothing started).' }),
    failed: z.number().int().meta({ description: 'Starts that failed; import the file again to retry them.' }),
    cohortIds: z.array(z.string()),
    sha256: z.string(),
    source: z.string().nullable(),
    actor: z.string(),
    rejected: z.array(RejectedRowSchema),
    failures: z.array(z.object({ applicationNo: z.string(), error: z.string() })),
    duplicateOf: z.string().nullable().meta({ description: 'An earlier import of the very same file.' }),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'ImportJob' });
