/**
 * `npm run bench:worker-memory`: a built worker's memory with --students open
 * registrations, for several worker settings, on the cluster's Temporal server on
 * PostgreSQL. Each setting gets a worker of its own and a cohort of its own:
 *
 *   1. the cohort is started (bare client starts) and waited for to its first idle state
 *      (invitation sent, projection written); the worker's RSS is read then and after 10 s;
 *   2. every registration of the cohort is then queried once (8 at a time): a registration
 *      out of the worker's cache replays its history first, so this is what a small cache costs.
 *
 * The first setting is the baseline: the SDK's own cache size (it grows with the V8 heap
 * limit; on this machine it holds every registration of the cohort), unless --no-sdk-default
 * (then the first of the others is). Then, unless
 * --production-only, the steps from there to production's start (the default cache, then
 * package.json's V8 flags); then the worker as package.json's `worker` script starts it, once
 * per --caches size; then each --try setting: production's start with the words of --try on top of
 * it (a `--flag=value` replaces production's flag of the same name, a `NAME=value` sets a variable
 * of the worker's environment, e.g. `MALLOC_ARENA_MAX=1` or `WORKER_CACHED_WORKFLOWS=200`). Every
 * setting names its cache explicitly, so a WORKER_CACHED_WORKFLOWS in the caller's environment
 * changes none of them. Every worker runs with WORKER_ROLE=registrations, as `npm run cluster` and
 * docker-compose.yml run the registrations' replicas (the cohort is started with the client, not
 * imported).
 *
 * A setting whose cache the worker would refuse under the setting's heap limit (src/temporal/workflow-cache.ts) is left
 * out, with a line saying so.
 *
 * With --heaps, every worker also preloads a probe (a second `--require`, with `--expose-gc`) that collects garbage in
 * each of its threads every 5 s and records what is left; the table then gives each thread's live heap with the
 * cohort open (read when its RSS is), which is what a cached registration costs in the workflow thread. The probe's
 * collections lower the RSS somewhat: compare RSS between settings run alike.
 *
 *   npm run bench:worker-memory -- --students 1000 --caches 150,250,400 [--production-only] [--no-sdk-default] [--heaps] [--try="<flags and NAME=value>" …]
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { parseArgs } from 'node:util';
import { productionNodeEnv, productionNodeFlags } from '../src/cluster/node-flags';
import { startRegistration } from '../src/client';
import { configVariables } from '../src/config/variables';
import { parseCsvImport } from '../src/import';
import { projectRoot } from '../src/paths';
import { workflowCacheProblem } from '../src/temporal/workflow-cache';
import { getStatusQuery, registrationWorkflowId } from '../workflows/registration/api';
import { inPool } from '../test/kit/pool';
import { withBenchCluster } from './bench-cluster';
import { toFirstIdle } from './first-idle';
import { processMemoryMb } from './gateway-process';
import { syntheticStudents, toCsv } from '../test/kit/synthetic-students';
import { machine, printTable } from './table';

const { values } = parseArgs({
  options: {
    students: { type: 'string', default: '1000' },
    /** Cache sizes to try with the worker started as production starts it. */
    caches: { type: 'string', default: '150,250,400' },
    /** Only the baseline and the production starts (not the steps from one to the other). */
    'production-only': { type: 'boolean' },
    /** Without the SDK's default cache (slow on a loaded machine): the first production start is the baseline. */
    'no-sdk-default': { type: 'boolean' },
    /** Other settings to try, each on top of production's start: node flags and NAME=value variables. */
    try: { type: 'string', multiple: true, default: [] },
    /** Each thread's live heap, read by a probe preloaded into every worker (it collects every 5 s). */
    heaps: { type: 'boolean' },
    'no-build': { type: 'boolean' },
  },
});
const STUDENTS = Number(values.students);
const CONCURRENCY = 32;
/** progreg's WORKER_CACHED_WORKFLOWS when unset. */
const DEFAULT_CACHE: number = configVariables.WORKER_CACHED_WORKFLOWS.schema.parse(undefined);
/** The SDK's own default for maxCachedWorkflows (@temporalio/worker worker-options.js, reuseV8Context): 600 per GiB of V8 heap limit over 200 MiB. */
const SDK_DEFAULT_CACHE = Math.max(Math.floor((Math.max(v8.getHeapStatistics().heap_size_limit / 2 ** 20 - 200, 0) * 600) / 1024), 10);

const WORKER_FLAGS = productionNodeFlags('worker');
const WORKER_ENV = productionNodeEnv('worker');
const WORKER_ENV_TEXT = Object.entries(WORKER_ENV)
  .map(([k, v]) => `${k}=${v}`)
  .join(' ');

interface Setting {
  name: string;
  flags: string[];
  env: NodeJS.ProcessEnv;
}
const workerSetting = (name: string, cache: number, flags: string[] = [], env: NodeJS.ProcessEnv = {}): Setting => ({
  name,
  flags,
  env: { WORKER_ROLE: 'registrations', WORKER_CACHED_WORKFLOWS: String(cache), ...env },
});

/** Production's start with a --try's words on top: a flag replaces production's of the same name, NAME=value sets a variable. */
function trySetting(words: string): Setting {
  const tried = words.split(/\s+/).filter(Boolean);
  const env = Object.fromEntries(tried.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  const flags = tried.filter((w) => w.startsWith('-'));
  const nameOf = (flag: string) => flag.split('=')[0]!.replace(/_/g, '-');
  const kept = WORKER_FLAGS.filter((f) => !flags.some((t) => nameOf(t) === nameOf(f)));
  return workerSetting(`as \`npm run worker\` starts it, with ${tried.join(' ')}`, DEFAULT_CACHE, [...kept, ...flags], { ...WORKER_ENV, ...env });
}

/** V8's heap limit for a process started with these flags (the worker checks its cache against it). */
const heapLimitOf = (flags: string[]): number =>
  Number(
    execFileSync(process.execPath, [...flags.filter((f) => !f.startsWith('--require')), '-p', 'v8.getHeapStatistics().heap_size_limit'], { encoding: 'utf8' }),
  );

/** The settings compared; the first is the baseline. */
const ALL_SETTINGS: Setting[] = [
  ...(values['no-sdk-default'] ? [] : [workerSetting(`SDK default cache (${SDK_DEFAULT_CACHE})`, SDK_DEFAULT_CACHE)]),
  ...(values['production-only']
    ? []
    : [
        workerSetting(`cache ${DEFAULT_CACHE}`, DEFAULT_CACHE),
        workerSetting(`cache ${DEFAULT_CACHE}, ${WORKER_FLAGS.join(' ')}`, DEFAULT_CACHE, WORKER_FLAGS),
      ]),
  ...values.caches
    .split(',')
    .filter(Boolean)
    .map(Number)
    .map((cache) =>
      workerSetting(
        `as \`npm run worker\` starts it, cache ${cache}${cache === DEFAULT_CACHE ? ' (the default)' : ''} (${WORKER_FLAGS.join(' ')}, ${WORKER_ENV_TEXT})`,
        cache,
        WORKER_FLAGS,
        WORKER_ENV,
      ),
    ),
  ...values.try.map(trySetting),
];

const log = (line: string) => console.log(`[bench] ${line}`);

/**
 * The --heaps probe, written to a file of its own for `--require` (plain JavaScript: the built worker loads no
 * TypeScript): in each thread, every 5 s, a full collection and then the heap in use, as the last line of
 * `<dir>/<pid>-<threadId>`. Its timer does not keep a thread alive.
 */
const HEAP_PROBE = `
const fs = require('node:fs');
const v8 = require('node:v8');
const { threadId } = require('node:worker_threads');
const file = require('node:path').join(process.env.PROGREG_HEAP_PROBE_DIR, process.pid + '-' + threadId);
setInterval(() => {
  globalThis.gc();
  fs.appendFileSync(file, (v8.getHeapStatistics().used_heap_size / 2 ** 20).toFixed(1) + '\\n');
}, 5000).unref();
`;
const heapProbeDir = values.heaps ? fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-heaps-')) : undefined;
const heapProbe = heapProbeDir && path.join(heapProbeDir, 'probe.cjs');
if (heapProbe) fs.writeFileSync(heapProbe, HEAP_PROBE);

/** Each thread's live heap (MB) as the probe last read it, main thread first: `main 52.9, 1: 110.4`. */
function liveHeaps(pid: number): string {
  const threads = fs
    .readdirSync(heapProbeDir!)
    .filter((f) => f.startsWith(`${pid}-`))
    .map((f) => ({ id: Number(f.slice(f.indexOf('-') + 1)), last: fs.readFileSync(path.join(heapProbeDir!, f), 'utf8').trim().split('\n').at(-1) }))
    .sort((a, b) => a.id - b.id);
  return threads.map(({ id, last }) => `${id === 0 ? 'main' : id}: ${last}`).join(', ');
}

// A worker refuses to start with a cache its heap limit cannot hold (src/temporal/workflow-cache.ts): such a setting is
// left out, saying so, rather than stopping the run.
const SETTINGS = ALL_SETTINGS.filter((setting) => {
  const problem = workflowCacheProblem(Number(setting.env.WORKER_CACHED_WORKFLOWS), heapLimitOf(setting.flags));
  if (problem) log(`left out: ${setting.name}: ${problem}`);
  return !problem;
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const rows: string[][] = [];
  await withBenchCluster(
    { name: 'memory', workers: 0, gateways: 0, env: { TOKEN_SECRET: randomBytes(32).toString('base64url') }, noBuild: values['no-build'] },
    async ({ stack, cluster, prisma, temporal }) => {
      let baseline = { startS: NaN, queryS: NaN };
      for (const [i, setting] of SETTINGS.entries()) {
        // Supervised by the cluster's stack, so a bench stopped with Ctrl-C takes this worker down too.
        const probe = heapProbe ? [`--require=${heapProbe}`, '--expose-gc'] : [];
        const worker = stack.supervise(`memory-${i}`, process.execPath, [...setting.flags, ...probe, path.join(projectRoot, 'dist', 'src', 'worker.js')], {
          env: { ...cluster.env, ...setting.env, ...(heapProbeDir ? { PROGREG_HEAP_PROBE_DIR: heapProbeDir } : {}) },
        });
        const pid = worker.child().pid!;
        await sleep(5000);
        const idle = processMemoryMb(pid);
        const cohortId = `mem-${i}-${Date.now().toString(36)}`;
        const { students } = parseCsvImport(
          toCsv(
            syntheticStudents({
              count: STUDENTS,
              prefix: `M${i}${Date.now().toString(36).toUpperCase()}`,
              cohortId,
              registrationDeadline: new Date(Date.now() + 60 * 86400_000).toISOString(),
            }),
          ),
        );
        const t0 = performance.now();
        await inPool(students, CONCURRENCY, (s) => startRegistration(temporal, s, { taskQueue: 'registration' }));
        await toFirstIdle(prisma, cohortId, STUDENTS);
        const startS = (performance.now() - t0) / 1000;
        const atIdle = processMemoryMb(pid);
        await sleep(10_000);
        const settled = processMemoryMb(pid);
        const heaps = heapProbeDir ? liveHeaps(pid) : '';
        const q0 = performance.now();
        await inPool(students, 8, (s) => temporal.workflow.getHandle(registrationWorkflowId(s.student.applicationNo)).query(getStatusQuery));
        const queryS = (performance.now() - q0) / 1000;
        if (i === 0) baseline = { startS, queryS };
        const after = processMemoryMb(pid);
        log(
          `${setting.name}: idle ${idle.rss} MB; ${STUDENTS} to first idle in ${startS.toFixed(1)} s, RSS ${atIdle.rss} MB, 10 s later ${settled.rss} MB; ` +
            `query of all ${queryS.toFixed(1)} s, RSS ${after.rss} MB, peak ${after.peak} MB${heaps ? `; live heaps with the cohort open (MB) ${heaps}` : ''}`,
        );
        rows.push([
          setting.name,
          String(idle.rss),
          String(settled.rss),
          String(after.rss),
          String(after.peak),
          `${startS.toFixed(1)} (${(startS / baseline.startS).toFixed(2)}×)`,
          `${queryS.toFixed(1)} (${(queryS / baseline.queryS).toFixed(2)}×)`,
          ...(heapProbeDir ? [heaps] : []),
        ]);
        await worker.stop();
      }
      console.log(`\nworker memory with ${STUDENTS} open registrations, ${machine()}\n`);
      printTable([
        [
          'worker setting',
          'RSS idle (MB)',
          `RSS, ${STUDENTS} open (MB)`,
          'RSS after querying all (MB)',
          'peak (MB)',
          `${STUDENTS} to first idle (s, × baseline)`,
          'query all (s, × baseline)',
          ...(heapProbeDir ? [`live heap by thread, ${STUDENTS} open (MB)`] : []),
        ],
        ...rows,
      ]);
    },
  );
}

main()
  .finally(() => heapProbeDir && fs.rmSync(heapProbeDir, { recursive: true, force: true }))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
