/**
 * The gateway alone in a process of its own (bench/export-gateway.ts), for the
 * benches that measure its memory: started, waited for (`READY <url> <admin key>`),
 * its resident set size read from /proc/<pid>/status, stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  /** An admin API key made for the run. */
  key: string;
  stop(): Promise<void>;
}

/** Starts `node <args>` (the gateway script, compiled or through tsx) on the given PostgreSQL. */
export async function startGatewayProcess(args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string) => void): Promise<GatewayProcess> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const [url, key] = await new Promise<[string, string]>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`gateway exited (${code})`)));
    child.stdout!.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        const m = /READY (\S+) (\S+)/.exec(line);
        if (m) resolve([m[1]!, m[2]!]);
        else if (line) onLine?.(line);
      }
    });
  });
  return {
    child,
    url,
    key,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** VmRSS and VmHWM (peak) of a process, in bytes (Linux). */
export function processMemory(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** The same, in whole MB, as the benches print it. */
export function processMemoryMb(pid: number): { rss: number; peak: number } {
  const { rss, peak } = processMemory(pid);
  return { rss: Math.round(rss / 2 ** 20), peak: Math.round(peak / 2 ** 20) };
}
