#!/usr/bin/env node
// Installs schemathesis (the API fuzzer of `npm run fuzz` and test/drills/fuzz.test.ts)
// from PyPI into .tools/schemathesis, pinned. Runs on `npm install`, after the Temporal
// wheels. The stamp records the Python that installed it, which the fuzz run uses.
// Without pip it warns; the fuzz run then says how to install it.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const WHEELS = ['schemathesis==4.32.5'];
const root = path.resolve(__dirname, '..');
const target = path.join(root, '.tools', 'schemathesis');
const stamp = path.join(target, '.installed.json');
const wanted = WHEELS.join(' ');

if (process.env.PROGREG_SKIP_TOOLS === '1') process.exit(0);
try {
  if (JSON.parse(fs.readFileSync(stamp, 'utf8')).wheels === wanted) {
    console.log(`setup-fuzz: ${wanted} already in .tools/schemathesis`);
    process.exit(0);
  }
} catch {
  // not installed yet
}

for (const py of [process.env.PYTHON, 'python3', 'python'].filter(Boolean)) {
  const r = spawnSync(
    py,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-warn-script-location', '--quiet', '--upgrade', '--target', target, ...WHEELS],
    { stdio: 'inherit', env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
  if (r.error) continue; // this python is not installed; try the next
  if (r.status === 0) {
    const python = spawnSync(py, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
    fs.writeFileSync(stamp, JSON.stringify({ wheels: wanted, python }));
    console.log(`setup-fuzz: ${wanted} installed in .tools/schemathesis (${python})`);
    process.exit(0);
  }
  break;
}
console.warn('setup-fuzz: WARNING could not install schemathesis with pip; `npm run fuzz` and the fuzz test need it (run `node scripts/setup-fuzz.js`).');
