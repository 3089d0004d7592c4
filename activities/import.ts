/**
 * The cohort import workflow's activities (workflows/import/workflow.ts).
 * They run in the worker, with a Temporal client of their own to start the
 * registrations on the configured task queue.
 */
import { CancelledFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Config } from '../src/config';
import type { PrismaClient } from '../src/db/prisma';
import { PAGE_START, closeImportJob, openImportJob, startPage, type PagePosition } from '../src/import/run';
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
