/**
 * `npm start`: the whole stack on embedded defaults, in one terminal.
 *   PostgreSQL (embedded unless DATABASE_URL) → migrations →
 *   Temporal dev server + Web UI (unless TEMPORAL_ADDRESS) → search attributes →
 *   worker and gateway as child processes with prefixed logs.
 * Ctrl-C / SIGTERM stops everything in reverse order: the children run in process groups of
 * their own, so the terminal's Ctrl-C reaches only this launcher. `--reset` wipes VAR_DIR first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig, type Config } from './config';
import { migrateDeploy, STACK_DATABASE, startEmbeddedPostgres } from './db/embedded';
import { projectRoot } from './paths';
import { redact, RESTART_POLICY, shortPath, Stack, waitForReady, waitForTemporal } from './launcher/stack';
import { DEV_SERVER_FLAGS, temporalCliPath } from './temporal/binaries';
import { temporalAddress } from './temporal/client';
import { ensureSearchAttributes } from './temporal/search-attributes';
import { productionNodeEnv } from './cluster/node-flags';

const stack = new Stack('progreg');
// The sources' colours, in the order of the launcher's palette: blue PostgreSQL, magenta Temporal, green worker, cyan gateway.
for (const source of ['postgres', 'temporal', 'worker', 'gateway', 'progreg']) stack.tag(source);
type Source = 'postgres' | 'temporal' | 'worker' | 'gateway' | 'progreg';
const say = (s: Source, line: string) => stack.say(s, line);

/** Stops everything once (a second Ctrl-C, or npm relaying the same signal, waits for the first), then exits. */
async function shutdown(code: number): Promise<void> {
  await stack.shutdown();
  process.exit(code);
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
  stack.onStop('postgres', () => db.stop());
  say('postgres', `embedded PostgreSQL on ${redact(db.url)} (data in ${shortPath(dataDir)}, ${Date.now() - t0} ms)`);
  return db.url;
}

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
    // The dev server is not restarted: its state is one SQLite file, and a dev server that dies says something is wrong.
    stack.supervise(
      'temporal',
      cli,
      [
        'server',
        'start-dev',
        '--db-filename',
        dbFile,
        '--port',
        String(config.TEMPORAL_DEV_PORT),
        '--ui-port',
        String(config.TEMPORAL_UI_PORT),
        // The gateway's codec endpoint: staff read the sealed payloads (docs/operations.md, "Personal data").
        '--ui-codec-endpoint',
        `${config.publicBaseUrl}/codec`,
        '--namespace',
        config.TEMPORAL_NAMESPACE,
        ...DEV_SERVER_FLAGS,
        '--log-level',
        'warn',
      ],
      { mute: () => stack.shuttingDown },
    ); // its peers going away while we stop it is noise
  } else {
    say('temporal', 'Temporal CLI not found in .tools/ (npm install puts it there); falling back to the SDK download of the dev server');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        dbFilename: dbFile,
        ip: '127.0.0.1',
        port: config.TEMPORAL_DEV_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        namespace: config.TEMPORAL_NAMESPACE,
        extraArgs: DEV_SERVER_FLAGS,
      },
    });
    stack.onStop('temporal', () => env.teardown());
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

  const childEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalFrontend,
    VAR_DIR: config.varDir,
    // The outbox reports each email to the gateway as Resend's webhook would (delivered, or bounced for bounced@resend.dev).
    OUTBOX_WEBHOOK_URL: process.env.OUTBOX_WEBHOOK_URL ?? `http://127.0.0.1:${config.GATEWAY_PORT}/api/webhooks/email`,
  };
  // Straight node with tsx's loader: no wrapper process between our signals and the child.
  const runTs = (file: string) => ['--import', 'tsx', file];
  // A worker or gateway that dies comes back (Temporal and the database kept everything); one that keeps dying stops the stack.
  // The allocator's variables of `npm run worker` (glibc reads them once, as the process starts: the worker cannot set
  // them for itself). Not its V8 flags: this worker runs from the sources and bundles its workflows at start.
  stack.supervise('worker', process.execPath, runTs('src/worker.ts'), { env: { ...childEnv, ...productionNodeEnv('worker') }, restart: RESTART_POLICY });
  stack.supervise('gateway', process.execPath, runTs('src/gateway/server.ts'), { env: childEnv, restart: RESTART_POLICY });
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
