/**
 * Admitted students, as a registry exports them: CSV (one row per student,
 * header row required) or JSON. Each row is validated on its own; a bad row is
 * reported with its line and reasons and the others still import.
 *
 * Columns: applicationNo, name, personalEmail, programCode, studyLevel
 * (UG|TPG|RPG), admissionRoute (JUPAS|NON_JUPAS, undergraduates only),
 * residency (LOCAL|NON_LOCAL), cohortId, registrationDeadline, paymentDeadline
 * (optional), supplementary (optional: document codes the student still owes,
 * separated by ";", e.g. FINAL_TRANSCRIPT;GRADUATION_CERTIFICATE), tuitionFee
 * (optional: the student's fee as an amount and its ISO 4217 currency, e.g.
 * `42100 HKD`; in JSON also `{ "amount": 42100, "currency": "HKD" }`).
 * Deadlines are ISO instants, or a date meaning the end of that day in Hong Kong.
 *
 * Every student who owes the fee needs a known one (docs/domain.md, The
 * tuition fee): the row's, else the import's `policy.tuitionFee`. An import
 * that leaves such a student without one is refused whole (UnknownTuitionFees),
 * since it is the file or its policy that is wrong, not one row.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import {
  ADMISSION_ROUTES,
  RESIDENCIES,
  STUDY_LEVELS,
  type CohortPolicy,
  type RegistrationInput,
  type StudentRecord,
  type SupplementaryItemPolicy,
} from '../../workflows/registration/api';
import { buildChecklist } from '../../workflows/registration/checklist';
import { defaultCohortPolicy, SUPPLEMENTARY_DOCUMENTS } from '../../workflows/registration/policy';
import { endOfHongKongDay } from '../hong-kong-time';
import { text } from '../text';
import { textProblem } from '../../workflows/registration/text';
import { plainReasons } from './plain-reasons';

export const CSV_COLUMNS = [
  'applicationNo',
  'name',
  'personalEmail',
  'programCode',
  'studyLevel',
  'admissionRoute',
  'residency',
  'cohortId',
  'registrationDeadline',
  'paymentDeadline',
  'supplementary',
  'tuitionFee',
] as const;

/** Columns a file may leave out. */
export const OPTIONAL_CSV_COLUMNS: ReadonlyArray<(typeof CSV_COLUMNS)[number]> = ['admissionRoute', 'paymentDeadline', 'supplementary', 'tuitionFee'];

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const upper = (v: unknown) => (typeof v === 'string' ? v.trim().toUpperCase() : v);

/** `2027-08-20` → the end of that day in Hong Kong; anything else must be an ISO instant with an offset. */
const deadline = z.preprocess(
  blankToUndefined,
  z
    .string()
    .trim()
    .transform((s, ctx) => {
      const iso = /^\d{4}-\d{2}-\d{2}$/.test(s) ? endOfHongKongDay(s) : s;
      const ms = /^\d{4}-\d{2}-\d{2}T/.test(iso) ? Date.parse(iso) : NaN;
      // Date.parse rolls 2027-02-30 over to 2 March: a date that is not on the calendar is malformed.
      if (Number.isNaN(ms) || !isCalendarDate(iso.slice(0, 10))) {
        ctx.addIssue({ code: 'custom', message: 'must be a date (YYYY-MM-DD) or an ISO instant with offset' });
        return z.NEVER;
      }
      return new Date(ms).toISOString();
    }),
);

function isCalendarDate(ymd: string): boolean {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const FEE_FORMAT = 'an amount and its currency, e.g. "42100 HKD"';

/** A tuition fee as the policy holds it (CohortPolicy.tuitionFee): the import's and each row's. */
const TuitionFeeSchema = z.object(
  {
    amount: z.number().positive().max(10_000_000),
    currency: text().regex(/^[A-Z]{3}$/, 'ISO 4217, e.g. HKD'),
  },
  { error: FEE_FORMAT },
);

/** `42100 HKD` (a CSV cell) → `{ amount: 42100, currency: 'HKD' }`; an object (JSON) is taken as it is. */
const rowTuitionFee = z.preprocess((v) => {
  const value = blankToUndefined(v);
  if (typeof value !== 'string') return value;
  const m = /^(\d+(?:\.\d{1,2})?) ?([A-Z]{3})$/.exec(value.trim().toUpperCase());
  return m ? { amount: Number(m[1]), currency: m[2] } : value;
}, TuitionFeeSchema.optional());

export const StudentRowSchema = z
  .object({
    applicationNo: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$/, '3–40 letters, digits, "-" or "_"')
      // Stored in upper case, the one form every lookup by a typed number uses (docs/domain.md).
      .toUpperCase(),
    name: text().trim().min(1).max(200),
    personalEmail: z.string().trim().toLowerCase().pipe(z.email()),
    programCode: z.preprocess(upper, z.string().regex(/^[A-Z0-9-]{2,20}$/, '2–20 letters, digits or "-"')),
    studyLevel: z.preprocess(upper, z.enum(STUDY_LEVELS)),
    admissionRoute: z.preprocess((v) => upper(blankToUndefined(v)), z.enum(ADMISSION_ROUTES).optional()),
    residency: z.preprocess(upper, z.enum(RESIDENCIES)),
    cohortId: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, "-" or "_"'),
    registrationDeadline: deadline,
    // A blank cell is no payment deadline (the outer step: `deadline` alone turns '' into a missing string).
    paymentDeadline: z.preprocess(blankToUndefined, deadline.optional()),
    supplementary: z.preprocess(
      (v) =>
        typeof v === 'string'
          ? v
              .split(/[;,]/)
              .map((s) => s.trim().toUpperCase())
              .filter(Boolean)
          : (blankToUndefined(v) ?? []),
      z.array(text()).default([]),
    ),
    tuitionFee: rowTuitionFee.meta({
      description: 'This student\'s tuition fee (e.g. by program); overrides the import\'s policy.tuitionFee. In CSV: "42100 HKD".',
    }),
  })
  .superRefine((row, ctx) => {
    if (row.studyLevel === 'UG' && !row.admissionRoute) {
      ctx.addIssue({ code: 'custom', path: ['admissionRoute'], message: 'required for undergraduates (JUPAS or NON_JUPAS)' });
    }
    if (row.studyLevel !== 'UG' && row.admissionRoute) {
      ctx.addIssue({ code: 'custom', path: ['admissionRoute'], message: 'only undergraduates have an admission route' });
    }
    for (const code of row.supplementary) {
      if (!(code in SUPPLEMENTARY_DOCUMENTS)) {
        ctx.addIssue({
          code: 'custom',
          path: ['supplementary'],
          message: `unknown document code ${code} (known: ${Object.keys(SUPPLEMENTARY_DOCUMENTS).join(', ')})`,
        });
      }
    }
  })
  .meta({ id: 'StudentRow', description: 'One admitted student.' });

export type StudentRow = z.output<typeof StudentRowSchema>;

/** Policy settings an import may set for every cohort in it (the deadlines come from the rows). */
export const PolicyOverridesSchema = z
  .object({
    reminderOffsets: z.array(z.string().regex(/^\d+\s*(days?|hours?|d|h)$/)).optional(),
    resubmissionWindow: z
      .string()
      .regex(/^\d+\s*(days?|d)$/)
      .optional(),
    verificationSlaWorkingDays: z.number().int().min(1).max(60).optional(),
    compulsorySupplementary: z.array(text()).optional().meta({ description: 'Supplementary codes that are compulsory by the deadline (default: none).' }),
    tuitionFee: TuitionFeeSchema.optional().meta({
      description: "The cohort's tuition fee a payment must match (amount and currency) to settle the fee, for rows without a tuitionFee of their own.",
    }),
  })
  .meta({ id: 'PolicyOverrides' });
export type PolicyOverrides = z.output<typeof PolicyOverridesSchema>;

export interface RejectedRow {
  /** 1-based line in the CSV (the header is line 1), or 1-based index in a JSON list. */
  line: number;
  applicationNo?: string;
  reasons: string[];
}

/** A row that would start a student who owes the fee without a known fee. */
export interface UnknownFeeRow {
  line: number;
  applicationNo: string;
  field: 'tuitionFee';
  message: string;
}

/** The import would leave students who owe the fee without a known fee: refused whole, nothing written. */
export class UnknownTuitionFees extends Error {
  constructor(readonly rows: UnknownFeeRow[]) {
    super(
      `${rows.length} student${rows.length === 1 ? '' : 's'} owe${rows.length === 1 ? 's' : ''} the tuition fee but ha${rows.length === 1 ? 's' : 've'} no known fee ` +
        `(line${rows.length === 1 ? '' : 's'} ${rows.map((r) => r.line).join(', ')}): give each a tuitionFee (e.g. "42100 HKD"), or the import a policy.tuitionFee for the cohort.`,
    );
    this.name = 'UnknownTuitionFees';
  }
}

export interface CohortSettings {
  id: string;
  registrationDeadline: string;
  paymentDeadline?: string;
  policy: CohortPolicy;
}

export interface ParsedImport {
  students: RegistrationInput[];
  cohorts: CohortSettings[];
  rejected: RejectedRow[];
  /** Valid rows whose student owes the fee without a known one: the import must be refused (UnknownTuitionFees). */
  unknownFees: UnknownFeeRow[];
  total: number;
}

export class ImportFormatError extends Error {}

/** CSV text → raw rows with their line numbers. Throws ImportFormatError when the file is not a usable CSV. */
function csvRows(text: string): Array<{ line: number; raw: Record<string, unknown> }> {
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parseCsv(text, { columns: true, bom: true, skip_empty_lines: true, trim: true, info: true, relax_column_count: true });
  } catch (e) {
    throw new ImportFormatError(`not a readable CSV: ${(e as Error).message}`);
  }
  const header = Object.keys(records[0]?.record ?? {});
  if (!records.length) throw new ImportFormatError('the file has no student rows');
  const missing = CSV_COLUMNS.filter((c) => !OPTIONAL_CSV_COLUMNS.includes(c) && !header.includes(c));
  if (missing.length) throw new ImportFormatError(`missing columns: ${missing.join(', ')}`);
  return records.map(({ record, info }) => ({ line: info.lines, raw: record }));
}

/** Validates rows one by one and builds each student's workflow input and the cohorts' settings. */
function validateRows(rows: Array<{ line: number; raw: unknown }>, overrides: PolicyOverrides = {}, now = Date.now()): ParsedImport {
  const students: RegistrationInput[] = [];
  const rejected: RejectedRow[] = [];
  const unknownFees: UnknownFeeRow[] = [];
  const cohorts = new Map<string, CohortSettings & { line: number }>();
  const seen = new Map<string, number>();

  for (const { line, raw } of rows) {
    // With each issue's input, so a blank cell reads "is missing" rather than a complaint about its length.
    const parsed = StudentRowSchema.safeParse(raw, { reportInput: true });
    const rawNo = (raw as { applicationNo?: unknown })?.applicationNo;
    // Echoed in the report (stored as JSON): only if it is text PostgreSQL can keep.
    const applicationNo = typeof rawNo === 'string' && !textProblem(rawNo) ? rawNo.trim() || undefined : undefined;
    if (!parsed.success) {
      rejected.push({ line, applicationNo, reasons: plainReasons(parsed.error.issues) });
      continue;
    }
    const row = parsed.data;
    const reasons: string[] = [];
    const first = seen.get(row.applicationNo);
    if (first !== undefined) reasons.push(`applicationNo: duplicate of line ${first}`);
    if (Date.parse(row.registrationDeadline) <= now) reasons.push('registrationDeadline: has already passed');
    // A payment deadline in the past would withdraw every fee-paying student at the first wake-up.
    if (row.paymentDeadline && Date.parse(row.paymentDeadline) <= now) reasons.push('paymentDeadline: has already passed');
    const cohort = cohorts.get(row.cohortId);
    if (cohort) {
      if (cohort.registrationDeadline !== row.registrationDeadline) {
        reasons.push(`registrationDeadline: cohort ${row.cohortId} has ${cohort.registrationDeadline} (line ${cohort.line})`);
      }
      if (cohort.paymentDeadline !== row.paymentDeadline) {
        reasons.push(`paymentDeadline: cohort ${row.cohortId} has ${cohort.paymentDeadline ?? 'none'} (line ${cohort.line})`);
      }
    }
    if (reasons.length) {
      rejected.push({ line, applicationNo: row.applicationNo, reasons });
      continue;
    }
    seen.set(row.applicationNo, line);
    const settings = cohort ?? { ...cohortSettings(row, overrides), line };
    cohorts.set(row.cohortId, settings);
    const input: RegistrationInput = {
      student: studentRecord(row),
      policy: {
        ...settings.policy,
        supplementaryItems: supplementaryItems(row.supplementary, overrides),
        ...(row.tuitionFee ? { tuitionFee: row.tuitionFee } : {}),
      },
    };
    // Who owes the fee is the checklist's rule (checklist.ts), asked here rather than restated.
    if (!input.policy.tuitionFee && buildChecklist(input.student, input.policy).some((i) => i.kind === 'TUITION_RECEIPT')) {
      unknownFees.push({ line, applicationNo: row.applicationNo, field: 'tuitionFee', message: 'the student owes the tuition fee and no fee is known' });
    }
    students.push(input);
  }
  return { students, rejected, unknownFees, total: rows.length, cohorts: [...cohorts.values()].map(({ line: _line, ...c }) => c) };
}

function studentRecord(row: StudentRow): StudentRecord {
  return {
    applicationNo: row.applicationNo,
    name: row.name,
    personalEmail: row.personalEmail,
    programCode: row.programCode,
    studyLevel: row.studyLevel,
    ...(row.admissionRoute ? { admissionRoute: row.admissionRoute } : {}),
    residency: row.residency,
    cohortId: row.cohortId,
  };
}

function cohortSettings(row: StudentRow, overrides: PolicyOverrides): CohortSettings {
  const { compulsorySupplementary: _c, ...policyOverrides } = overrides;
  const policy = defaultCohortPolicy(row.registrationDeadline, {
    ...(row.paymentDeadline ? { paymentDeadline: row.paymentDeadline } : {}),
    ...(policyOverrides as Partial<CohortPolicy>),
  });
  return { id: row.cohortId, registrationDeadline: row.registrationDeadline, paymentDeadline: row.paymentDeadline, policy };
}

function supplementaryItems(codes: string[], overrides: PolicyOverrides): SupplementaryItemPolicy[] {
  return codes.map((code) => ({
    code,
    label: SUPPLEMENTARY_DOCUMENTS[code]!,
    ...(overrides.compulsorySupplementary?.includes(code) ? { compulsory: true } : {}),
  }));
}

export const parseCsvImport = (text: string, overrides?: PolicyOverrides, now?: number): ParsedImport => validateRows(csvRows(text), overrides, now);

export const parseJsonImport = (students: unknown[], overrides?: PolicyOverrides, now?: number): ParsedImport =>
  validateRows(
    students.map((raw, i) => ({ line: i + 1, raw })),
    overrides,
    now,
  );
