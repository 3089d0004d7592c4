/**
 * What every fault drill shares: its row in the report and when it passes, the
 * stack drills 1, 3, 4 and 5 run on, and the steps they have in common
 * (importing a cohort, signing students in, auditing the result).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createPrisma } from '../src/db/prisma';
import { createStaffKey } from '../src/gateway/auth/staff-keys';
import { projectRoot } from '../src/paths';
import type { FakeResend } from '../test/kit/fake-resend';
import { emailsByAddress, type Audit, type AuditInput } from './audit';
import { type DrillCohort } from './cohort';
import { DrillStack, waitFor } from './stack';
import { inPool } from '../test/kit/pool';
import { Api, Ledger, Student } from './students';

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

export const passed = (r: DrillRow) =>
  r.lost === 0 && r.duplicates === 0 && r.manualSteps === 0 && r.recoverySeconds !== null && r.serverErrors === 0 && r.problems.length === 0;

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

export async function adminKey(databaseUrl: string): Promise<string> {
  const prisma = createPrisma(databaseUrl);
  try {
    return (await createStaffKey(prisma, { name: `drills.${Date.now().toString(36)}`, role: 'admin' })).key;
  } finally {
    await prisma.$disconnect();
  }
}

export function newRow(drill: string, students: number): DrillRow {
  return { drill, students, lost: 0, duplicates: 0, manualSteps: 0, recoverySeconds: null, serverErrors: 0, problems: [], notes: [] };
}

export function applyAudit(row: DrillRow, a: Audit, seconds: number | null): void {
  row.lost = a.lost.length;
  row.duplicates = a.duplicateEmails;
  row.recoverySeconds = seconds;
  if (a.lost.length) row.problems.push(`lost: ${a.lost.slice(0, 5).join(', ')}${a.lost.length > 5 ? ` … (${a.lost.length})` : ''}`);
  if (a.behind.length) row.problems.push(`read model behind its workflow for ${a.behind.length} students (e.g. ${a.behind.slice(0, 3).join(', ')})`);
  row.problems.push(...a.problems.slice(0, 10));
  if (a.problems.length > 10) row.problems.push(`… ${a.problems.length - 10} more`);
}

export function applyLedger(row: DrillRow, ledger: Ledger, gatewayLog?: string): void {
  row.serverErrors = ledger.serverErrors.length;
  const causes = gatewayLog ? errorCauses(gatewayLog) : new Map<string, string>();
  const seen = new Set<string>();
  for (const e of ledger.serverErrors) {
    const cause = causes.get(requestIdOf(e.response)) ?? '';
    const key = `${e.method} ${e.route.replace(/\/[A-Z0-9]{6,}(?=\/|$)/g, '/{no}')} ${e.status} ${cause}`;
    if (seen.has(key)) continue;
    seen.add(key);
    row.problems.push(
      `${e.method} ${e.route} → ${e.status}${e.request ? ` (request ${e.request})` : ''}: ${e.response ?? ''}${cause ? ` [gateway log: ${cause}]` : ''}`,
    );
  }
  if (ledger.misleading.length) {
    row.problems.push(
      `${ledger.misleading.length} wrong answers: a retry was refused as a repeat of its own earlier success (e.g. ${ledger.misleading.slice(0, 2).join('; ')})`,
    );
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
      const frame = err.stack
        ?.split('\n')
        .find((f) => f.includes(path.join(projectRoot, 'src') + path.sep))
        ?.trim()
        .replace(projectRoot + path.sep, '');
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
  if (!last || (last.status !== 200 && last.status !== 202))
    throw new Error(`import of ${cohort.id} failed: ${last?.status} ${JSON.stringify(last?.body).slice(0, 300)}`);
  return last.body;
}

/** Import jobs of this cohort still RUNNING (after the drill, none may be). */
export async function runningImports(api: Api, admin: string, cohort: DrillCohort): Promise<string[]> {
  const res = await api.send('GET', '/api/imports?pageSize=100', { bearer: admin });
  if (res.status !== 200) throw new Error(`GET /api/imports answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  const items: Array<{ id: string; status: string; cohortIds: string[] }> = res.body.items ?? [];
  return items.filter((j) => j.cohortIds.includes(cohort.id) && j.status === 'RUNNING').map((j) => j.id);
}

export const invitedCount = (fake: FakeResend, cohort: DrillCohort) => {
  const by = emailsByAddress(fake);
  return cohort.students.filter((s) => by.get(s.email)?.get('INVITATION')).length;
};

export async function until(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  await waitFor(
    what,
    timeoutMs,
    async () => {
      if (!(await check())) throw new Error('not yet');
    },
    200,
  );
}

export function auditInput(stack: DrillStack, env: DrillEnv, cohort: DrillCohort, extra: Partial<AuditInput> = {}): AuditInput {
  return { temporal: stack.temporal, databaseUrl: stack.databaseUrl, fake: env.fake, cohort, ...extra };
}

export async function signInAll(api: Api, env: DrillEnv, students: Student[]): Promise<void> {
  await inPool(students, 16, (s) => s.signIn(api, env.fake));
  const failed = students.filter((s) => !s.session).length;
  if (failed) throw new Error(`${failed} students could not sign in before the fault`);
}

// ---------------------------------------------------------------------------
// 1. kill -9 the worker mid cohort import, start a new worker
// ---------------------------------------------------------------------------
