/**
 * Memory of a gateway holding 1,000 open event streams (the live pages), and
 * how fast one burst of changes reaches them. The gateway runs alone in its own
 * process (bench/export-gateway.ts, with its LISTEN connection), so its
 * resident set size is read from /proc/<pid>/status: the idle gateway (after
 * serving the portal bundle once) is the baseline, then the same process with
 * every stream open, then after a change to each of the 1,000 registrations
 * (committed through the projection's own `recordChange`, so every stream sees
 * 1,000 notices and forwards its own one).
 *
 * The gateway is compiled first (into dist/), configured as production and
 * started with production's V8 flags (package.json's `gateway` script).
 *
 *   npm run bench:sse -- --streams 1000        (--tsx: run it through tsx instead)
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { recordChange } from '../src/live/changes';
import { projectRoot } from '../src/paths';
import { database } from '../test/kit/servers';
import { stopAll } from '../test/kit/lifetime';
import { productionNodeFlags } from '../src/cluster/node-flags';
import { processMemory, startGatewayProcess } from './gateway-process';
import { seedReadModel } from './read-model';

const MB = 1024 * 1024;

let lastV8: NodeJS.MemoryUsage | undefined;
/** VmRSS and VmHWM from /proc, and the process's own view of its V8 heap (it prints it on SIGUSR2). */
async function memoryOf(child: import('node:child_process').ChildProcess): Promise<{ rss: number; peak: number; heap: number }> {
  lastV8 = undefined;
  child.kill('SIGUSR2');
  for (let i = 0; i < 100 && !lastV8; i++) await settle(20);
  return { ...processMemory(child.pid!), heap: (lastV8 as NodeJS.MemoryUsage | undefined)?.heapUsed ?? NaN };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One open stream: counts the `change` events it got. */
function openStream(url: string, onChange: () => void): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream: ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (let i = chunk.indexOf('event: change'); i >= 0; i = chunk.indexOf('event: change', i + 1)) onChange();
      });
      resolve(req);
    });
    req.on('error', reject);
  });
}

/**
 * The gateway compiled to JavaScript, as production runs it (`node dist/...`): tsx's
 * transpiler and caches alone add tens of MB (`--tsx` measures that way instead).
 */
function buildGateway(): string {
  const flags = [
    '--outDir',
    'dist',
    '--rootDir',
    '.',
    '--module',
    'node16',
    '--moduleResolution',
    'node16',
    '--target',
    'es2022',
    '--esModuleInterop',
    '--skipLibCheck',
    '--resolveJsonModule',
    '--lib',
    'es2022,dom',
    '--strict',
  ];
  execFileSync(path.join(projectRoot, 'node_modules', '.bin', 'tsc'), ['bench/export-gateway.ts', ...flags], { cwd: projectRoot, stdio: 'inherit' });
  return path.join(projectRoot, 'dist', 'bench', 'export-gateway.js');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { streams: { type: 'string', default: '1000' }, tsx: { type: 'boolean', default: false }, 'node-options': { type: 'string', default: '' } },
  });
  const n = Number(values.streams);
  const db = await database();
  const tag = Date.now().toString(36).toUpperCase();
  const cohortId = `sse-${tag}`;
  await seedReadModel(db.prisma, { count: n, cohortId, prefix: `SS${tag}`, now: new Date(), seed: 5 });
  const nos = (await db.prisma.registration.findMany({ where: { cohortId }, select: { applicationNo: true }, orderBy: { applicationNo: 'asc' } })).map(
    (r) => r.applicationNo,
  );

  const nodeOptions = values['node-options'];
  console.log(`gateway node flags: ${productionNodeFlags('gateway').join(' ') || '(none)'}${nodeOptions ? `, NODE_OPTIONS=${nodeOptions}` : ''}`);
  const gateway = await startGatewayProcess(
    [...productionNodeFlags('gateway'), ...(values.tsx ? ['--import', 'tsx', path.join(projectRoot, 'bench', 'export-gateway.ts')] : [buildGateway()])],
    { DATABASE_URL: db.url, NODE_OPTIONS: nodeOptions },
    (line) => {
      const mem = /MEMORY (\{.*\})/.exec(line);
      if (mem) lastV8 = JSON.parse(mem[1]!) as NodeJS.MemoryUsage;
    },
  );
  const { child, url, key } = gateway;
  const streams: http.ClientRequest[] = [];
  try {
    const auth = { authorization: `Bearer ${key}` };
    // Warm up as a gateway in service is: the portal bundle built, a staff read, the stream token.
    await (await fetch(`${url}/portal/`)).arrayBuffer();
    await (await fetch(`${url}/api/staff/me`, { headers: auth })).arrayBuffer();
    const { streamToken } = (await (await fetch(`${url}/api/events/token`, { method: 'POST', headers: auth })).json()) as { streamToken: string };
    await settle(2_000);
    const idle = await memoryOf(child);

    let changes = 0;
    const t0 = performance.now();
    for (let i = 0; i < nos.length; i += 50) {
      const batch = nos
        .slice(i, i + 50)
        .map((no) => openStream(`${url}/api/registrations/${no}/events?stream_token=${encodeURIComponent(streamToken)}`, () => changes++));
      streams.push(...(await Promise.all(batch)));
    }
    while (changes < n) await settle(20);
    const openMs = performance.now() - t0;
    await settle(3_000);
    const open = await memoryOf(child);

    // One change to every registration, as the projection commits them (50 to a transaction).
    changes = 0;
    const t1 = performance.now();
    for (let i = 0; i < nos.length; i += 50) {
      await db.prisma.$transaction(async (tx) => {
        for (const no of nos.slice(i, i + 50)) {
          await tx.registration.update({ where: { applicationNo: no }, data: { seq: { increment: 1 } } });
          await recordChange(tx, no);
        }
      });
    }
    while (changes < n) await settle(5);
    const burstMs = performance.now() - t1;
    await settle(3_000);
    const after = await memoryOf(child);

    const f = (b: number) => `${(b / MB).toFixed(1)} MB`;
    console.log(`V8 heap used: idle ${f(idle.heap)}, ${n} streams open ${f(open.heap)}, after the burst ${f(after.heap)}`);
    console.log(
      `streams: ${n} opened in ${(openMs / 1000).toFixed(1)} s; ${n} changes committed and delivered to their streams in ${(burstMs / 1000).toFixed(2)} s`,
    );
    console.log(`gateway RSS idle (baseline)        ${f(idle.rss)}   1.00`);
    console.log(
      `gateway RSS, ${n} streams open     ${f(open.rss)}   ${(open.rss / idle.rss).toFixed(2)} × baseline   (+${((open.rss - idle.rss) / n / 1024).toFixed(1)} kB per stream)`,
    );
    console.log(`gateway RSS after the burst         ${f(after.rss)}   ${(after.rss / idle.rss).toFixed(2)} × baseline`);
    console.log(
      `gateway peak RSS (VmHWM)            ${f(after.peak)}   ${(after.peak / idle.rss).toFixed(2)} × baseline   (limit 150 MB: ${after.peak < 150 * MB ? 'met' : 'NOT met'})`,
    );
  } finally {
    for (const s of streams) s.destroy();
    await gateway.stop();
    await stopAll();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
