/** The drills that kill or interrupt a process: a worker, the whole stack, a gateway during uploads or an import. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from '@temporalio/client';
import { loadConfig } from '../src/config';
import { dataConverter } from '../src/temporal/data-converter';
import { connectTemporal } from '../src/temporal/connection';
import { embeddedDatabaseUrl } from '../src/db/embedded';
import { projectRoot } from '../src/paths';
import { freePort } from '../test/kit/servers';
import { awaitRecovery } from './audit';
import { makeCohort } from './cohort';
import { waitFor } from './stack';
import { inPool } from '../test/kit/pool';
import { Api, Ledger, Student } from './students';
import {
  type DrillRow,
  type DrillEnv,
  SharedStack,
  adminKey,
  newRow,
  applyAudit,
  applyLedger,
  importCohort,
  runningImports,
  invitedCount,
  until,
  auditInput,
  signInAll,
} from './kit';

export async function workerKillDrill(env: DrillEnv, shared: SharedStack): Promise<DrillRow> {
  const row = newRow('1. kill -9 worker mid import', env.students);
  const stack = await shared.get();
  const api = new Api(stack.gatewayUrl, new Ledger());
  const cohort = makeCohort('worker', env.students);
  const job = await importCohort(api, shared.adminKey, cohort, false);
  await until('a third of the invitations', 120_000, () => invitedCount(env.fake, cohort) >= env.students / 3);
  const atKill = invitedCount(env.fake, cohort);
  const fault = Date.now();
  await stack.kill9('worker');
  await stack.startWorker();
  row.notes.push(`killed with ${atKill}/${env.students} invited; new worker polling after ${((Date.now() - fault) / 1000).toFixed(1)} s`);
  const { audit: a, seconds } = await awaitRecovery(auditInput(stack, env, cohort), fault, env.recoveryTimeoutMs);
  applyAudit(row, a, seconds);
  const running = await runningImports(api, shared.adminKey, cohort);
  if (running.length) row.problems.push(`import ${job.id} still RUNNING`);
  applyLedger(row, api.ledger, stack.logFile('gateway'));
  return row;
}

// ---------------------------------------------------------------------------
// 2. SIGINT the whole stack (npm start) during processing, start it again on the same state
// ---------------------------------------------------------------------------
export async function stackInterruptDrill(env: DrillEnv): Promise<DrillRow> {
  const row = newRow('2. Ctrl-C whole stack, restart', env.students);
  const varDir = path.join(env.dir, 'launcher');
  const ports = { EMBEDDED_PG_PORT: await freePort(), TEMPORAL_DEV_PORT: await freePort(), TEMPORAL_UI_PORT: await freePort(), GATEWAY_PORT: await freePort() };
  const launcherEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    VAR_DIR: varDir,
    LOG_LEVEL: 'warn',
    RESEND_API_KEY: env.fake.apiKey,
    RESEND_BASE_URL: env.fake.baseUrl,
    AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  };
  const logFile = path.join(env.dir, 'launcher.log');
  const cohort = makeCohort('launch', env.students);
  let launcher = await startLauncher(launcherEnv, logFile);
  try {
    const api = new Api(`http://127.0.0.1:${ports.GATEWAY_PORT}`, new Ledger());
    const databaseUrl = embeddedDatabaseUrl(ports.EMBEDDED_PG_PORT, 'progreg');
    const admin = await adminKey(databaseUrl);
    // A slow provider keeps the worker busy with invitations when the signal comes.
    env.fake.latencyMs = 1_500;
    await importCohort(api, admin, cohort, true);
    await until('a quarter of the invitations', 120_000, () => invitedCount(env.fake, cohort) >= env.students / 4);
    row.notes.push(`interrupted with ${invitedCount(env.fake, cohort)}/${env.students} invited`);

    // What a terminal's Ctrl-C does: SIGINT to the whole foreground process group.
    const fault = Date.now();
    process.kill(-launcher.child.pid!, 'SIGINT');
    const stopped = await Promise.race([launcher.exited, delay(60_000).then(() => undefined)]);
    const stopSeconds = (Date.now() - fault) / 1000;
    env.fake.latencyMs = 0;
    if (!stopped) {
      row.manualSteps++;
      row.problems.push('the launcher did not exit within 60 s of Ctrl-C (killed with SIGKILL)');
      process.kill(-launcher.child.pid!, 'SIGKILL');
      await launcher.exited;
    } else {
      row.notes.push(`stopped in ${stopSeconds.toFixed(1)} s, exit ${stopped.signal ?? stopped.code}`);
      if (!/\bstopped\b/.test(launcher.output())) row.problems.push('the launcher never printed "stopped" after Ctrl-C');
      if (stopSeconds > 15) row.problems.push(`stopping took ${stopSeconds.toFixed(1)} s`);
    }
    const leftovers = await leftoverListeners(Object.values(ports), 5_000);
    if (leftovers.length) {
      row.manualSteps++;
      row.problems.push(`ports still served after the launcher exited: ${leftovers.join(', ')} (processes killed by hand)`);
      killProcessesUnder(varDir);
    }

    launcher = await startLauncher(launcherEnv, logFile);
    const connection = await connectTemporal({ address: `127.0.0.1:${ports.TEMPORAL_DEV_PORT}` });
    try {
      const input = {
        temporal: new Client({ connection, dataConverter: dataConverter(loadConfig({ NODE_ENV: 'test' }).payloadKeys) }),
        databaseUrl,
        fake: env.fake,
        cohort,
      };
      const { audit: a, seconds } = await awaitRecovery(input, fault, env.recoveryTimeoutMs);
      applyAudit(row, a, seconds);
    } finally {
      await connection.close();
    }
    if ((await runningImports(api, admin, cohort)).length) row.problems.push('an import job stayed RUNNING');
    applyLedger(row, api.ledger);
  } finally {
    env.fake.latencyMs = 0;
    // An orderly stop: SIGTERM to the launcher alone.
    if (launcher.child.exitCode === null && launcher.child.signalCode === null) {
      launcher.child.kill('SIGTERM');
      if (!(await Promise.race([launcher.exited, delay(60_000).then(() => undefined)]))) process.kill(-launcher.child.pid!, 'SIGKILL');
    }
    killProcessesUnder(varDir);
  }
  return row;
}

interface Launcher {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** `npm start` as a terminal runs it: its own foreground process group (detached here), output kept. */
async function startLauncher(env: NodeJS.ProcessEnv, logFile: string): Promise<Launcher> {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/dev.ts'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  for (const s of [child.stdout!, child.stderr!]) {
    s.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      fs.appendFileSync(logFile, c);
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const launcher = { child, exited, output: () => out };
  const up = await Promise.race([
    waitFor('launcher', 180_000, async () => {
      if (!/progreg is up/.test(out)) throw new Error('not up yet');
    }).then(() => true),
    exited.then(() => false),
  ]);
  if (!up) throw new Error(`npm start exited before it was up; see ${logFile}`);
  return launcher;
}

/** Ports still accepting connections `graceMs` after the stack should have gone. */
async function leftoverListeners(ports: number[], graceMs: number): Promise<number[]> {
  await delay(graceMs);
  const open = await Promise.all(
    ports.map(
      (port) =>
        new Promise<number | null>((resolve) => {
          const socket = net.connect(port, '127.0.0.1');
          socket.once('connect', () => (socket.destroy(), resolve(port)));
          socket.once('error', () => resolve(null));
        }),
    ),
  );
  return open.filter((p): p is number => p !== null);
}

/** Processes whose command line or environment names this drill's folder: only what the drill started. */
function killProcessesUnder(dir: string): void {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const environ = fs.readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (cmdline.includes(dir) || environ.includes(`VAR_DIR=${dir}\0`)) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

// ---------------------------------------------------------------------------
// 3. kill -9 the gateway during uploads, and during an import
// ---------------------------------------------------------------------------
export async function gatewayKillUploadsDrill(env: DrillEnv, shared: SharedStack): Promise<DrillRow> {
  const row = newRow('3a. kill -9 gateway during uploads', env.students);
  const stack = await shared.get();
  const api = new Api(stack.gatewayUrl, new Ledger());
  const cohort = makeCohort('uploads', env.students);
  await importCohort(api, shared.adminKey, cohort, true);
  await until('every invitation', env.recoveryTimeoutMs, () => invitedCount(env.fake, cohort) === env.students);
  const students = cohort.students.map((s) => new Student(s.applicationNo, s.email));
  await signInAll(api, env, students);

  // One upload stalls halfway, so the kill certainly finds a file being written; the others stream on.
  const stalled = stalledUpload(stack.gatewayUrl, students[0]!);
  let fault = 0;
  let restarted: Promise<void> | undefined;
  const uploads = inPool(students.slice(1), 16, async (s) => {
    await s.upload(api, 180_000);
    if (!fault && students.filter((x) => x.acknowledged.has('upload')).length >= env.students / 4) {
      fault = Date.now();
      restarted = until('the stalled upload on disk', 30_000, () => partFiles(stack.uploadDir).length > 0)
        .catch(() => row.notes.push('the stalled upload never reached the disk'))
        .then(() => stack.kill9('gateway'))
        .then(() => stalled.abort())
        .then(() => stack.startGateway());
    }
  });
  await uploads;
  await restarted;
  // The stalled student tries again, as a person whose upload failed would.
  await students[0]!.upload(api, 180_000);
  if (!fault) row.problems.push('the uploads finished before the gateway could be killed');
  const { audit: a, seconds } = await awaitRecovery(auditInput(stack, env, cohort, { students }), fault || Date.now(), env.recoveryTimeoutMs);
  applyAudit(row, a, seconds);
  const unfinished = students.filter((s) => s.unfinished.size).length;
  if (unfinished) row.problems.push(`${unfinished} students could not upload within 3 minutes`);
  const orphans = partFiles(stack.uploadDir);
  if (orphans.length) {
    row.manualSteps++;
    row.problems.push(`${orphans.length} orphaned .part file(s) left in ${path.relative(stack.opts.dir, path.dirname(orphans[0]!))} after the restart`);
  }
  applyLedger(row, api.ledger, stack.logFile('gateway'));
  return row;
}

/** An upload that sends its first 64 KB and then waits (a slow phone on a train), until aborted. */
function stalledUpload(baseUrl: string, student: Student): { abort: () => void } {
  const controller = new AbortController();
  const boundary = `drill${Date.now()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="id.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n`,
  );
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new Uint8Array(head));
      c.enqueue(new Uint8Array(Buffer.alloc(64 * 1024, 0x20)));
      // …and nothing more: the stream stays open.
    },
  });
  fetch(`${baseUrl}/api/registrations/${student.applicationNo}/items/ID_DOCUMENT/documents`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${student.session}` },
    body,
    signal: controller.signal,
    duplex: 'half',
  } as RequestInit).catch(() => {});
  return { abort: () => controller.abort() };
}

function partFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.part')).map((f) => path.join(dir, f));
}

export async function gatewayKillImportDrill(env: DrillEnv, shared: SharedStack): Promise<DrillRow> {
  const row = newRow('3b. kill -9 gateway during import', env.students);
  const stack = await shared.get();
  const api = new Api(stack.gatewayUrl, new Ledger());
  const cohort = makeCohort('import', env.students);
  const job = await importCohort(api, shared.adminKey, cohort, false);
  const answeredAt = Date.now();
  // Killed right after the 202: the import workflow (on the worker) must finish without the gateway that began it.
  const fault = Date.now();
  await stack.kill9('gateway');
  row.notes.push(`killed ${fault - answeredAt} ms after the import's 202`);
  if (job.status !== 'RUNNING') row.notes.push(`the import answered ${job.status} at once: this run did not interrupt it`);
  await stack.startGateway();
  const finished = await waitFor('the import job to finish', env.recoveryTimeoutMs, async () => {
    if ((await runningImports(api, shared.adminKey, cohort)).length) throw new Error('still RUNNING');
  }).then(
    () => true,
    () => false,
  );
  if (finished) row.notes.push(`the import finished by itself ${((Date.now() - fault) / 1000).toFixed(1)} s after the kill`);
  else {
    row.manualSteps++;
    row.problems.push(`import job ${job.id} still RUNNING ${env.recoveryTimeoutMs / 1000} s after the gateway's restart (only a database edit ends it)`);
  }
  const { audit: a, seconds } = await awaitRecovery(auditInput(stack, env, cohort), fault, env.recoveryTimeoutMs);
  applyAudit(row, a, seconds);
  // The old runbook step, importing the same file again, must still be harmless: nothing new started.
  const again = (await importCohort(api, shared.adminKey, cohort, true)) as { status: string; started?: number; existing?: number };
  if (again.status !== 'DONE' || again.started !== 0 || again.existing !== env.students) {
    row.problems.push(
      `the same file imported again ended ${again.status}, started ${again.started}, existing ${again.existing} (expected DONE, 0, ${env.students})`,
    );
  }
  applyLedger(row, api.ledger, stack.logFile('gateway'));
  return row;
}

// ---------------------------------------------------------------------------
// 4. PostgreSQL unresponsive for 30 s while students act
// ---------------------------------------------------------------------------
