/**
 * The cohort import workflow's activities (workflows/import/workflow.ts), and
 * the import worker that runs them with the workflow on a task queue of its
 * own (docs/operations.md, Cohort import). They start the registrations, with
 * a Temporal client of their own, on the registrations' task queue.
 */
import { CancelledFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from '../src/config';
import type { PrismaClient } from '../src/db/prisma';
import { IMPORT_WORKER_OPTIONS, PAGE_START, closeImportJob, openImportJob, startPage, type PagePosition } from '../src/import/run';
import { startOnQueue } from '../src/import/start';
import type { ImportCounts, ImportPage } from '../workflows/import/api';

export interface ImportActivityDeps {
  prisma: PrismaClient;
  temporal: Client;
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'IMPORT_CONCURRENCY'>;
}

export function createImportActivities(deps: ImportActivityDeps) {
  const start = startOnQueue(deps.temporal, deps.config);
  return {
    openImport: (importId: string) => openImportJob(deps.prisma, importId),

    async startImportPage(page: ImportPage): Promise<ImportCounts> {
      const ctx = Context.current();
      // A retry is a resume even without a position: a server may drop a failed attempt's heartbeat details (the
      // dev server does not keep them), and the attempt that died may have started rows the read model now holds.
      const resumeFrom = (ctx.info.heartbeatDetails as PagePosition | undefined) ?? (ctx.info.attempt > 1 ? PAGE_START : undefined);
      // Every position goes to the SDK, which throttles heartbeats (IMPORT_WORKER_OPTIONS) and sends the
      // latest one: dropping calls here would lose the last position and make a resumed page redo rows.
      const heartbeat = (position: PagePosition) => ctx.heartbeat(position);
      const counts = await startPage(
        { prisma: deps.prisma, start, concurrency: deps.config.IMPORT_CONCURRENCY },
        page,
        resumeFrom,
        heartbeat,
        () => ctx.cancellationSignal.aborted,
      );
      // A cancelled attempt's counts are partial: it must not complete as if the page were done.
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('page taken over by another attempt');
      return counts;
    },

    closeImport: ({ importId, status, ...counts }: { importId: string; status: 'DONE' | 'FAILED' } & ImportCounts) =>
      closeImportJob(deps.prisma, importId, status, counts),
  };
}

export type ImportActivities = ReturnType<typeof createImportActivities>;

/**
 * Activity slots of the import worker. A page holds its slot while its starts run (seconds to minutes), so
 * this many imports page at once and a further one waits; the registrations' slots are never among them.
 */
export const IMPORT_ACTIVITY_SLOTS = 4;

/**
 * The import worker: the import workflow and its activities on `config.importTaskQueue`, with slots and a
 * cache of their own. On the registrations' queue an import's page waited for an activity slot, and its
 * workflow tasks behind the backlog of the very registrations it had started (docs/operations.md, Cohort import).
 * The caller adds the connection, namespace, workflow code and data converter its other Worker has.
 */
export function importWorkerOptions(
  deps: Omit<ImportActivityDeps, 'config'> & { config: ImportActivityDeps['config'] & Pick<Config, 'importTaskQueue'> },
): Pick<WorkerOptions, 'taskQueue' | 'activities' | 'maxConcurrentActivityTaskExecutions' | 'maxCachedWorkflows' | 'maxHeartbeatThrottleInterval'> {
  return {
    taskQueue: deps.config.importTaskQueue,
    activities: createImportActivities(deps),
    maxConcurrentActivityTaskExecutions: IMPORT_ACTIVITY_SLOTS,
    // Imports are few and each waits on its page: a handful stay cached, the rest replay 40 events at most.
    maxCachedWorkflows: 10,
    ...IMPORT_WORKER_OPTIONS,
  };
}
