/**
 * Cohort import, shared by the gateway (POST /api/imports) and the CLI
 * (`npm run import -- file.csv`): parse and validate the rows here, then hand
 * the valid ones to a Temporal workflow (workflows/import/workflow.ts), which
 * starts them in pages from a worker. The starter can go away at any moment
 * after that; the import finishes anyway.
 *
 * Order, so that no job is ever left RUNNING: the workflow is started first
 * (id `import-<sha256>`: the same file with the same settings imported again
 * while it runs is the same import), then the job and its rows are written in one transaction. A
 * starter that dies in between leaves a workflow that finds no job and ends
 * (ABANDONED), and no job row at all.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Config } from '../config';
import type { PrismaClient } from '../db/prisma';
import { importWorkflowId, type ImportOutcome } from '../../workflows/import/api';
import type { cohortImportWorkflow } from '../../workflows/import/workflow';
import { assertCohortsUnchanged, canonical } from './cohort-policy';
import { parseCsvImport, parseJsonImport, UnknownTuitionFees, type ParsedImport, type PolicyOverrides, type RejectedRow } from './rows';
import { createImportJob, sha256Of, toReport, type ImportProgress, type ImportReport } from './run';

export * from './file-type';
export * from './rows';
export * from './run';

export type ImportInput = { format: 'csv'; text: string; policy?: PolicyOverrides } | { format: 'json'; students: unknown[]; policy?: PolicyOverrides };

function parseImport(input: ImportInput): { parsed: ParsedImport; sha256: string } {
  if (input.format === 'csv') return { parsed: parseCsvImport(input.text, input.policy), sha256: importHash(input.text, input.policy) };
  return { parsed: parseJsonImport(input.students, input.policy), sha256: importHash(JSON.stringify(input.students), input.policy) };
}

/**
 * What names an import: its rows and the settings sent with them (the tuition fee, the deadlines a row leaves
 * out), since both decide what it does. A preview's hash then confirms both, and a running import is the same
 * import only for the same rows with the same settings. Without settings, the rows' own hash.
 */
function importHash(rows: string, policy: PolicyOverrides | undefined): string {
  return policy === undefined || Object.keys(policy).length === 0 ? sha256Of(rows) : sha256Of(`${rows}\n${canonical(policy)}`);
}

export interface ImportDeps {
  prisma: PrismaClient;
  temporal: Client;
  config: Pick<Config, 'importTaskQueue'>;
}

/** The file confirmed is not the file checked (its SHA-256 differs from the preview's). */
export class ImportChangedError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super('This is not the file that was checked: check it again before importing.');
    this.name = 'ImportChangedError';
  }
}

/**
 * What an import of the file would do, with nothing written and nothing started: every row
 * validated as the import validates it, the valid ones split into new registrations (each sends
 * one invitation email when its workflow starts, docs/domain.md) and students already registered.
 */
export interface ImportPreview {
  /** The hash of the file and the settings sent with it: the import confirmed with it (`?sha256=`) imports exactly these. */
  sha256: string;
  total: number;
  cohortIds: string[];
  newRegistrations: number;
  /**
   * Application numbers of valid rows whose registration the read model holds (nothing is started for them). One
   * started moments ago may not be there yet and counts as new here; its import then counts it as existing.
   */
  alreadyRegistered: string[];
  refused: RejectedRow[];
  invitationEmails: number;
  /**
   * Why the import would be refused whole, with the rows to blame (students who owe the tuition fee
   * without a known one, UnknownTuitionFees), or null: the rows above are then what it would do.
   */
  refusedWhole: { reason: string; rows: RejectedRow[] } | null;
}

/** Validates the file and counts what its import would do; a cohort whose settings differ refuses it (CohortPolicyConflict). */
export async function previewImport(prisma: PrismaClient, input: ImportInput): Promise<ImportPreview> {
  const { parsed, sha256 } = parseImport(input);
  await assertCohortsUnchanged(prisma, parsed.cohorts);
  const nos = parsed.students.map((s) => s.student.applicationNo);
  const existing = new Set<string>();
  for (let i = 0; i < nos.length; i += 1000) {
    const rows = await prisma.registration.findMany({ where: { applicationNo: { in: nos.slice(i, i + 1000) } }, select: { applicationNo: true } });
    for (const r of rows) existing.add(r.applicationNo);
  }
  const fresh = nos.length - existing.size;
  return {
    sha256,
    total: parsed.total,
    cohortIds: parsed.cohorts.map((c) => c.id),
    newRegistrations: fresh,
    alreadyRegistered: nos.filter((n) => existing.has(n)),
    refused: parsed.rejected,
    invitationEmails: fresh,
    refusedWhole: parsed.unknownFees.length
      ? {
          reason: new UnknownTuitionFees(parsed.unknownFees).message,
          rows: parsed.unknownFees.map((r) => ({ line: r.line, applicationNo: r.applicationNo, reasons: [`${r.field}: ${r.message}`] })),
        }
      : null,
  };
}

export interface BegunImport {
  job: ImportReport;
  /** false: the same file was already being imported; `job` is that import. */
  created: boolean;
}

/** Validates, starts the import workflow and records the job. Returns at once; the workflow does the rest. */
export async function beginImport(
  deps: ImportDeps,
  input: ImportInput,
  meta: { actor: string; source?: string; /** The checked file's hash (ImportPreview): any other file is refused. */ sha256?: string },
): Promise<BegunImport> {
  const { parsed, sha256 } = parseImport(input);
  if (meta.sha256 !== undefined && meta.sha256 !== sha256) throw new ImportChangedError(meta.sha256, sha256);
  // Refused whole before anything is written: a student who owes the fee needs a known fee (docs/domain.md).
  if (parsed.unknownFees.length) throw new UnknownTuitionFees(parsed.unknownFees);
  const running = await runningImport(deps.prisma, sha256);
  if (running) return { job: running, created: false };
  // Before the workflow starts: a refused import leaves nothing behind (no workflow waiting for its job).
  await assertCohortsUnchanged(deps.prisma, parsed.cohorts);
  const id = randomUUID();
  // Already started: either another starter's job is about to be recorded (that import is this one), or the
  // previous import of this file has closed its job and its workflow is about to complete (start again).
  for (let attempt = 0; parsed.students.length; attempt++) {
    try {
      await deps.temporal.workflow.start<typeof cohortImportWorkflow>('cohortImportWorkflow', {
        workflowId: importWorkflowId(sha256),
        // The import worker's queue: its pages never wait behind the registrations they start (docs/operations.md, Cohort import).
        taskQueue: deps.config.importTaskQueue,
        args: [{ importId: id }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        // A finished import of the same file may run again (it retries failed starts; the rest are `existing`).
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        staticSummary: `Cohort import ${meta.source ?? sha256.slice(0, 12)} (${parsed.students.length} students) by ${meta.actor}`,
      });
      break;
    } catch (e) {
      if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      const other = await runningImport(deps.prisma, sha256);
      if (other) return { job: other, created: false };
      if (attempt >= 100) throw new Error('this file is being imported by another process; try again shortly', { cause: e });
      await delay(200);
    }
  }
  return { job: await createImportJob(deps.prisma, parsed, { ...meta, id, sha256 }), created: true };
}

async function runningImport(prisma: PrismaClient, sha256: string): Promise<ImportReport | undefined> {
  const row = await prisma.importJob.findFirst({ where: { sha256, status: 'RUNNING' }, orderBy: { createdAt: 'desc' } });
  return row ? withDuplicateOf(prisma, toReport(row)) : undefined;
}

async function withDuplicateOf(prisma: PrismaClient, report: Omit<ImportReport, 'duplicateOf'>): Promise<ImportReport> {
  const earlier = await prisma.importJob.findFirst({
    where: { sha256: report.sha256, createdAt: { lt: report.createdAt } },
    orderBy: { createdAt: 'asc' },
  });
  return { ...report, duplicateOf: earlier?.id ?? null };
}

/** The job as it is now. */
export async function importReport(prisma: PrismaClient, id: string): Promise<ImportReport | undefined> {
  const row = await prisma.importJob.findUnique({ where: { id } });
  return row ? withDuplicateOf(prisma, toReport(row)) : undefined;
}

/**
 * Follows a job until it is finished (the CLI's progress bar, `?wait=true`): the job row is the
 * progress the workflow's activities project, so any process can watch any import.
 */
export async function watchImport(prisma: PrismaClient, id: string, onProgress?: (p: ImportProgress) => void, pollMs = 250): Promise<ImportReport> {
  for (;;) {
    const report = await importReport(prisma, id);
    if (!report) throw new Error(`import ${id} not found`);
    onProgress?.(report);
    if (report.status !== 'RUNNING') return report;
    await delay(pollMs);
  }
}

export type { ImportOutcome };
