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
 * limit; on this machine it holds every registration of the cohort).
 *
 *   npm run bench:worker-memory -- --students 1000
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { startCluster } from '../src/cluster/cluster';
import { freeClusterPorts } from '../src/cluster/free-ports';
import { startRegistration } from '../src/client';
import { createPrisma, type PrismaClient } from '../src/db/prisma';
import { parseCsvImport } from '../src/import';
import { Stack } from '../src/launcher/stack';
import { projectRoot } from '../src/paths';
import { connectTemporal } from '../src/temporal/connection';
import { getStatusQuery, registrationWorkflowId } from '../workflows/registration/api';
import { syntheticStudents, toCsv } from './synthetic';

const { values } = parseArgs({ options: { students: { type: 'string', default: '1000' }, 'no-build': { type: 'boolean' } } });
const STUDENTS = Number(values.students);
const CONCURRENCY = 32;
/** What the gateway starts with (package.json): a young generation of 4 MB and V8's heap kept close to its live size. */
const V8_SIZED = ['--max-semi-space-size=4', '--optimize-for-size'];

/** The SDK's own default for maxCachedWorkflows (@temporalio/worker worker-options.js, reuseV8Context): 600 per GiB of V8 heap limit over 200 MiB. */
const SDK_DEFAULT_CACHE = Math.max(Math.floor((Math.max(v8.getHeapStatistics().heap_size_limit / 2 ** 20 - 200, 0) * 600) / 1024), 10);

/** The settings compared; the first is the baseline. */
const SETTINGS: Array<{ name: string; flags?: string[]; env?: NodeJS.ProcessEnv }> = [
  { name: `SDK default cache (${SDK_DEFAULT_CACHE})`, env: { WORKER_CACHED_WORKFLOWS: String(SDK_DEFAULT_CACHE) } },
  { name: 'cache 250', env: { WORKER_CACHED_WORKFLOWS: '250' } },
  { name: 'cache 250, V8 sized', flags: V8_SIZED, env: { WORKER_CACHED_WORKFLOWS: '250' } },
  { name: 'cache 250, V8 sized, MALLOC_ARENA_MAX=2', flags: V8_SIZED, env: { WORKER_CACHED_WORKFLOWS: '250', MALLOC_ARENA_MAX: '2' } },
];

const log = (line: string) => console.log(`[bench] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const memory = (pid: number) => {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
};

async function toFirstIdle(prisma: PrismaClient, cohortId: string, count: number): Promise<void> {
  for (;;) {
    const [{ n }] = await prisma.$queryRaw<Array<{ n: bigint }>>`
      SELECT count(DISTINCT r."applicationNo") AS n FROM "Registration" r
      JOIN "EmailLog" e ON e."registrationNo" = r."applicationNo" AND e.kind = 'INVITATION'
      WHERE r."cohortId" = ${cohortId}`;
    if (Number(n) >= count) return;
    await sleep(500);
  }
}

async function inParallel<T>(items: T[], lanes: number, each: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < items.length) await each(items[next++]!);
  }));
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000).then(() => child.kill('SIGKILL'))]);
}

async function main(): Promise<void> {
  if (!values['no-build']) {
    const build = spawn('npm', ['run', '--silent', 'build'], { cwd: projectRoot, stdio: 'inherit' });
    await new Promise((r) => build.once('exit', r));
  }
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-bench-memory-'));
  const stack = new Stack('bench', () => {});
  process.once('SIGINT', () => void stack.shutdown().finally(() => process.exit(130)));
  const rows: string[][] = [];
  try {
    const ports = await freeClusterPorts(0);
    const cluster = await startCluster({
      stack, varDir, namespace: 'default', taskQueue: 'registration', ports: { ...ports, ui: 0 }, workers: 0,
      env: { NODE_ENV: 'test', LOG_LEVEL: 'error', TOKEN_SECRET: randomBytes(32).toString('base64url') },
      s3: { bucket: 'bench', accessKeyId: 'bench', secretAccessKey: 'bench-secret' },
    });
    const prisma = createPrisma(cluster.databaseUrl, 10);
    const temporal = new Client({ connection: await connectTemporal({ address: cluster.temporalAddress }) });
    let baselineQueryS = NaN;
    for (const [i, setting] of SETTINGS.entries()) {
      const worker = spawn(process.execPath, [...(setting.flags ?? []), path.join(projectRoot, 'dist', 'src', 'worker.js')], { env: { ...cluster.env, ...setting.env }, stdio: ['ignore', 'ignore', 'inherit'] });
      await sleep(5000);
      const idle = memory(worker.pid!);
      const cohortId = `mem-${i}-${Date.now().toString(36)}`;
      const { students } = parseCsvImport(toCsv(syntheticStudents({ count: STUDENTS, prefix: `M${i}${Date.now().toString(36).toUpperCase()}`, cohortId, registrationDeadline: new Date(Date.now() + 60 * 86400_000).toISOString() })));
      const t0 = performance.now();
      await inParallel(students, CONCURRENCY, (s) => startRegistration(temporal, s, { taskQueue: 'registration' }));
      await toFirstIdle(prisma, cohortId, STUDENTS);
      const startS = (performance.now() - t0) / 1000;
      const atIdle = memory(worker.pid!);
      await sleep(10_000);
      const settled = memory(worker.pid!);
      const q0 = performance.now();
      await inParallel(students, 8, (s) => temporal.workflow.getHandle(registrationWorkflowId(s.student.applicationNo)).query(getStatusQuery));
      const queryS = (performance.now() - q0) / 1000;
      if (i === 0) baselineQueryS = queryS;
      const after = memory(worker.pid!);
      log(`${setting.name}: idle ${idle.rss} MB; ${STUDENTS} to first idle in ${startS.toFixed(1)} s, RSS ${atIdle.rss} MB, 10 s later ${settled.rss} MB; ` +
        `query of all ${queryS.toFixed(1)} s, RSS ${after.rss} MB, peak ${after.peak} MB`);
      rows.push([setting.name, String(idle.rss), String(settled.rss), String(after.rss), String(after.peak), queryS.toFixed(1), (queryS / baselineQueryS).toFixed(2)]);
      await stop(worker);
    }
    console.log(`\nworker memory with ${STUDENTS} open registrations, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}\n`);
    const head = ['worker setting', 'RSS idle (MB)', `RSS, ${STUDENTS} open (MB)`, 'RSS after querying all (MB)', 'peak (MB)', 'query all (s)', '÷ baseline'];
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
    for (const [j, r] of [head, ...rows].entries()) {
      console.log(`| ${r.map((c, k) => c.padEnd(widths[k]!)).join(' | ')} |`);
      if (j === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    }
    await prisma.$disconnect();
    await temporal.connection.close();
  } finally {
    await stack.shutdown();
    fs.rmSync(varDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
