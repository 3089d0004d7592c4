/**
 * What `npm start` (src/dev.ts) and `npm run cluster` (src/cluster/) share:
 * child processes with prefixed log lines, a stop list run in reverse order
 * once, and waits for a port or a URL to answer.
 *
 * Children run in their own process group, so a Ctrl-C in the terminal reaches
 * only this launcher, which then stops them in order (and a child's own
 * children go with it when the group is signalled).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import type { Connection } from '@temporalio/client';
import { connectTemporal } from '../temporal/connection';
import { projectRoot } from '../paths';

const PALETTE = [34, 35, 32, 36, 33, 31, 94, 95, 92, 96];
const useColor = process.stdout.isTTY;

export interface Supervised {
  name: string;
  /** The current process (a restarted child gets a new one). */
  child(): ChildProcess;
  /** Resolves when the current process has exited. */
  exited(): Promise<void>;
  /** How many times it was restarted after exiting on its own. */
  restarts(): number;
  /** Stops this child alone, as the stack stops it; its exit then neither restarts it nor stops the stack. */
  stop(): Promise<void>;
}

export interface SuperviseOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** On its own exit: restart it (replicas, as an orchestrator would), else stop the whole stack. */
  restart?: boolean;
  /** Log lines to drop (noise the operator cannot act on). */
  mute?: (line: string) => boolean;
}

export class Stack {
  private readonly stops: Array<{ name: string; stop: () => Promise<unknown> }> = [];
  private readonly colors = new Map<string, number>();
  private stopping = false;
  private stopped?: Promise<void>;

  constructor(
    readonly name: string,
    private readonly out: (line: string) => void = (l) => console.log(l),
  ) {}

  get shuttingDown(): boolean {
    return this.stopping;
  }

  tag(source: string): string {
    if (!this.colors.has(source)) this.colors.set(source, PALETTE[this.colors.size % PALETTE.length]!);
    return useColor ? `\x1b[${this.colors.get(source)}m[${source}]\x1b[0m` : `[${source}]`;
  }

  say(source: string, line: string): void {
    this.out(`${this.tag(source)} ${line}`);
  }

  /** Registers a stop step; steps run in reverse order of registration. */
  onStop(name: string, stop: () => Promise<unknown>): void {
    this.stops.push({ name, stop });
  }

  /**
   * Stops everything once. Every caller waits for that one stop: a second Ctrl-C, npm relaying the same signal, or a
   * caller whose work failed because the stop began. Returning early would let that caller exit the process while
   * children in their own process groups still run, and they would outlive it.
   */
  shutdown(): Promise<void> {
    this.stopping = true;
    this.stopped ??= this.stopAll();
    return this.stopped;
  }

  private async stopAll(): Promise<void> {
    this.say(this.name, 'stopping…');
    for (const { name, stop } of this.stops.splice(0).reverse()) {
      await stop().catch((e) => this.say(this.name, `stopping ${name} failed: ${String(e)}`));
    }
    this.say(this.name, 'stopped');
  }

  /** Runs a child until shutdown, its output prefixed with its name. */
  supervise(name: string, command: string, args: string[], opts: SuperviseOptions = {}): Supervised {
    let child!: ChildProcess;
    let exited!: Promise<void>;
    let restarts = 0;
    let retired = false;
    const start = () => {
      child = spawn(command, args, { cwd: opts.cwd ?? projectRoot, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      this.pipeLines(child, name, opts.mute);
      exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.once('exit', (code, signal) => {
        if (this.stopping || retired) return;
        if (opts.restart) {
          restarts++;
          this.say(this.name, `${name} exited (${signal ?? code}); restarting it`);
          setTimeout(() => this.stopping || start(), 500);
          return;
        }
        this.say(this.name, `${name} exited (${signal ?? code}); stopping the stack`);
        void this.shutdown().then(() => process.exit(1));
      });
    };
    start();
    const stop = () => stopProcessGroup(child, () => exited, (m) => this.say(this.name, `${name} ${m}`));
    this.onStop(name, stop);
    return {
      name,
      child: () => child,
      exited: () => exited,
      restarts: () => restarts,
      stop: () => {
        retired = true;
        return stop();
      },
    };
  }

  private pipeLines(child: ChildProcess, source: string, mute?: (line: string) => boolean): void {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on('line', (line) => {
        if (mute?.(line)) return;
        this.say(source, prettyJson(line));
      });
    }
  }
}

/** SIGTERM to the child's process group, SIGKILL after 15 s. */
async function stopProcessGroup(child: ChildProcess, exited: () => Promise<void>, log: (m: string) => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      child.kill(sig);
    }
  };
  signal('SIGTERM');
  const stopped = await Promise.race([exited().then(() => true), delay(15_000).then(() => false)]);
  if (!stopped) {
    log('did not stop in 15 s; killing it');
    signal('SIGKILL');
    await exited();
  }
}

/** pino's JSON is for machines; show level, message and the interesting fields. */
export function prettyJson(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const { level, msg, time: _t, pid: _p, hostname: _h, name: _n, ts: _ts, ...rest } = JSON.parse(line);
    const lvl = typeof level === 'number' ? ({ 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' } as Record<number, string>)[level] : level;
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    // The SDK logs webpack's whole report as one message: its first line says enough.
    const [first, ...more] = String(msg ?? '').split('\n');
    return `${lvl} ${first}${more.length ? ' …' : ''}${extra}`;
  } catch {
    return line;
  }
}

export async function waitForTemporal(address: string, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await connectTemporal({ address, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`Temporal at ${address} did not answer in ${timeoutMs / 1000} s: ${String(e)}`);
      await delay(500);
    }
  }
}

export async function waitForReady(url: string, timeoutMs: number, ok: (status: number) => boolean = (s) => s < 300): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (ok(res.status)) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs / 1000} s`);
    await delay(300);
  }
}

/** Paths inside the project are shown relative to it, others in full. */
export const shortPath = (p: string): string => (p.startsWith(projectRoot + path.sep) ? path.relative(projectRoot, p) : p);
export const redact = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
