/**
 * Replay fixtures: histories of the main paths, captured from real runs of the
 * time-skipping tests (`RECORD_HISTORIES=1 npx mocha test/workflow/paths.test.ts`)
 * and committed, so test/workflow/replay.test.ts catches a non-deterministic change.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { RegistrationHandle } from '../../src/client';

export const historiesDir = path.join(__dirname, '..', 'fixtures', 'histories');

export async function recordHistory(name: string, handle: RegistrationHandle): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  fs.mkdirSync(historiesDir, { recursive: true });
  fs.writeFileSync(path.join(historiesDir, `${name}.json`), historyToJSON(await handle.fetchHistory()));
}
