/**
 * The drills' ground truth, written before anything runs: the cohort file that
 * is imported (synthetic students, every category) and, for each student, the
 * address their emails must reach. Lost and duplicate counts are computed from
 * this file and from what the fake Resend recorded, never from progreg's own
 * counters.
 */
import { syntheticStudents, toCsv } from '../test/kit/synthetic-students';

export interface DrillCohort {
  id: string;
  csv: string;
  students: Array<{ applicationNo: string; email: string }>;
}

let made = 0;

export function makeCohort(name: string, count: number): DrillCohort {
  const tag = `${name
    .replace(/[^A-Za-z0-9]/g, '')
    .toUpperCase()
    .slice(0, 4)}${made++}${Date.now().toString(36).slice(-3).toUpperCase()}`;
  const rows = syntheticStudents({
    count,
    seed: 7 + made,
    prefix: `D${tag}`,
    cohortId: `drill-${tag.toLowerCase()}`,
    registrationDeadline: new Date(Date.now() + 60 * 86_400_000).toISOString(),
    paymentDeadline: new Date(Date.now() + 50 * 86_400_000).toISOString(),
  }).map((r) => ({ ...r, personalEmail: `${r.applicationNo.toLowerCase()}@example.com` }));
  return {
    id: rows[0]!.cohortId,
    csv: toCsv(rows),
    students: rows.map((r) => ({ applicationNo: r.applicationNo, email: r.personalEmail })),
  };
}
