/**
 * Replay fixtures: histories of the main paths, captured from real runs on the
 * dev server with search attributes on
 * (`RECORD_HISTORIES=1 npx mocha test/workflow/record-histories.dev-server.test.ts`)
 * and committed, so test/workflow/replay.test.ts catches a non-deterministic change.
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import type { RegistrationHandle } from '../../src/client';

// Not historyToJSON/historyFromJSON: this install has two copies of protobufjs
// (under @temporalio/common and @temporalio/proto) and the JSON codec of one
// refuses the types of the other. toObject/fromObject of @temporalio/proto's own
// History type round-trips exactly.
const History = temporal.api.history.v1.History;
const AS_JSON = { longs: String, enums: String, bytes: String, defaults: false } as const;

/** The fixtures replay.test.ts requires; record-histories.dev-server.test.ts records each under this name. */
export const RECORDED_PATHS = [
  'completed-on-time',
  'incomplete-then-completed',
  'withdrawn-missed-document',
  'withdrawn-missed-fee',
  'rejected-then-resubmitted',
  'rejected-after-deadline-unresolved',
  'deadline-extended',
  'declined',
] as const;

export const historiesDir = path.join(__dirname, '..', 'fixtures', 'histories');

export async function recordHistory(name: string, handle: RegistrationHandle): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  fs.mkdirSync(historiesDir, { recursive: true });
  const history = History.fromObject(await handle.fetchHistory());
  fs.writeFileSync(path.join(historiesDir, `${name}.json`), `${JSON.stringify(History.toObject(history, AS_JSON), null, 1)}\n`);
}

export function readHistory(file: string): temporal.api.history.v1.IHistory {
  return History.fromObject(JSON.parse(fs.readFileSync(file, 'utf8')));
}
