/**
 * Cohort import, shared by the gateway (POST /api/imports) and the CLI
 * (`npm run import -- file.csv`): parse and validate rows, record the job,
 * start the registrations.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { PrismaClient } from '../db/prisma';
import { parseCsvImport, parseJsonImport, type ParsedImport, type PolicyOverrides } from './rows';
import { createImportJob, runImport, sha256Of, type ImportProgress, type ImportReport } from './run';
import { startOnQueue } from './start';

export * from './rows';
export * from './run';
export { CohortPolicyConflict } from './cohort-policy';

export type ImportInput =
  | { format: 'csv'; text: string; policy?: PolicyOverrides }
  | { format: 'json'; students: unknown[]; policy?: PolicyOverrides };

export function parseImport(input: ImportInput): { parsed: ParsedImport; sha256: string } {
  if (input.format === 'csv') return { parsed: parseCsvImport(input.text, input.policy), sha256: sha256Of(input.text) };
  return { parsed: parseJsonImport(input.students, input.policy), sha256: sha256Of(JSON.stringify(input.students)) };
}

export interface ImportDeps {
  prisma: PrismaClient;
  temporal: Client;
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'IMPORT_CONCURRENCY'>;
}

/** Records the job and returns it with a promise of the finished report. */
export async function beginImport(
  deps: ImportDeps,
  input: ImportInput,
  meta: { actor: string; source?: string },
  onProgress?: (p: ImportProgress) => void,
): Promise<{ job: ImportReport; done: Promise<ImportReport> }> {
  const { parsed, sha256 } = parseImport(input);
  const job = await createImportJob(deps.prisma, parsed, { sha256, ...meta });
  const done = runImport(
    { prisma: deps.prisma, start: startOnQueue(deps.temporal, deps.config), concurrency: deps.config.IMPORT_CONCURRENCY },
    job,
    parsed,
    onProgress,
  );
  return { job, done };
}
