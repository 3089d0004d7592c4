/**
 * The rooms of docs/architecture.md, enforced: .dependency-cruiser.cjs says what
 * each room may import, and this runs dependency-cruiser over the tree. A second
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
    const found = await violations(projectRoot, ['src', 'workflows', 'activities']);
    assert.deepEqual(found.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`), []);
  });

  it('each rule catches its violation', async () => {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-rooms-'));
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'Node16', moduleResolution: 'Node16', strict: true } }),
      'workflows/registration/bad.ts': "import { send } from '../../activities/send';\nimport fs from 'node:fs';\nimport { Client } from '@temporalio/client';\nexport const x = [send, fs, Client];\n",
      'activities/send.ts': "import { app } from '../src/gateway/app';\nexport const send = app;\n",
      'src/gateway/app.ts': "import { send } from '../../activities/send';\nexport const app = () => send;\n",
      'src/uploads/a.ts': "import { b } from './b';\nimport { app } from '../gateway/app';\nexport const a = () => [b, app];\n",
      'src/uploads/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
      'src/dev.ts': "import { spawn } from 'node:child_process';\nexport const start = () => spawn('node');\n",
    };
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
      fs.writeFileSync(path.join(tree, file), text);
    }
    try {
      const found = new Set((await violations(tree, ['src', 'workflows', 'activities'])).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`));
      for (const expected of [
        'workflows-stay-deterministic: workflows/registration/bad.ts → activities/send.ts',
        'workflows-use-the-workflow-sdk: workflows/registration/bad.ts → @temporalio/client',
        'workflows-no-node-builtins: workflows/registration/bad.ts → fs',
        'activities-are-not-http: activities/send.ts → src/gateway/app.ts',
        'gateway-asks-the-workflow: src/gateway/app.ts → activities/send.ts',
        'services-below-entry-points: src/uploads/a.ts → src/gateway/app.ts',
        'no-cycles: src/uploads/a.ts → src/uploads/b.ts',
        'one-process-supervisor: src/dev.ts → child_process',
      ]) {
        assert.ok(found.has(expected), `${expected}\nfound:\n${[...found].join('\n')}`);
      }
    } finally {
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });
});
