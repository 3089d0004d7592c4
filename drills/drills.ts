/**
 * The fault drills (issue 7 §6). Each one imports its own cohort into a real
 * stack, breaks something while the system is busy, does what an operator's
 * runbook says (restart what was killed; an interrupted import finishes by
 * itself, as a Temporal workflow), and then measures from ground truth (drills/audit.ts).
 *
 * "Manual steps" counts what an operator had to do beyond that runbook: kill
 * processes left behind, delete orphaned files, repair an import job by hand.
 * A row passes when nothing is lost or doubled, no step beyond the runbook was
 * needed and no problem (a 5xx other than 503, a wrong answer, a job stuck
 * RUNNING, a read model that never caught up) was seen.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { createPrisma } from '../src/db/prisma';
import { embeddedDatabaseUrl } from '../src/db/embedded';
import { createStaffKey } from '../src/gateway/auth/staff-keys';
import { projectRoot } from '../src/paths';
import type { FakeResend } from '../test/activities/fake-resend';
import { freePort } from '../test/support/env';
import { awaitRecovery, emailsByAddress, type Audit, type AuditInput } from './audit';
import { makeCohort, type DrillCohort } from './cohort';
import { DrillStack, waitFor } from './stack';
import { Api, inPool, Ledger, Student } from './students';

export interface DrillRow {
  drill: string;
  students: number;
  lost: number;
  duplicates: number;
  manualSteps: number;
  /** Seconds from the fault to a clean audit; null: never recovered in the drill's time. */
  recoverySeconds: number | null;
  /** 5xx other than 503 seen by the drill's clients. */
  serverErrors: number;
  problems: string[];
  notes: string[];
}

export const passed = (r: DrillRow) => r.lost === 0 && r.duplicates === 0 && r.manualSteps === 0 && r.recoverySeconds !== null && r.serverErrors === 0 && r.problems.length === 0;

export interface DrillEnv {
  students: number;
  dir: string;
  fake: FakeResend;
  log: (line: string) => void;
  /** How long a drill waits for the system to recover before it reports what is still missing. */
  recoveryTimeoutMs: number;
  /** How long PostgreSQL and Resend stay down (30 s and 20 s in the full drills). */
  outageMs: { postgres: number; resend: number };
}

/** The separate-process stack shared by drills 1, 3, 4 and 5 (each drill has its own cohort on it). */
export class SharedStack {
  stack?: DrillStack;
  adminKey = '';

  constructor(private readonly env: DrillEnv) {}

  async get(): Promise<DrillStack> {
    if (this.stack) return this.stack;
    const stack = new DrillStack({ dir: path.join(this.env.dir, 'stack'), resendBaseUrl: this.env.fake.baseUrl, resendApiKey: this.env.fake.apiKey });
    this.stack = stack;
    const t0 = Date.now();
    await stack.start();
    this.adminKey = await adminKey(stack.databaseUrl);
    this.env.log(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s (gateway ${stack.gatewayUrl}, logs in ${stack.opts.dir})`);
    return stack;
  }

  async stop(): Promise<void> {
    await this.stack?.stop();
  }
}

async function adminKey(databaseUrl: string): Promise<string> {
  const prisma = createPrisma(databaseUrl);
  try {
    return (await createStaffKey(prisma, { name: `drills.${Date.now().toString(36)}`, role: 'admin' })).key;
  } finally {
    await prisma.$disconnect();
  }
}

function newRow(drill: string, students: number): DrillRow {
  return { drill, students, lost: 0, duplicates: 0, manualSteps: 0, recoverySeconds: null, serverErrors: 0, problems: [], notes: [] };
}

function applyAudit(row: DrillRow, a: Audit, seconds: number | null): void {
  row.lost = a.lost.length;
  row.duplicates = a.duplicateEmails;
  row.recoverySeconds = seconds;
  if (a.lost.length) row.problems.push(`lost: ${a.lost.slice(0, 5).join(', ')}${a.lost.length > 5 ? ` … (${a.lost.length})` : ''}`);
  if (a.behind.length) row.problems.push(`read model behind its workflow for ${a.behind.length} students (e.g. ${a.behind.slice(0, 3).join(', ')})`);
  row.problems.push(...a.problems.slice(0, 10));
  if (a.problems.length > 10) row.problems.push(`… ${a.problems.length - 10} more`);
}

function applyLedger(row: DrillRow, ledger: Ledger, gatewayLog?: string): void {
  row.serverErrors = ledger.serverErrors.length;
  const causes = gatewayLog ? errorCauses(gatewayLog) : new Map<string, string>();
  const seen = new Set<string>();
  for (const e of ledger.serverErrors) {
    const cause = causes.get(requestIdOf(e.response)) ?? '';
    const key = `${e.method} ${e.route.replace(/\/[A-Z0-9]{6,}(?=\/|$)/g, '/{no}')} ${e.status} ${cause}`;
    if (seen.has(key)) continue;
    seen.add(key);
    row.problems.push(`${e.method} ${e.route} → ${e.status}${e.request ? ` (request ${e.request})` : ''}: ${e.response ?? ''}${cause ? ` [gateway log: ${cause}]` : ''}`);
  }
  if (ledger.misleading.length) {
    row.problems.push(`${ledger.misleading.length} wrong answers: a retry was refused as a repeat of its own earlier success (e.g. ${ledger.misleading.slice(0, 2).join('; ')})`);
  }
  const statuses = [...ledger.counts.entries()].map(([s, n]) => `${s}×${n}`).join(' ');
  if (statuses) row.notes.push(`answers: ${statuses}`);
}

const requestIdOf = (body?: string) => body?.match(/"requestId":"([^"]+)"/)?.[1] ?? '';

/** requestId → the error's code and message and the first frame in our code, from the gateway's pino log. */
function errorCauses(logFile: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!fs.existsSync(logFile)) return out;
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"level":50')) continue;
    try {
      const { req, err } = JSON.parse(line) as { req?: { id?: string }; err?: { code?: string; type?: string; message?: string; stack?: string } };
      if (!req?.id || !err) continue;
      const frame = err.stack?.split('\n').find((f) => f.includes(path.join(projectRoot, 'src') + path.sep))?.trim().replace(projectRoot + path.sep, '');
      const message = (err.message ?? '').replace(/\s+/g, ' ').trim().slice(0, 120);
      out.set(req.id, `${err.code ?? err.type ?? 'error'} ${message}${frame ? ` ${frame}` : ''}`);
    } catch {
      // not a JSON line
    }
  }
  return out;
}

export async function importCohort(api: Api, admin: string, cohort: DrillCohort, wait: boolean): Promise<{ id: string; status: string }> {
  const answers = await api.retrying('POST', `/api/imports${wait ? '?wait=true' : ''}`, {
    bearer: admin,
    body: cohort.csv,
    headers: { 'content-type': 'text/csv', 'x-file-name': `${cohort.id}.csv` },
    untilMs: 120_000,
  });
  const last = answers.at(-1);
  if (!last || (last.status !== 200 && last.status !== 202)) throw new Error(`import of ${cohort.id} failed: ${last?.status} ${JSON.stringify(last?.body).slice(0, 300)}`);
  return last.body;
}

/** Import jobs of this cohort still RUNNING (after the drill, none may be). */
async function runningImports(api: Api, admin: string, cohort: DrillCohort): Promise<string[]> {
  const res = await api.send('GET', '/api/imports?pageSize=100', { bearer: admin });
  if (res.status !== 200) throw new Error(`GET /api/imports answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  const items: Array<{ id: string; status: string; cohortIds: string[] }> = res.body.items ?? [];
  return items.filter((j) => j.cohortIds.includes(cohort.id) && j.status === 'RUNNING').map((j) => j.id);
}

export const invitedCount = (fake: FakeResend, cohort: DrillCohort) => {
  const by = emailsByAddress(fake);
  return cohort.students.filter((s) => by.get(s.email)?.get('INVITATION')).length;
};

async function until(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  await waitFor(what, timeoutMs, async () => {
    if (!(await check())) throw new Error('not yet');
  }, 200);
}

function auditInput(stack: DrillStack, env: DrillEnv, cohort: DrillCohort, extra: Partial<AuditInput> = {}): AuditInput {
  return { temporal: stack.temporal, databaseUrl: stack.databaseUrl, fake: env.fake, cohort, ...extra };
}

async function signInAll(api: Api, env: DrillEnv, students: Student[]): Promise<void> {
  await inPool(students, 16, (s) => s.signIn(api, env.fake));
  const failed = students.filter((s) => !s.session).length;
  if (failed) throw new Error(`${failed} students could not sign in before the fault`);
}

// ---------------------------------------------------------------------------
// 1. kill -9 the worker mid cohort import, start a new worker
// ---------------------------------------------------------------------------
async function workerKillDrill(env: DrillEnv, shared: SharedStack): Promise<DrillRow> {
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
async function stackInterruptDrill(env: DrillEnv): Promise<DrillRow> {
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
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.TEMPORAL_DEV_PORT}` });
    try {
      const input = { temporal: new Client({ connection }), databaseUrl, fake: env.fake, cohort };
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
async function gatewayKillUploadsDrill(env: DrillEnv, shared: SharedStack): Promise<DrillRow> {
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
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="id.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n`);
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

async function gatewayKillImportDrill(env: DrillEnv, shared: SharedStack): Promise<DrillRow> {
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
    row.problems.push(`the same file imported again ended ${again.status}, started ${again.started}, existing ${again.existing} (expected DONE, 0, ${env.students})`);
  }
  applyLedger(row, api.ledger, stack.logFile('gateway'));
  return row;
}

// ---------------------------------------------------------------------------
// 4. PostgreSQL unresponsive for 30 s while students act
// ---------------------------------------------------------------------------
const postgresFreezeDrill = (env: DrillEnv, shared: SharedStack) => postgresOutageDrill(env, shared, 'frozen', env.outageMs.postgres);
const postgresStopDrill = (env: DrillEnv, shared: SharedStack) => postgresOutageDrill(env, shared, 'stopped', env.outageMs.postgres);

/**
 * frozen: SIGSTOP of the server and its backends (connections hang, as with a stuck host or network);
 * stopped: a fast shutdown and a start on the same data (connections are refused, as in a failover).
 */
async function postgresOutageDrill(env: DrillEnv, shared: SharedStack, mode: 'frozen' | 'stopped', freezeMs: number): Promise<DrillRow> {
  const row = newRow(`4${mode === 'frozen' ? 'a' : 'b'}. PostgreSQL ${mode} ${freezeMs / 1000} s`, env.students);
  const stack = await shared.get();
  const api = new Api(stack.gatewayUrl, new Ledger());
  const cohort = makeCohort('pgfreeze', env.students);
  await importCohort(api, shared.adminKey, cohort, true);
  await until('every invitation', env.recoveryTimeoutMs, () => invitedCount(env.fake, cohort) === env.students);
  const students = cohort.students.map((s) => new Student(s.applicationNo, s.email));
  await signInAll(api, env, students);
  // The read model must have every registration before the freeze, so catching up afterwards is measurable.
  await awaitRecovery(auditInput(stack, env, cohort), Date.now(), env.recoveryTimeoutMs);

  // Readiness as a load balancer sees it: a probe that gets no answer within 5 s counts as not ready.
  const readyz: Array<{ start: number; end: number; status: number | 'no answer' }> = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const start = Date.now();
      try {
        const res = await fetch(`${stack.gatewayUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
        readyz.push({ start, end: Date.now(), status: res.status });
      } catch {
        readyz.push({ start, end: Date.now(), status: 'no answer' });
      }
      await delay(500);
    }
  })();

  const fault = Date.now();
  if (mode === 'frozen') stack.signalPostgres('SIGSTOP');
  else await stack.stopPostgres();
  let thawedAt = 0;
  const thaw = delay(freezeMs - (Date.now() - fault)).then(async () => {
    if (mode === 'frozen') stack.signalPostgres('SIGCONT');
    else await stack.startPostgres();
    thawedAt = Date.now();
  });
  // Every student acts during the outage, the way the portal and the identity provider would: retrying 503s.
  const acting = inPool(students, Math.min(64, students.length), async (s) => {
    await s.activate(api, stack.secrets.WEBHOOK_SECRET, 240_000);
    await s.submitForm(api, 240_000);
    await s.upload(api, 240_000);
  });
  // And staff look at lists and a student.
  const staff = (async () => {
    for (let i = 0; i < 4; i++) {
      await api.send('GET', '/api/registrations?pageSize=5', { bearer: shared.adminKey }).catch(() => {});
      await api.send('GET', '/api/review-queue?pageSize=5', { bearer: shared.adminKey }).catch(() => {});
      await api.send('GET', `/api/registrations/${students[i % students.length]!.applicationNo}`, { bearer: shared.adminKey }).catch(() => {});
      await delay(freezeMs / 4);
    }
  })();
  await Promise.all([thaw, acting, staff]);
  const { audit: a, seconds } = await awaitRecovery(auditInput(stack, env, cohort, { students }), thawedAt, env.recoveryTimeoutMs);
  // Readiness back to 200 is part of recovering.
  await until('/readyz 200', 60_000, () => readyz.at(-1)?.status === 200 && readyz.at(-1)!.start > thawedAt).catch(() => {});
  probing = false;
  await probe;
  applyAudit(row, a, seconds);
  // Probes asked after the outage began (and a probe's own 3 s for the database) and answered before it ended.
  const during = readyz.filter((r) => r.start > fault + 3_500 && r.end < thawedAt);
  const readyDuring = during.filter((r) => r.status === 200);
  if (readyDuring.length) row.problems.push(`/readyz answered 200 ${readyDuring.length} time(s) while PostgreSQL was ${mode}`);
  if (!readyz.some((r) => r.start >= fault && r.start < thawedAt && r.status !== 200)) row.problems.push(`/readyz never said not ready while PostgreSQL was ${mode}`);
  row.notes.push(`/readyz during the outage: ${during.map((r) => r.status).join(' ') || 'no probe completed inside it'}`);
  const back = readyz.find((r) => r.start > thawedAt && r.status === 200);
  if (!back) row.problems.push('/readyz did not return to 200 after PostgreSQL was back');
  else row.notes.push(`/readyz 200 again ${((back.end - thawedAt) / 1000).toFixed(1)} s after PostgreSQL was back`);
  const unfinished = students.filter((s) => s.unfinished.size).length;
  if (unfinished) row.problems.push(`${unfinished} students could not finish their actions within 4 minutes`);
  applyLedger(row, api.ledger, stack.logFile('gateway'));
  return row;
}

// ---------------------------------------------------------------------------
// 5. Resend answers 429 and 500 for a while
// ---------------------------------------------------------------------------
async function resendOutageDrill(env: DrillEnv, shared: SharedStack): Promise<DrillRow> {
  const outageMs = env.outageMs.resend;
  const row = newRow(`5. Resend 429/500 for ${outageMs / 1000} s (twice)`, env.students);
  const stack = await shared.get();
  const api = new Api(stack.gatewayUrl, new Ledger());
  const cohort = makeCohort('resend', env.students);
  const before = env.fake.requests.length;

  // Invitations into the first outage.
  env.fake.startOutage();
  const fault = Date.now();
  await importCohort(api, shared.adminKey, cohort, true);
  await delay(Math.max(0, outageMs - (Date.now() - fault)));
  env.fake.endOutage();
  await until('every invitation', env.recoveryTimeoutMs, () => invitedCount(env.fake, cohort) === env.students);

  // Half the students decline during a second outage: their withdrawal emails meet it.
  const students = cohort.students.map((s) => new Student(s.applicationNo, s.email));
  await signInAll(api, env, students);
  const decliners = new Set(students.filter((_, i) => i % 2 === 0).map((s) => s.applicationNo));
  env.fake.startOutage();
  const second = Date.now();
  await inPool(students.filter((s) => decliners.has(s.applicationNo)), 16, (s) => s.decline(api, 120_000));
  await delay(Math.max(0, outageMs - (Date.now() - second)));
  env.fake.endOutage();
  const refused = env.fake.requests.slice(before).filter((r) => r.status === 429 || r.status === 500).length;
  row.notes.push(`${refused} sends answered 429/500 (a third of the 500s after the email was sent)`);

  const { audit: a, seconds } = await awaitRecovery(
    auditInput(stack, env, cohort, { students, expectEmails: (no) => (decliners.has(no) ? ['WITHDRAWAL'] : []) }),
    fault,
    env.recoveryTimeoutMs,
  );
  applyAudit(row, a, seconds);
  // Nobody who stayed got a withdrawal.
  const by = emailsByAddress(env.fake);
  const wrong = students.filter((s) => !decliners.has(s.applicationNo) && by.get(s.email)?.get('WITHDRAWAL'));
  if (wrong.length) row.problems.push(`${wrong.length} students who did not decline got a withdrawal email`);
  applyLedger(row, api.ledger, stack.logFile('gateway'));
  return row;
}

export const DRILLS = {
  'worker-kill': workerKillDrill,
  'stack-interrupt': (env: DrillEnv) => stackInterruptDrill(env),
  'gateway-kill-uploads': gatewayKillUploadsDrill,
  'gateway-kill-import': gatewayKillImportDrill,
  'postgres-freeze': postgresFreezeDrill,
  'postgres-stop': postgresStopDrill,
  'resend-outage': resendOutageDrill,
} as const;
export type DrillName = keyof typeof DRILLS;

