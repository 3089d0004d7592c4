/**
 * The one process supervisor, which `npm start` (src/dev.ts), `npm run
 * cluster` (src/cluster/) and the fault drills (drills/stack.ts) share: child
 * processes with prefixed log lines (or a log file each), restarted under a
 * policy when they die, a stop list run in reverse order once, and waits for a
 * port or a URL to answer.
 *
 * Children run in their own process group, so a Ctrl-C in the terminal reaches
 * only this launcher, which then stops them in order (and a child's own
 * children go with it when the group is signalled).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import type { Connection, ConnectionOptions } from '@temporalio/client';
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
  /** How many times it was restarted (or is about to be, after its pause) after exiting on its own. */
  restarts(): number;
  /** Stops this child alone, as the stack stops it; its exit then neither restarts it nor stops the stack. */
  stop(): Promise<void>;
}

/**
 * How a child that exits on its own comes back: after a pause that doubles with each exit in
 * the window, and not forever. A child that keeps dying (a port taken, a broken build, a bad
 * setting) is not helped by restarting it every second; the stack then stops, loudly, exit 1.
 */
export interface RestartPolicy {
  /** Pause before restarting after the first exit in the window; doubled for each further one, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** The stack gives up when the child exits this many times within `windowMs`. */
  maxExits: number;
  windowMs: number;
}

/** The workers and gateways of `npm start` and `npm run cluster`: 0.5, 1, 2, 4 s, then the stack stops at the 5th exit within a minute. */
export const RESTART_POLICY: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 8_000, maxExits: 5, windowMs: 60_000 };

/** What the policy does after an exit at `now`, given the earlier exits still in the window: wait `delayMs` and restart, or give up. */
export function nextRestart(
  policy: RestartPolicy,
  exitTimes: readonly number[],
  now: number,
): { giveUp: true; exits: number } | { giveUp: false; exits: number; delayMs: number } {
  const exits = exitTimes.filter((t) => now - t < policy.windowMs).length + 1;
  if (exits >= policy.maxExits) return { giveUp: true, exits };
  return { giveUp: false, exits, delayMs: Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (exits - 1)) };
}

export interface SuperviseOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * On its own exit: restart it under this policy (`true`: RESTART_POLICY), as an orchestrator
   * would; `'by-hand'`: nothing (the caller restarts it, as the fault drills do, playing the
   * operator); else, or once the policy gives up, stop the whole stack (exit code 1).
   */
  restart?: boolean | RestartPolicy | 'by-hand';
  /** Log lines to drop (noise the operator cannot act on). */
  mute?: (line: string) => boolean;
  /** Append the child's output, as it prints it, to this file instead of the stack's prefixed lines. */
  logFile?: string;
}

export class Stack {
  private readonly stops: Array<{ name: string; stop: () => Promise<unknown> }> = [];
  private readonly colors = new Map<string, number>();
  private stopping = false;
  private stopped?: Promise<void>;

  constructor(
    readonly name: string,
    private readonly out: (line: string) => void = (l) => console.log(l),
    /** What ends the process once the stack stopped because a child died (tests of the stack pass their own). */
    private readonly exit: (code: number) => void = (code) => process.exit(code),
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

  /** A line nobody scrolling past should miss: a child died. */
  private alarm(line: string): void {
    this.say(this.name, useColor ? `\x1b[1;41m !!! \x1b[0m \x1b[1m${line}\x1b[0m` : `!!! ${line}`);
  }

  /** Stops the stack because a child died, then ends the process with exit code 1. */
  private failed(): void {
    void this.shutdown().then(() => this.exit(1));
  }

  /** Runs a child until shutdown, its output prefixed with its name. */
  supervise(name: string, command: string, args: string[], opts: SuperviseOptions = {}): Supervised {
    const byHand = opts.restart === 'by-hand';
    const policy = opts.restart === true ? RESTART_POLICY : typeof opts.restart === 'object' ? opts.restart : undefined;
    let child!: ChildProcess;
    let exited!: Promise<void>;
    let restarts = 0;
    let retired = false;
    let pending: NodeJS.Timeout | undefined;
    const exitTimes: number[] = [];
    const start = () => {
      pending = undefined;
      if (this.stopping || retired) return;
      child = spawn(command, args, { cwd: opts.cwd ?? projectRoot, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      if (opts.logFile) appendOutput(child, opts.logFile);
      else this.pipeLines(child, name, opts.mute);
      exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.once('exit', (code, signal) => {
        if (this.stopping || retired || byHand) return;
        const how = signal ?? `exit code ${code}`;
        if (!policy) {
          this.alarm(`${name} exited on its own (${how}); stopping the stack`);
          return this.failed();
        }
        const now = Date.now();
        const next = nextRestart(policy, exitTimes, now);
        exitTimes.push(now);
        const window = `${policy.windowMs / 1000} s`;
        if (next.giveUp) {
          this.alarm(`${name} exited on its own (${how}), ${next.exits} times within ${window}; giving up and stopping the stack`);
          return this.failed();
        }
        restarts++;
        this.alarm(
          `${name} exited on its own (${how}); restarting it in ${(next.delayMs / 1000).toFixed(1)} s ` +
            `(exit ${next.exits} within ${window}; the stack gives up at ${policy.maxExits})`,
        );
        pending = setTimeout(start, next.delayMs);
      });
    };
    start();
    const stop = () => {
      // A restart waiting for its pause does not happen once the stack or this child stops.
      clearTimeout(pending);
      return stopProcessGroup(
        child,
        () => exited,
        (m) => this.say(this.name, `${name} ${m}`),
      );
    };
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

/** The child's stdout and stderr, as they come, at the end of `file` (closed when both streams end). */
function appendOutput(child: ChildProcess, file: string): void {
  const out = fs.createWriteStream(file, { flags: 'a' });
  let open = 2;
  for (const stream of [child.stdout, child.stderr]) {
    stream!.on('data', (chunk: Buffer) => out.write(chunk));
    stream!.once('close', () => --open === 0 && out.end());
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
function prettyJson(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const { level, msg, time: _t, pid: _p, hostname: _h, name: _n, ts: _ts, ...rest } = JSON.parse(line);
    const lvl =
      typeof level === 'number' ? ({ 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' } as Record<number, string>)[level] : level;
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    // The SDK logs webpack's whole report as one message: its first line says enough.
    const [first, ...more] = String(msg ?? '').split('\n');
    return `${lvl} ${first}${more.length ? ' …' : ''}${extra}`;
  } catch {
    return line;
  }
}

export async function waitForTemporal(address: string, timeoutMs: number, options: Pick<ConnectionOptions, 'tls'> = {}): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await connectTemporal({ ...options, address, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`Temporal at ${address} did not answer in ${timeoutMs / 1000} s: ${String(e)}`, { cause: e });
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
