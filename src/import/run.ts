/**
 * Starting the registrations of an import: one workflow per valid row, a
 * bounded number in flight, progress written to the ImportJob row as it goes.
 * Idempotent by construction: the workflow id is the application number, so a
 * row whose workflow already exists counts as `existing` and starts nothing;
 * importing the same file again (or after a crash) only starts what is missing.
 */
import { createHash } from 'node:crypto';
import type { PrismaClient } from '../db/prisma';
import type { RegistrationInput } from '../../workflows/registration/api';
import { assertCohortsUnchanged } from './cohort-policy';
import type { ParsedImport, RejectedRow } from './rows';

/** Starts one registration; 'existing' when its workflow was already started. */
export type StartRegistration = (input: RegistrationInput) => Promise<'started' | 'existing'>;

export interface ImportProgress {
  id: string;
  status: 'RUNNING' | 'DONE' | 'FAILED';
  total: number;
  valid: number;
  started: number;
  existing: number;
  failed: number;
}

export interface ImportReport extends ImportProgress {
  cohortIds: string[];
  sha256: string;
  source: string | null;
  actor: string;
  rejected: RejectedRow[];
  failures: Array<{ applicationNo: string; error: string }>;
  /** An earlier import of the very same file, if any. */
  duplicateOf: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export const sha256Of = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');

/** Records the import (and its cohorts' settings) before anything starts, so its progress can be watched. */
export async function createImportJob(
  prisma: PrismaClient,
  parsed: ParsedImport,
  meta: { sha256: string; actor: string; source?: string },
): Promise<ImportReport> {
  const earlier = await prisma.importJob.findFirst({ where: { sha256: meta.sha256 }, orderBy: { createdAt: 'asc' } });
  await assertCohortsUnchanged(prisma, parsed.cohorts);
  for (const c of parsed.cohorts) {
    const data = {
      registrationDeadline: new Date(c.registrationDeadline),
      paymentDeadline: c.paymentDeadline ? new Date(c.paymentDeadline) : null,
      policy: c.policy as object,
    };
    await prisma.cohort.upsert({ where: { id: c.id }, create: { id: c.id, ...data }, update: data });
  }
  const job = await prisma.importJob.create({
    data: {
      cohortId: parsed.cohorts.map((c) => c.id).join(','),
      sha256: meta.sha256,
      actor: meta.actor,
      source: meta.source ?? null,
      total: parsed.total,
      started: 0,
      existing: 0,
      rejected: parsed.rejected as object[],
      status: parsed.students.length ? 'RUNNING' : 'DONE',
      finishedAt: parsed.students.length ? null : new Date(),
    },
  });
  return { ...toReport(job, parsed.students.length), duplicateOf: earlier?.id ?? null };
}

const PROGRESS_EVERY_MS = 250;

export async function runImport(
  deps: { prisma: PrismaClient; start: StartRegistration; concurrency: number },
  job: ImportReport,
  parsed: ParsedImport,
  onProgress?: (p: ImportProgress) => void,
): Promise<ImportReport> {
  const progress: ImportProgress = { ...job, started: 0, existing: 0, failed: 0 };
  const failures: Array<{ applicationNo: string; error: string }> = [];
  let lastWrite = 0;
  let writing: Promise<unknown> = Promise.resolve();
  const report = (force = false) => {
    onProgress?.({ ...progress });
    const now = Date.now();
    if (!force && now - lastWrite < PROGRESS_EVERY_MS) return;
    lastWrite = now;
    const { started, existing, failed } = progress;
    writing = writing.then(() => deps.prisma.importJob.update({ where: { id: job.id }, data: { started, existing, failed } })).catch(() => {});
  };

  // Students the read model already holds were started before: no need to ask Temporal again.
  // (The others are asked; a start of an existing id is refused there, so this is only a shortcut.)
  const known = await alreadyProjected(deps.prisma, parsed.students.map((s) => s.student.applicationNo));
  const toStart = parsed.students.filter((s) => !known.has(s.student.applicationNo));
  progress.existing = known.size;
  if (known.size) report(true);

  let next = 0;
  const worker = async () => {
    while (next < toStart.length) {
      const input = toStart[next++]!;
      try {
        progress[await deps.start(input)]++;
      } catch (e) {
        progress.failed++;
        failures.push({ applicationNo: input.student.applicationNo, error: (e as Error).message });
      }
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.concurrency, toStart.length)) }, worker));
  await writing;

  progress.status = progress.failed ? 'FAILED' : 'DONE';
  const row = await deps.prisma.importJob.update({
    where: { id: job.id },
    data: {
      started: progress.started,
      existing: progress.existing,
      failed: progress.failed,
      failures,
      status: progress.status,
      finishedAt: new Date(),
    },
  });
  onProgress?.({ ...progress });
  return { ...toReport(row, parsed.students.length), duplicateOf: job.duplicateOf };
}

async function alreadyProjected(prisma: PrismaClient, applicationNos: string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (let i = 0; i < applicationNos.length; i += 1000) {
    const rows = await prisma.registration.findMany({ where: { applicationNo: { in: applicationNos.slice(i, i + 1000) } }, select: { applicationNo: true } });
    for (const r of rows) known.add(r.applicationNo);
  }
  return known;
}

type JobRow = Awaited<ReturnType<PrismaClient['importJob']['create']>>;

export function toReport(row: JobRow, valid?: number): Omit<ImportReport, 'duplicateOf'> {
  const rejected = row.rejected as unknown as RejectedRow[];
  return {
    id: row.id,
    status: row.status as ImportProgress['status'],
    total: row.total,
    valid: valid ?? row.total - rejected.length,
    started: row.started,
    existing: row.existing,
    failed: row.failed,
    cohortIds: row.cohortId ? row.cohortId.split(',') : [],
    sha256: row.sha256,
    source: row.source,
    actor: row.actor,
    rejected,
    failures: row.failures as unknown as ImportReport['failures'],
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  };
}
