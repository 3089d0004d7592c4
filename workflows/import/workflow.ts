/**
 * A cohort import, durable: the batch pattern of Temporal's samples
 * (batch-sliding-window), with the pages as activities rather than child
 * workflows, since each unit of work is itself a workflow start. The staged
 * rows are started one page at a time by `startImportPage`, which keeps a
 * sliding window of starts in flight, heartbeats its position and, when its
 * worker dies, resumes on another worker from the last heartbeat. Starts are
 * idempotent (workflow id = application number), so nothing is started twice.
 * The workflow always ends by closing the job, so no job stays RUNNING after
 * a gateway or worker dies mid-import.
 *
 * Deterministic: no I/O here; the page results are the only state, and the
 * history holds one activity per page (40 for 20,000 students).
 */
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { ImportActivities } from '../../activities/import';
import type { ImportCounts, ImportOutcome, ImportWorkflowInput } from './api';

const IMPORT_PAGE_SIZE = 500;

const { openImport } = proxyActivities<ImportActivities>({
  startToCloseTimeout: '30 seconds',
  // The starter writes the job right after starting us; about two minutes of retries cover a slow
  // database, and then the starter is taken to have died before recording anything.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 8 },
});

const { startImportPage, closeImport } = proxyActivities<ImportActivities>({
  // A page of 500 starts takes seconds; the heartbeat notices a dead worker within 30 s and the
  // retry resumes from the last heartbeat.
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export async function cohortImportWorkflow({ importId }: ImportWorkflowInput): Promise<ImportOutcome> {
  let valid: number;
  try {
    ({ valid } = await openImport(importId));
  } catch (e) {
    if (e instanceof ActivityFailure) return { status: 'ABANDONED', importId };
    throw e;
  }
  let counts: ImportCounts = { started: 0, existing: 0, failed: 0 };
  for (let offset = 0; offset < valid; offset += IMPORT_PAGE_SIZE) {
    counts = await startImportPage({ importId, offset, limit: IMPORT_PAGE_SIZE, before: counts });
  }
  const status = counts.failed ? 'FAILED' : 'DONE';
  await closeImport({ importId, status, ...counts });
  return { status, importId, ...counts };
}
