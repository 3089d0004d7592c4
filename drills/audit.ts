/**
 * After a drill: what was lost and what was doubled, from ground truth.
 *
 * - The cohort file says who must have a registration; Temporal says whether
 *   their workflow exists; the fake Resend says which emails each address got.
 * - A student's acknowledged actions (2xx from the gateway) must be in their
 *   workflow's state.
 * - The read model (PostgreSQL, read with plain SQL) must have caught up: its
 *   row carries the sequence number of the workflow's last change.
 *
 * Nothing here reads progreg's own counters (import reports, email log).
 */
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import type { Client } from '@temporalio/client';
import type { FakeResend } from '../test/kit/fake-resend';
import { SUBJECTS } from '../activities/email/templates';
import { getStatusQuery, registrationWorkflowId, type RegistrationStatusView } from '../workflows/registration/api';
import type { EmailKind } from '../workflows/registration/types';
import type { DrillCohort } from './cohort';
import { inPool } from '../test/kit/pool';
import type { Student } from './students';

export interface Audit {
  /** Students of the file without a workflow, or without their invitation. */
  lost: string[];
  /** Emails delivered beyond one per (address, kind). */
  duplicateEmails: number;
  /** Acknowledged actions the workflow does not have, emails expected but not sent, files stored twice. */
  problems: string[];
  /** Students whose read-model row is behind their workflow. */
  behind: string[];
}

const kindOfSubject = new Map(Object.entries(SUBJECTS).map(([kind, subject]) => [subject, kind as EmailKind]));

/** Delivered emails per address and kind. */
export function emailsByAddress(fake: FakeResend): Map<string, Map<EmailKind | 'OTHER', number>> {
  const out = new Map<string, Map<EmailKind | 'OTHER', number>>();
  for (const e of fake.delivered) {
    const kind = kindOfSubject.get(e.subject) ?? 'OTHER';
    for (const to of e.to) {
      const m = out.get(to) ?? new Map();
      m.set(kind, (m.get(kind) ?? 0) + 1);
      out.set(to, m);
    }
  }
  return out;
}

export interface AuditInput {
  temporal: Client;
  databaseUrl: string;
  fake: FakeResend;
  cohort: DrillCohort;
  /** The students who acted, with what the gateway acknowledged. */
  students?: Student[];
  /** Emails each student must have received exactly once, besides the invitation. */
  expectEmails?: (applicationNo: string) => EmailKind[];
}

export async function audit(input: AuditInput): Promise<Audit> {
  const { temporal, fake, cohort } = input;
  const result: Audit = { lost: [], duplicateEmails: 0, problems: [], behind: [] };
  const byAddress = emailsByAddress(fake);
  const projected = await readModelSeqs(input.databaseUrl, cohort.id);
  const actors = new Map((input.students ?? []).map((s) => [s.applicationNo, s]));

  await inPool(cohort.students, 16, async ({ applicationNo, email }) => {
    const got = byAddress.get(email) ?? new Map();
    for (const n of got.values()) result.duplicateEmails += Math.max(0, n - 1);
    let view: RegistrationStatusView | undefined;
    try {
      view = await temporal.workflow.getHandle(registrationWorkflowId(applicationNo)).query(getStatusQuery);
    } catch {
      // no workflow (or none that answers): counted below
    }
    if (!view || !got.get('INVITATION')) {
      result.lost.push(applicationNo);
      return;
    }
    for (const kind of input.expectEmails?.(applicationNo) ?? []) {
      if (!got.get(kind)) result.problems.push(`${applicationNo}: no ${kind} email`);
    }
    if ((projected.get(applicationNo) ?? -1) < view.seq) result.behind.push(applicationNo);
    const student = actors.get(applicationNo);
    if (student) result.problems.push(...missingActions(student, view));
  });
  return result;
}

/** Acknowledged actions that are not in the workflow's state. */
function missingActions(student: Student, view: RegistrationStatusView): string[] {
  const item = (key: string) => view.items.find((i) => i.key === key);
  const out: string[] = [];
  for (const action of new Set([...student.acknowledged, ...student.repeatRefused])) {
    const lost =
      (action === 'activation' && item('ACTIVATION')?.state === 'PENDING') ||
      (action === 'form' && item('FORM')?.state === 'PENDING') ||
      (action === 'upload' && !item('ID_DOCUMENT')?.submissions.length) ||
      (action === 'decline' && view.status !== 'WITHDRAWN');
    if (lost) out.push(`${student.applicationNo}: ${action} acknowledged but not in the workflow`);
  }
  const shas = item('ID_DOCUMENT')?.submissions.map((s) => s.sha256) ?? [];
  if (new Set(shas).size < shas.length) out.push(`${student.applicationNo}: the same file registered ${shas.length} times`);
  return out;
}

async function readModelSeqs(databaseUrl: string, cohortId: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ applicationNo: string; seq: number }>('SELECT "applicationNo", seq FROM "Registration" WHERE "cohortId" = $1', [
      cohortId,
    ]);
    return new Map(rows.map((r) => [r.applicationNo, r.seq]));
  } finally {
    await client.end();
  }
}

/**
 * Polls the audit until nothing is lost or behind (then the system has recovered), or the time is up.
 * Returns the last audit and the seconds it took from `since`.
 */
export async function awaitRecovery(input: AuditInput, since: number, timeoutMs: number): Promise<{ audit: Audit; seconds: number | null }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    // Cheap first: until every invitation is out, the full audit cannot pass.
    const invited = emailsByAddress(input.fake);
    const allInvited = input.cohort.students.every((s) => invited.get(s.email)?.get('INVITATION'));
    if (allInvited || Date.now() > until) {
      const a = await audit(input);
      const clean = !a.lost.length && !a.behind.length && !a.problems.length;
      if (clean || Date.now() > until) return { audit: a, seconds: clean ? (Date.now() - since) / 1000 : null };
    }
    await delay(1_000);
  }
}
