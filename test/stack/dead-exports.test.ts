/**
 * No dead exports, no unused files: knip reads the entry points in knip.json
 * (the processes, the portal's bundles, the scripts, benches, drills and tests)
 * and lists every export nothing imports. An export used only in its own file
 * is no export; one loaded by name at run time is tagged `@public`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/paths';

const run = promisify(execFile);

describe('dead code', function () {
  this.timeout(180_000);

  it('every export is imported somewhere and every file is reached from an entry point (knip)', async () => {
    const knip = path.join(projectRoot, 'node_modules', '.bin', 'knip');
    const args = ['--include', 'exports,files', '--no-progress', '--reporter', 'json'];
    // knip exits 1 when it finds something; its report is on stdout either way.
    const out = await run(knip, args, { cwd: projectRoot, maxBuffer: 64 * 1024 * 1024 }).catch((e: { stdout?: string; stderr?: string }) => {
      if (!e.stdout) throw new Error(`knip did not run: ${e.stderr}`);
      return { stdout: e.stdout };
    });
    const report = JSON.parse(out.stdout) as {
      files?: string[];
      issues: Array<{ file: string; files?: unknown[]; exports?: Array<{ name: string; line: number }> }>;
    };
    const found = [
      ...(report.files ?? []).map((f) => `unused file ${f}`),
      ...report.issues.flatMap((i) => [
        ...(i.files?.length ? [`unused file ${i.file}`] : []),
        ...(i.exports ?? []).map((e) => `${i.file}:${e.line} ${e.name}`),
      ]),
    ];
    assert.deepEqual(found, []);
  });
});
