/** The cohort import workflow's id and messages, shared by its starters (gateway, CLI) and the workflow. */

/** One import workflow per file content at a time: the same file imported twice while it runs is the same import. */
export const importWorkflowId = (sha256: string): string => `import-${sha256}`;

export interface ImportWorkflowInput {
  /** The ImportJob row (and its staged ImportRow rows) the starter records right after starting this workflow. */
  importId: string;
}

export interface ImportCounts {
  started: number;
  existing: number;
  failed: number;
}

export interface ImportPage {
  importId: string;
  offset: number;
  limit: number;
  /** Counts of the pages before this one: the page writes `before + its own` as the job's progress. */
  before: ImportCounts;
}

export type ImportOutcome =
  | ({ status: 'DONE' | 'FAILED'; importId: string } & ImportCounts)
  /** The starter never recorded the job (it crashed between starting this workflow and writing the rows). */
  | { status: 'ABANDONED'; importId: string };
