#!/usr/bin/env node
// Builds the cluster's servers from the Go module proxy into .tools/go/<tool>/bin, pinned:
//   temporal   the Temporal server and its SQL schema tool (go.temporal.io/server)
//   ui         the Temporal Web UI server (github.com/temporalio/ui-server, assets embedded)
//   seaweedfs  SeaweedFS's `weed`, the S3-compatible file store (Apache-2.0)
//   promtool   Prometheus's rule checker and tester, for the alert rules in deploy/prometheus
// A tool whose .version stamp matches is skipped, so this is cheap to call before every
// `npm run cluster` or cluster test; with Go's module and build caches warm (they live outside
// the checkout), a fresh clone relinks in about a minute instead of building for minutes.
//
//   node scripts/setup-go-tools.js            build what is missing (exit 1 if it cannot)
//   node scripts/setup-go-tools.js --check    only say what is missing (never fails; postinstall)
//   node scripts/setup-go-tools.js temporal   only that tool
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// The proxy serves this toolchain; the machine's Go only needs to be new enough to fetch it.
const TOOLCHAIN = 'go1.27.3';
const root = path.resolve(__dirname, '..');
const goDir = path.join(root, '.tools', 'go');

const TOOLS = {
  temporal: {
    version: 'v1.32.2',
    bins: ['server', 'sql'],
    commands: (v) => [['install', `go.temporal.io/server/cmd/server@${v}`, `go.temporal.io/server/cmd/tools/sql@${v}`]],
    // The versioned PostgreSQL schemas the `sql` tool applies, from the same module.
    files: (v) => [[`go.temporal.io/server@${v}/schema/postgresql/v12`, 'schema']],
  },
  ui: {
    version: 'v2.55.0',
    bins: ['server'],
    commands: (v) => [['install', `github.com/temporalio/ui-server/v2/cmd/server@${v}`]],
    // The config template the temporalio/ui image uses too (TEMPORAL_ADDRESS, TEMPORAL_UI_PORT, …).
    files: (v) => [[`github.com/temporalio/ui-server/v2@${v}/config/docker.yaml`, 'config/docker.yaml']],
  },
  promtool: {
    // Prometheus's rule checker and rule unit tester: deploy/prometheus/alerts.yml is checked and its
    // tests run with it (.ci/run, test/stack/alert-rules.test.ts). The module's tag is v0.<minor>.<patch> for Prometheus 3.<minor>.
    version: 'v0.316.0',
    bins: ['promtool'],
    commands: (v) => [['install', `github.com/prometheus/prometheus/cmd/promtool@${v}`]],
  },
  seaweedfs: {
    // SeaweedFS has no semver tags on the proxy: this is its pseudo-version of 2026-11-09.
    // `go install …@version` refuses its replace directive, so deploy/seaweedfs/build pins it.
    version: 'v0.0.0-20261109003541-7506e5f91cd6',
    bins: ['weed'],
    cwd: path.join(root, 'deploy', 'seaweedfs', 'build'),
    commands: () => [['build', '-o', path.join(goDir, 'seaweedfs', 'bin', 'weed'), 'github.com/seaweedfs/seaweedfs/weed']],
  },
};

const binDir = (name) => path.join(goDir, name, 'bin');
const stampOf = (name) => path.join(goDir, name, '.version');
const isInstalled = (name) => {
  const t = TOOLS[name];
  return (
    fs.existsSync(stampOf(name)) &&
    fs.readFileSync(stampOf(name), 'utf8').trim() === t.version &&
    t.bins.every((b) => fs.existsSync(path.join(binDir(name), b)))
  );
};

function findGo() {
  for (const candidate of [process.env.GO, 'go', '/usr/local/go/bin/go'].filter(Boolean)) {
    const r = spawnSync(candidate, ['version'], { encoding: 'utf8' });
    if (!r.error && r.status === 0) return candidate;
  }
  return undefined;
}

function install(name, go) {
  const t = TOOLS[name];
  fs.mkdirSync(binDir(name), { recursive: true });
  const started = Date.now();
  console.log(`setup-go-tools: building ${name} ${t.version} (a few minutes the first time; cached after)`);
  for (const args of t.commands(t.version)) {
    const r = spawnSync(go, args, {
      cwd: t.cwd ?? root,
      stdio: 'inherit',
      env: { ...process.env, GOTOOLCHAIN: TOOLCHAIN, GOBIN: binDir(name), GOFLAGS: process.env.GOFLAGS ?? '' },
    });
    if (r.status !== 0) return false;
  }
  if (t.files) {
    const modCache = spawnSync(go, ['env', 'GOMODCACHE'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: TOOLCHAIN } }).stdout.trim();
    for (const [from, to] of t.files(t.version)) {
      const target = path.join(goDir, name, to);
      fs.rmSync(target, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.cpSync(path.join(modCache, from), target, { recursive: true });
      // The module cache is read-only; the copies need not be.
      spawnSync('chmod', ['-R', 'u+w', target]);
    }
  }
  fs.writeFileSync(stampOf(name), t.version);
  console.log(`setup-go-tools: ${name} ${t.version} in ${path.relative(root, binDir(name))} (${Math.round((Date.now() - started) / 1000)} s)`);
  return true;
}

function main() {
  if (process.env.PROGREG_SKIP_TOOLS === '1') return 0;
  const args = process.argv.slice(2);
  const checkOnly = args.includes('--check');
  const wanted = args.filter((a) => !a.startsWith('--'));
  const names = wanted.length ? wanted : Object.keys(TOOLS);
  for (const n of names) if (!TOOLS[n]) throw new Error(`unknown tool ${n} (known: ${Object.keys(TOOLS).join(', ')})`);
  const missing = names.filter((n) => !isInstalled(n));
  if (missing.length === 0) {
    console.log(`setup-go-tools: ${names.map((n) => `${n} ${TOOLS[n].version}`).join(', ')} already in .tools/go`);
    return 0;
  }
  const go = findGo();
  if (checkOnly) {
    console.log(
      go
        ? `setup-go-tools: ${missing.join(', ')} not built yet; \`npm run setup:cluster\` builds them (or \`npm run cluster\` does on first use).`
        : `setup-go-tools: Go is not installed, so \`npm run cluster\` and the cluster test cannot build ${missing.join(', ')}; everything else works without it.`,
    );
    return 0;
  }
  if (!go) {
    console.error(
      `setup-go-tools: Go is not installed (https://go.dev/dl or apt-get install golang); it is needed to build ${missing.join(', ')} for the cluster. Everything else works without it.`,
    );
    return 1;
  }
  for (const n of missing)
    if (!install(n, go)) {
      console.error(`setup-go-tools: building ${n} failed`);
      return 1;
    }
  return 0;
}

module.exports = { TOOLS, binDir, isInstalled };
if (require.main === module) process.exit(main());
