/**
 * `npm start` end to end: the launcher brings up embedded PostgreSQL, the
 * Temporal dev server with its UI and our search attributes, the worker and the
 * gateway; SIGTERM, or a terminal's Ctrl-C to the whole process group, takes
 * all of it down in order and frees every port. A gateway that dies comes back
 * and answers; one that keeps dying makes the launcher give up, stop the rest
 * and exit 1.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/paths';
import { temporalCliPath } from '../../src/temporal/binaries';
import { registrationSearchAttributes } from '../../workflows/registration/search-attributes';
import { freePort } from '../kit/servers';

const portIsFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = net.createServer().once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

interface Launched {
  child: ChildProcess;
  ports: Record<'gateway' | 'temporal' | 'ui' | 'pg', number>;
  output: () => string;
  exited: Promise<number | null>;
  varDir: string;
}

/** `npm start` on free ports, in a process group of its own as a terminal's foreground job is; resolves once it is up. */
async function launch(varDir: string): Promise<Launched> {
  const ports = { gateway: await freePort(), temporal: await freePort(), ui: await freePort(), pg: await freePort() };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/dev.ts'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      NODE_ENV: '',
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
      VAR_DIR: varDir,
      GATEWAY_PORT: String(ports.gateway),
      TEMPORAL_DEV_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      EMBEDDED_PG_PORT: String(ports.pg),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await Promise.race([
    new Promise<void>((resolve) => {
      const timer = setInterval(() => /progreg is up/.test(output) && (clearInterval(timer), resolve()), 200);
    }),
    exited.then((code) => assert.fail(`launcher exited early (${code}):\n${output}`)),
  ]);
  return { child, ports, output: () => output, exited, varDir };
}

/** The launcher's child running `script` (its own process, not one of another stack on this machine). */
function childPid(launcher: ChildProcess, script: string): number | undefined {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' }).split('\n');
  for (const row of rows) {
    const [pid, ppid, ...args] = row.trim().split(/\s+/);
    if (Number(ppid) === launcher.pid && args.includes(script)) return Number(pid);
  }
  return undefined;
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The processes of a stack: each one names its data folder on its command line. */
function processesOf(varDir: string): { pid: number; args: string }[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((row) => /^\s*(\d+)\s+(.*)$/.exec(row))
    .filter((m): m is RegExpExecArray => !!m && m[2]!.includes(varDir) && Number(m[1]) !== process.pid)
    .map((m) => ({ pid: Number(m[1]), args: m[2]! }));
}

async function assertNothingLeft(l: Launched, varDir: string): Promise<void> {
  for (const [name, port] of Object.entries(l.ports)) assert.ok(await portIsFree(port), `${name} port ${port} still bound`);
  assert.deepEqual(
    processesOf(varDir).map((p) => p.args),
    [],
  );
}

describe('npm start (the whole stack on embedded defaults)', function () {
  this.timeout(180_000);
  let running: Launched | undefined;
  const varDirs: string[] = [];
  const freshVarDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-start-'));
    varDirs.push(dir);
    return dir;
  };

  // After a failed test, the launcher may be gone while what it started still runs: everything naming the test's
  // data folder goes, not only the launcher's process group, or it would hold ports and memory for the rest of the run.
  afterEach(() => {
    if (!running) return;
    if (running.child.exitCode === null) process.kill(-running.child.pid!, 'SIGKILL');
    for (const { pid } of processesOf(running.varDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    running = undefined;
  });
  after(() => {
    for (const dir of varDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('comes up ready, registers the search attributes, and stops cleanly on SIGTERM', async () => {
    const varDir = freshVarDir();
    const l = (running = await launch(varDir));
    const { ports } = l;

    const ready = await fetch(`http://localhost:${ports.gateway}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    const ui = await fetch(`http://localhost:${ports.ui}/`);
    assert.equal(ui.status, 200);
    // npm install puts the CLI in .tools/; without it this would be a broken install, not a reason to skip.
    const cli = temporalCliPath();
    assert.ok(cli, 'the Temporal CLI is in .tools/');
    const list = execFileSync(cli, ['operator', 'search-attribute', 'list', '--address', `localhost:${ports.temporal}`], { encoding: 'utf8' });
    for (const key of registrationSearchAttributes) assert.match(list, new RegExp(`\\b${key.name}\\b`));
    assert.match(l.output(), new RegExp(`PostgreSQL\\s+postgresql://postgres:\\*\\*\\*@127.0.0.1:${ports.pg}/progreg`));
    // npm start is the development stack: the one start (besides the tests) that opts in.
    assert.match(l.output(), /development mode/);
    // The worker gets the allocator's variables of `npm run worker` from its start: glibc reads them only then.
    const workerPid = childPid(l.child, 'src/worker.ts');
    assert.ok(workerPid, 'the worker runs');
    const workerEnv = fs.readFileSync(`/proc/${workerPid}/environ`, 'utf8').split('\0');
    for (const variable of ['MALLOC_ARENA_MAX=2', 'MALLOC_MMAP_THRESHOLD_=131072', 'MALLOC_TRIM_THRESHOLD_=131072'])
      assert.ok(workerEnv.includes(variable), `the worker starts with ${variable}`);

    l.child.kill('SIGTERM');
    assert.equal(await l.exited, 0, l.output());
    await assertNothingLeft(l, varDir);
  });

  it('Ctrl-C in a terminal (SIGINT to the whole process group) stops everything in order, quickly, and says "stopped"', async () => {
    const varDir = freshVarDir();
    const l = (running = await launch(varDir));
    const t0 = Date.now();
    // What a terminal does on Ctrl-C: the signal goes to every process of the foreground group.
    process.kill(-l.child.pid!, 'SIGINT');
    const code = await l.exited;
    const ms = Date.now() - t0;
    assert.equal(code, 0, l.output());
    assert.ok(ms < 15_000, `stopping took ${ms} ms:\n${l.output().slice(l.output().indexOf('stopping…'))}`);
    const tail = l.output().slice(l.output().indexOf('stopping…'));
    assert.match(tail, /\[progreg\] stopped\s*$/);
    // In order: nothing complains that PostgreSQL or Temporal went away under the worker or gateway.
    assert.doesNotMatch(tail, /exited on its own|stopping \w+ failed/);
    await assertNothingLeft(l, varDir);
    console.log(`      stopped in ${ms} ms`);
  });

  it('a gateway killed with SIGKILL comes back and answers, with a loud line; killed again and again, the launcher gives up, stops everything and exits 1', async () => {
    const varDir = freshVarDir();
    const l = (running = await launch(varDir));
    const gatewayScript = 'src/gateway/server.ts';
    const first = childPid(l.child, gatewayScript);
    assert.ok(first, 'the gateway runs as a child of the launcher');

    const t0 = Date.now();
    process.kill(first, 'SIGKILL');
    const second = await until('a new gateway process', 30_000, () => {
      const pid = childPid(l.child, gatewayScript);
      return pid !== undefined && pid !== first ? pid : undefined;
    });
    await until('the restarted gateway answering /readyz', 90_000, async () => {
      const res = await fetch(`http://localhost:${l.ports.gateway}/readyz`).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    });
    console.log(`      gateway back and ready ${((Date.now() - t0) / 1000).toFixed(1)} s after its kill`);
    assert.match(l.output(), /!!! gateway exited on its own \(SIGKILL\); restarting it in 0\.5 s \(exit 1 within 60 s; the stack gives up at 5\)/);
    assert.equal(l.child.exitCode, null, 'the launcher still runs');

    // Killed as soon as each new one appears: the 5th exit within a minute is the last.
    let victim = second;
    for (let exits = 2; exits <= 5; exits++) {
      process.kill(victim, 'SIGKILL');
      if (exits === 5) break;
      const previous = victim;
      victim = await until(`gateway process after exit ${exits}`, 30_000, () => {
        const pid = childPid(l.child, gatewayScript);
        return pid !== undefined && pid !== previous ? pid : undefined;
      });
    }
    const code = await Promise.race([l.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 60_000))]);
    assert.equal(code, 1, l.output().slice(-3000));
    // The pauses doubled before it gave up (by hand: 0.5, 1, 2, 4 s).
    const pauses = [...l.output().matchAll(/gateway exited on its own \(SIGKILL\); restarting it in ([\d.]+) s/g)].map((m) => m[1]);
    assert.deepEqual(pauses, ['0.5', '1.0', '2.0', '4.0']);
    assert.match(l.output(), /!!! gateway exited on its own \(SIGKILL\), 5 times within 60 s; giving up and stopping the stack/);
    assert.match(l.output(), /\[progreg\] stopped\s*$/);
    await assertNothingLeft(l, varDir);
  });
});
