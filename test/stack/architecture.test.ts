/**
 * The rooms of docs/architecture.md, enforced: .dependency-cruiser.cjs says what
 * each room may import (the product's rooms, and the tests, drills and benches
 * with the kit they share), and this runs dependency-cruiser over the tree. A second
 * tree, made here with one violation of each rule, shows the rules bite.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/paths';

const run = promisify(execFile);
const depcruise = path.join(projectRoot, 'node_modules', '.bin', 'depcruise');
const rules = path.join(projectRoot, '.dependency-cruiser.cjs');
const ROOMS = ['src', 'workflows', 'activities', 'test', 'bench', 'drills', 'scripts'];

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** The violations dependency-cruiser reports for `roots` under `cwd` (it exits non-zero when there are any). */
async function violations(cwd: string, roots: string[]): Promise<Violation[]> {
  const args = ['--config', rules, '--output-type', 'json', ...roots];
  const out = await run(depcruise, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return (JSON.parse(out.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('architecture: what each room may import', function () {
  this.timeout(120_000);

  it('the source tree keeps to the rules', async () => {
    const found = await violations(projectRoot, ROOMS);
    assert.deepEqual(
      found.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`),
      [],
    );
  });

  it('each rule catches its violation', async () => {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-rooms-'));
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'Node16', moduleResolution: 'Node16', strict: true } }),
      'workflows/registration/bad.ts':
        "import { send } from '../../activities/send';\nimport fs from 'node:fs';\nimport { Client } from '@temporalio/client';\nexport const x = [send, fs, Client];\n",
      'activities/send.ts': "import { app } from '../src/gateway/app';\nexport const send = app;\n",
      'src/gateway/app.ts': "import { send } from '../../activities/send';\nexport const app = () => send;\n",
      'src/uploads/a.ts': "import { b } from './b';\nimport { app } from '../gateway/app';\nexport const a = () => [b, app];\n",
      'src/uploads/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
      'src/dev.ts': "import { spawn } from 'node:child_process';\nexport const start = () => spawn('node');\n",
      // The tooling: a test reaching into a bench, a drill into a test's support, the kit into the tests.
      'test/import/rows.test.ts': "import { cohort } from '../../bench/cohort';\nexport const t = cohort;\n",
      'bench/cohort.ts': "import { pool } from '../test/kit/pool';\nexport const cohort = pool;\n",
      'drills/run.ts': "import { aPdf } from '../test/gateway/support';\nexport const run = aPdf;\n",
      'test/gateway/support.ts': 'export const aPdf = 1;\n',
      'test/kit/pool.ts': "import { aPdf } from '../gateway/support';\nexport const pool = aPdf;\n",
      'test/drills/drills.test.ts': "import { run } from '../../drills/run';\nexport const d = run;\n",
    };
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
      fs.writeFileSync(path.join(tree, file), text);
    }
    try {
      const found = new Set(
        (
          await violations(
            tree,
            ROOMS.filter((r) => r !== 'scripts'),
          )
        ).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`),
      );
      for (const expected of [
        'workflows-stay-deterministic: workflows/registration/bad.ts → activities/send.ts',
        'workflows-use-the-workflow-sdk: workflows/registration/bad.ts → @temporalio/client',
        'workflows-no-node-builtins: workflows/registration/bad.ts → fs',
        'activities-are-not-http: activities/send.ts → src/gateway/app.ts',
        'gateway-asks-the-workflow: src/gateway/app.ts → activities/send.ts',
        'services-below-entry-points: src/uploads/a.ts → src/gateway/app.ts',
        'no-cycles: src/uploads/a.ts → src/uploads/b.ts',
        'one-process-supervisor: src/dev.ts → child_process',
        'tests-stand-apart-from-tools: test/import/rows.test.ts → bench/cohort.ts',
        'tools-take-only-the-kit: drills/run.ts → test/gateway/support.ts',
        'kit-stands-alone: test/kit/pool.ts → test/gateway/support.ts',
      ]) {
        assert.ok(found.has(expected), `${expected}\nfound:\n${[...found].join('\n')}`);
      }
      // What is allowed: a bench takes from the kit, and the drills' own tests run the drills.
      for (const allowed of ['bench/cohort.ts → test/kit/pool.ts', 'test/drills/drills.test.ts → drills/run.ts']) {
        assert.ok(![...found].some((v) => v.endsWith(allowed)), `${allowed} is allowed\nfound:\n${[...found].join('\n')}`);
      }
    } finally {
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });
});
