/**
 * The import's records and its pages. The job (ImportJob) and its valid rows
 * (ImportRow, file order) are written by the starter (`createImportJob`, from
 * the gateway or the CLI); the import workflow's activities then start the
 * rows page by page (`startPage`) and close the job (`closeImportJob`).
 * Idempotent by construction: the workflow id is the application number, so a
 * row whose workflow already exists counts as `existing` and starts nothing;
 * a page run again after a crash, or the same file imported again, only
 * starts what is missing.
 */
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { PrismaClient } from '../db/prisma';
import type { ImportCounts, ImportPage } from '../../workflows/import/api';
import type { RegistrationInput } from '../../workflows/registration/api';
import type { ParsedImport, RejectedRow } from './rows';

/** Starts one registration for an import; 'existing' when its workflow was already there before this import. */
export type StartRegistration = (input: RegistrationInput, importId: string) => Promise<'started' | 'existing'>;

export interface ImportProgress extends ImportCounts {
  id: string;
  status: 'RUNNING' | 'DONE' | 'FAILED';
  total: number;
  valid: number;
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

const STAGE_CHUNK = 1000;

/**
 * Records the import (its cohorts' settings, the job, the valid rows for the workflow to start),
 * in one transaction: the workflow sees all of it or none.
 */
export async function createImportJob(
  prisma: PrismaClient,
  parsed: ParsedImport,
  meta: { id: string; sha256: string; actor: string; source?: string },
): Promise<ImportReport> {
  const earlier = await prisma.importJob.findFirst({ where: { sha256: meta.sha256 }, orderBy: { createdAt: 'asc' } });
  const job = await prisma.$transaction(
    async (tx) => {
      for (const c of parsed.cohorts) {
        const data = {
          registrationDeadline: new Date(c.registrationDeadline),
          paymentDeadline: c.paymentDeadline ? new Date(c.paymentDeadline) : null,
          policy: c.policy as object,
        };
        await tx.cohort.upsert({ where: { id: c.id }, create: { id: c.id, ...data }, update: data });
      }
      const row = await tx.importJob.create({
        data: {
          id: meta.id,
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
      for (let i = 0; i < parsed.students.length; i += STAGE_CHUNK) {
        await tx.importRow.createMany({
          data: parsed.students.slice(i, i + STAGE_CHUNK).map((input, j) => ({ importId: meta.id, index: i + j, input: input as object })),
        });
      }
      return row;
    },
    { timeout: 60_000, maxWait: 30_000 },
  );
  return { ...toReport(job, parsed.students.length), duplicateOf: earlier?.id ?? null };
}

/** How long one attempt of `openImportJob` looks for the job, at these intervals, before it throws. */
const OPEN_WAITS_MS = [25, 50, 100, 200, 400, 800];

/**
 * What the workflow needs to page through the job; throws until the starter has recorded it. The starter
 * records the job just after starting the workflow, and on a queue of its own the workflow asks for it
 * within milliseconds, usually before that transaction commits: each attempt looks again for about
 * 1.5 s, rather than leaving it to the activity's retry a second later.
 */
export async function openImportJob(prisma: PrismaClient, importId: string): Promise<{ valid: number }> {
  for (const wait of [...OPEN_WAITS_MS, undefined]) {
    const job = await prisma.importJob.findUnique({ where: { id: importId }, select: { id: true } });
    if (job) return { valid: await prisma.importRow.count({ where: { importId } }) };
    if (wait !== undefined) await delay(wait);
  }
  throw new Error(`import ${importId} is not recorded (yet)`);
}

const PROGRESS_EVERY_MS = 250;
const KEEPALIVE_MS = 5_000;

export interface PageDeps {
  prisma: PrismaClient;
  start: StartRegistration;
  concurrency: number;
}

/**
 * Worker options the import pages need. A page's heartbeat is its resume position: sent every 2 s
 * rather than the SDK's default (80% of the 30 s heartbeat timeout), so a page resumed after a crash
 * redoes seconds of rows, not half a minute. Every worker that runs the import activities spreads these.
 */
export const IMPORT_WORKER_OPTIONS = { maxHeartbeatThrottleInterval: '2 seconds' } as const;

/** Where a page run had got to: every row before `next` is counted in `counts`. */
export interface PagePosition {
  next: number;
  counts: ImportCounts;
}

/** A page's first row, nothing counted yet. */
export const PAGE_START: PagePosition = Object.freeze({ next: 0, counts: Object.freeze({ started: 0, existing: 0, failed: 0 }) });

/**
 * Starts one page of the staged rows with a sliding window of `concurrency` starts in flight.
 * `resumeFrom` (the last heartbeat of a run that died) skips the rows it had finished;
 * `heartbeat` is told the position after every row, and the job row gets `before + page`
 * every 250 ms, so the API and the progress bar see it move.
 */
export async function startPage(
  deps: PageDeps,
  page: ImportPage,
  resumeFrom: PagePosition | undefined,
  heartbeat: (position: PagePosition) => void,
  cancelled: () => boolean = () => false,
): Promise<ImportCounts> {
  const from = resumeFrom ?? PAGE_START;
  // At once: reading the page may wait for a database connection, and the heartbeat timeout runs meanwhile.
  heartbeat(from);
  const rows = await deps.prisma.importRow.findMany({
    where: { importId: page.importId, index: { gte: page.offset, lt: page.offset + page.limit } },
    orderBy: { index: 'asc' },
  });
  const inputs = rows.map((r) => r.input as unknown as RegistrationInput);
  const skip = Math.min(from.next, inputs.length);
  const base = from.counts;
  const results: Array<keyof ImportCounts | undefined> = new Array(inputs.length);
  const failures: Array<{ applicationNo: string; error: string }> = [];

  // Students the read model already holds were started before: no need to ask Temporal again. (The others are
  // asked; a start of an existing id is refused there, so this is only a shortcut.) Not on a resumed page: there
  // the attempt that died may have started rows after its last heartbeat, and only Temporal knows who started them.
  const known = resumeFrom
    ? new Set<string>()
    : await alreadyProjected(
        deps.prisma,
        inputs.slice(skip).map((s) => s.student.applicationNo),
      );

  // The position heartbeated is the contiguous prefix of finished rows: a resumed run redoes
  // only what came after it (a start it repeats comes back as `existing`).
  let watermark = skip;
  const prefix = { ...base };
  const live = { ...base };
  const advance = () => {
    while (watermark < inputs.length && results[watermark] !== undefined) {
      prefix[results[watermark]!]++;
      watermark++;
    }
    heartbeat({ next: watermark, counts: { ...prefix } });
  };
  // Starts slowed by a loaded server can each take longer than the heartbeat timeout while this worker is
  // well: the position is sent again on a timer, so only a dead worker lets another attempt take the page over.
  const alive = setInterval(() => heartbeat({ next: watermark, counts: { ...prefix } }), KEEPALIVE_MS);

  let lastWrite = 0;
  let writing: Promise<unknown> = Promise.resolve();
  const writeProgress = (force = false) => {
    const now = Date.now();
    if (!force && now - lastWrite < PROGRESS_EVERY_MS) return writing;
    lastWrite = now;
    const total = add(page.before, live);
    // Only while the job runs, and never from an attempt that was taken over: a stale attempt's last write
    // arriving after the job closed would overwrite its final counts.
    writing = writing
      .then((): unknown => cancelled() || deps.prisma.importJob.updateMany({ where: { id: page.importId, status: 'RUNNING' }, data: total }))
      .catch(() => {});
    return writing;
  };

  let next = skip;
  const lane = async () => {
    // A cancelled attempt (its heartbeat timed out, so another attempt has taken the page over) stops starting rows.
    while (next < inputs.length && !cancelled()) {
      const i = next++;
      const input = inputs[i]!;
      let result: keyof ImportCounts;
      if (known.has(input.student.applicationNo)) result = 'existing';
      else {
        try {
          result = await deps.start(input, page.importId);
        } catch (e) {
          result = 'failed';
          failures.push({ applicationNo: input.student.applicationNo, error: (e as Error).message });
        }
      }
      results[i] = result;
      live[result]++;
      advance();
      void writeProgress();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.concurrency, inputs.length - skip)) }, lane));
  } finally {
    clearInterval(alive);
  }
  await writeProgress(true);
  if (failures.length) await recordFailures(deps.prisma, page.importId, failures);
  return add(page.before, live);
}

/** Appends a page's failures to the job (once per application number, should the page run twice). */
async function recordFailures(prisma: PrismaClient, importId: string, failures: Array<{ applicationNo: string; error: string }>): Promise<void> {
  const job = await prisma.importJob.findUniqueOrThrow({ where: { id: importId }, select: { failures: true } });
  const earlier = job.failures as unknown as Array<{ applicationNo: string; error: string }>;
  const seen = new Set(earlier.map((f) => f.applicationNo));
  await prisma.importJob.update({ where: { id: importId }, data: { failures: [...earlier, ...failures.filter((f) => !seen.has(f.applicationNo))] } });
}

/** The job's final counts and status; its staged rows are no longer needed. */
export async function closeImportJob(prisma: PrismaClient, importId: string, status: 'DONE' | 'FAILED', counts: ImportCounts): Promise<void> {
  // Two plain statements, no transaction: under load a transaction waits for a connection of its own, and
  // both are idempotent, so a retry after a failure between them finishes the job. The rows go first: whoever
  // sees the job finished (the API, the CLI) must find nothing of it left staged.
  await prisma.importRow.deleteMany({ where: { importId } });
  await prisma.importJob.update({ where: { id: importId }, data: { ...counts, status, finishedAt: new Date() } });
}

const add = (a: ImportCounts, b: ImportCounts): ImportCounts => ({
  started: a.started + b.started,
  existing: a.existing + b.existing,
  failed: a.failed + b.failed,
});

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
