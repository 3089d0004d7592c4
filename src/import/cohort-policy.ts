/**
 * A cohort's deadlines and policy are fixed once its registrations started:
 * every running workflow was given them at start and keeps them. Re-importing
 * the cohort with other values used to overwrite the cohort row silently, so
 * the staff pages (and new students) said one thing and the running workflows
 * did another. Now such an import is refused before anything is written, with
 * how to do what was probably meant: extend the deadline per registration
 * (each workflow then moves its own timers and reminders).
 *
 * Compared: the registration and payment deadlines and the cohort policy
 * (reminder offsets, resubmission window, service level, photo spec, tuition
 * fee). Not compared: supplementary items, which are per student.
 */
import type { PrismaClient } from '../db/prisma';
import type { CohortSettings } from './rows';

export class CohortPolicyConflict extends Error {
  constructor(
    readonly cohortId: string,
    readonly differences: string[],
  ) {
    super(
      `Cohort ${cohortId} already exists with other settings (${differences.join('; ')}). Its registrations keep the settings they started with, ` +
        'so an import cannot change them. To give students more time, extend the deadline of each registration instead: ' +
        'POST /api/registrations/{applicationNo}/deadline (admin; staff page "Extend deadline"), which moves its timers and reminders. ' +
        'To import students under new settings, use a new cohort id.',
    );
    this.name = 'CohortPolicyConflict';
  }

  readonly howToExtend = 'POST /api/registrations/{applicationNo}/deadline with {deadline: "REGISTRATION" | "PAYMENT", until, reason}';
}

interface StoredCohort {
  registrationDeadline: Date;
  paymentDeadline: Date | null;
  policy: unknown;
}

/** What differs between the stored cohort and the import's settings for it, in words; empty when nothing does. */
function cohortDifferences(stored: StoredCohort, incoming: CohortSettings): string[] {
  const differences: string[] = [];
  const instant = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : 'none');
  if (instant(stored.registrationDeadline) !== instant(incoming.registrationDeadline)) {
    differences.push(`registration deadline ${instant(stored.registrationDeadline)}, the import says ${instant(incoming.registrationDeadline)}`);
  }
  if (instant(stored.paymentDeadline) !== instant(incoming.paymentDeadline)) {
    differences.push(`payment deadline ${instant(stored.paymentDeadline)}, the import says ${instant(incoming.paymentDeadline)}`);
  }
  const was = comparable(stored.policy);
  const now = comparable(incoming.policy);
  for (const key of [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()) {
    if (canonical(was[key]) !== canonical(now[key]))
      differences.push(`${key} ${canonical(was[key]) ?? 'unset'}, the import says ${canonical(now[key]) ?? 'unset'}`);
  }
  return differences;
}

/** Refuses the import (CohortPolicyConflict) if any of its cohorts exists with other settings; writes nothing. */
export async function assertCohortsUnchanged(prisma: PrismaClient, cohorts: CohortSettings[]): Promise<void> {
  for (const c of cohorts) {
    const stored = await prisma.cohort.findUnique({ where: { id: c.id }, select: { registrationDeadline: true, paymentDeadline: true, policy: true } });
    if (!stored) continue;
    const differences = cohortDifferences(stored, c);
    if (differences.length) throw new CohortPolicyConflict(c.id, differences);
  }
}

/** The policy fields that are the cohort's (deadlines are compared as columns; supplementary items are per student). */
function comparable(policy: unknown): Record<string, unknown> {
  const { registrationDeadline: _r, paymentDeadline: _p, supplementaryItems: _s, ...rest } = (policy ?? {}) as Record<string, unknown>;
  return rest;
}

/** JSON with sorted keys, so the same settings compare equal whatever their key order in storage. */
export function canonical(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
