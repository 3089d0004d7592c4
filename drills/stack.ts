/**
 * The stack the fault drills break: embedded PostgreSQL, the Temporal dev
 * server (state in a SQLite file, so it survives its own restarts), and the
 * real worker and gateway (src/worker.ts, src/gateway/server.ts), each in its
 * own process and process group so one can be killed without the others,
 * all on free ports under one scratch folder. The processes run under the
 * launcher's supervisor (src/launcher/stack.ts), as `npm start`'s do, each
 * writing to its own log file; a drill restarts what it kills itself, as an
 * operator would, so the supervisor does not. Emails go through the real
 * resend SDK to the drill's fake Resend.
 *
 * The processes run as production runs them (NODE_ENV=production, secrets
 * made for this run, an https PUBLIC_BASE_URL, a real Resend key), so the
 * drills exercise what operators will run, not a development shortcut.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from '@temporalio/client';
import { loadConfig } from '../src/config';
import { dataConverter } from '../src/temporal/data-converter';
import { connectTemporal } from '../src/temporal/connection';
import { startEmbeddedPostgres, migrateDeploy, type EmbeddedDatabase } from '../src/db/embedded';
import { Stack, type Supervised } from '../src/launcher/stack';
import { projectRoot } from '../src/paths';
import { DEV_SERVER_FLAGS, temporalCliPath } from '../src/temporal/binaries';
import { ensureSearchAttributes } from '../src/temporal/search-attributes';
import { freePort } from '../test/kit/servers';

export type Role = 'worker' | 'gateway' | 'temporal';

/** Secrets and settings shared by every process of one drill stack. */
export interface StackSecrets {
  TOKEN_SECRET: string;
  WEBHOOK_SECRET: string;
  RESEND_WEBHOOK_SECRET: string;
  TEMPORAL_PAYLOAD_KEYS: string;
}

const makeSecrets = (): StackSecrets => ({
  // Made per run: never a value that appears in the repository.
  TOKEN_SECRET: randomBytes(32).toString('base64url'),
  WEBHOOK_SECRET: randomBytes(32).toString('base64url'),
  RESEND_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
  TEMPORAL_PAYLOAD_KEYS: `drills:${randomBytes(32).toString('base64')}`,
});

export interface StackOptions {
  dir: string;
  resendBaseUrl: string;
  resendApiKey: string;
  /** Extra environment for the worker and gateway. */
  env?: NodeJS.ProcessEnv;
}

export class DrillStack {
  readonly secrets = makeSecrets();
  readonly taskQueue = 'registration';
  pgPort = 0;
  temporalPort = 0;
  gatewayPort = 0;
  databaseUrl = '';
  temporal!: Client;
  private db?: EmbeddedDatabase;
  /** The launcher's supervisor, as npm start uses it; every child writes to its own log file, so the stack itself says nothing. */
  private readonly processes = new Stack('drills', () => {});
  private readonly children = new Map<Role, Supervised>();

  constructor(readonly opts: StackOptions) {}

  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.gatewayPort}`;
  }

  get uploadDir(): string {
    return path.join(this.opts.dir, 'uploads');
  }

  /** Environment of the worker and gateway processes. */
  processEnv(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      VAR_DIR: this.opts.dir,
      UPLOAD_DIR: this.uploadDir,
      DATABASE_URL: this.databaseUrl,
      TEMPORAL_ADDRESS: `127.0.0.1:${this.temporalPort}`,
      TEMPORAL_TASK_QUEUE: this.taskQueue,
      GATEWAY_PORT: String(this.gatewayPort),
      PUBLIC_BASE_URL: 'https://registration.drills.invalid',
      IDP_ACTIVATION_URL: 'https://idp.drills.invalid/activate',
      RESEND_API_KEY: this.opts.resendApiKey,
      RESEND_BASE_URL: this.opts.resendBaseUrl,
      // The drills act as hundreds of students from one address: the per-address limits would only measure themselves.
      AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
      WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000',
      ...this.secrets,
      ...this.opts.env,
    };
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.opts.dir, { recursive: true });
    [this.pgPort, this.temporalPort, this.gatewayPort] = await Promise.all([freePort(), freePort(), freePort()]);
    this.db = await startEmbeddedPostgres({ dataDir: path.join(this.opts.dir, 'postgres'), port: this.pgPort, database: 'progreg' });
    this.databaseUrl = this.db.url;
    migrateDeploy(this.databaseUrl, projectRoot);
    await this.startTemporal();
    await Promise.all([this.startWorker(), this.startGateway()]);
  }

  private async startTemporal(): Promise<void> {
    const cli = temporalCliPath();
    if (!cli) throw new Error('the Temporal CLI is not in .tools/ (npm install puts it there)');
    const uiPort = await freePort();
    this.spawnChild(
      'temporal',
      cli,
      [
        'server',
        'start-dev',
        '--db-filename',
        path.join(this.opts.dir, 'temporal.sqlite'),
        '--ip',
        '127.0.0.1',
        '--port',
        String(this.temporalPort),
        '--ui-port',
        String(uiPort),
        '--headless',
        ...DEV_SERVER_FLAGS,
        '--log-level',
        'error',
      ],
      process.env,
    );
    const connection = await waitFor(`Temporal on ${this.temporalPort}`, 60_000, async () => {
      const c = await connectTemporal({ address: `127.0.0.1:${this.temporalPort}`, connectTimeout: 2_000 });
      await c.workflowService.getSystemInfo({});
      return c;
    });
    await ensureSearchAttributes(connection, 'default');
    this.temporal = new Client({
      connection,
      dataConverter: dataConverter(loadConfig({ NODE_ENV: 'test', TEMPORAL_PAYLOAD_KEYS: this.secrets.TEMPORAL_PAYLOAD_KEYS }).payloadKeys),
    });
  }

  /** Starts the worker and waits until it polls (its log says "worker started"). */
  async startWorker(): Promise<void> {
    const child = this.spawnChild('worker', process.execPath, ['--import', 'tsx', 'src/worker.ts'], this.processEnv(), { LOG_LEVEL: 'info' });
    await waitForLine(child, /worker started/, 120_000, 'worker');
  }

  async startGateway(): Promise<void> {
    this.spawnChild('gateway', process.execPath, ['--import', 'tsx', 'src/gateway/server.ts'], this.processEnv());
    await waitFor(`gateway /readyz on ${this.gatewayPort}`, 90_000, async () => {
      const res = await fetch(`${this.gatewayUrl}/readyz`);
      if (!res.ok) throw new Error(String(res.status));
    });
  }

  /** The pid of a role's process while it runs (undefined once it exited): a changed or missing pid is a restart or a death. */
  pidOf(role: Role): number | undefined {
    const child = this.children.get(role)?.child();
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  /** kill -9 of one process (only that pid, as an operator or the OOM killer would). */
  async kill9(role: Role): Promise<void> {
    const child = this.children.get(role)?.child();
    if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error(`${role} is not running`);
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
    // Whatever it started (tsx's esbuild service) goes with it, as it would when its terminal closes.
    killGroup(child, 'SIGKILL');
  }

  /** The PostgreSQL server and all its backends, for SIGSTOP/SIGCONT. */
  postgresPids(): number[] {
    const pidFile = path.join(this.opts.dir, 'postgres', 'postmaster.pid');
    const postmaster = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    return [postmaster, ...descendants(postmaster)];
  }

  /** A fast shutdown (connections are cut), keeping the data. */
  async stopPostgres(): Promise<void> {
    await this.db!.stop();
  }

  /** The same server again: same data, same port. */
  async startPostgres(): Promise<void> {
    this.db = await startEmbeddedPostgres({ dataDir: path.join(this.opts.dir, 'postgres'), port: this.pgPort, database: 'progreg' });
  }

  signalPostgres(signal: 'SIGSTOP' | 'SIGCONT'): void {
    for (const pid of this.postgresPids()) {
      try {
        process.kill(pid, signal);
      } catch {
        // a backend that just ended
      }
    }
  }

  async stop(): Promise<void> {
    // The processes in reverse order of their (latest) start: gateway and worker, then Temporal (SIGTERM to each group, SIGKILL after 15 s).
    await this.processes.shutdown();
    await this.temporal?.connection.close().catch(() => {});
    await this.db?.stop().catch(() => {});
  }

  logFile(role: Role): string {
    return path.join(this.opts.dir, `${role}.log`);
  }

  private spawnChild(role: Role, command: string, args: string[], env: NodeJS.ProcessEnv, extra: NodeJS.ProcessEnv = {}): ChildProcess {
    // Restarted by hand: a drill kills a process and starts it again as an operator would, and measures what that costs.
    const supervised = this.processes.supervise(role, command, args, { env: { ...env, ...extra }, logFile: this.logFile(role), restart: 'by-hand' });
    const child = supervised.child();
    this.children.set(role, supervised);
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    return child;
  }
}

const liveChildren = new Set<ChildProcess>();
/** A drill runner that dies must not leave servers behind. */
process.once('exit', () => {
  for (const child of liveChildren) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // the group is gone already
  }
}

/** Every process below `pid`, from /proc (Linux). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

export async function waitFor<T>(what: string, timeoutMs: number, attempt: () => Promise<T>, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (e) {
      if (Date.now() > until) throw new Error(`${what}: not ready after ${timeoutMs / 1000} s (${String((e as Error).message ?? e)})`, { cause: e });
    }
    await delay(everyMs);
  }
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not report ready in ${timeoutMs / 1000} s`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-4096);
      if (pattern.test(seen)) done(resolve);
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(() => reject(new Error(`${what} exited (${signal ?? code}) before it was ready; see its log`)));
    const done = (then: () => void) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      then();
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}
