/**
 * The projection's outstanding-item counters (activities/outstanding-counts.ts)
 * counted afresh from the checklist items: for read models written straight
 * into PostgreSQL (the dashboard tests' cohort, the benchmarks' 50k), and to
 * check the counters the projection kept against the rows they count.
 */
import type { PrismaClient } from '../../src/db/prisma';

const COUNTED = `
  SELECT "cohortId", "programCode", "studyLevel", key AS "itemKey", state, kind, label, compulsory, count(*)::int AS count
  FROM "ChecklistItem"
  WHERE "cohortId" = $1 AND "registrationStatus" IN ('IN_PROGRESS', 'INCOMPLETE') AND state IN ('PENDING', 'REJECTED', 'SUBMITTED')
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`;

/** Writes a seeded cohort's counters, as the projection would have kept them. */
export async function seedOutstandingCounts(prisma: PrismaClient, cohortId: string): Promise<void> {
  await prisma.$executeRawUnsafe(
    `INSERT INTO "OutstandingItemCount" ("cohortId", "programCode", "studyLevel", "itemKey", state, kind, label, compulsory, count) ${COUNTED}`,
    cohortId,
  );
}

export type CounterRow = {
  cohortId: string;
  programCode: string;
  studyLevel: string;
  itemKey: string;
  state: string;
  kind: string;
  label: string;
  compulsory: boolean;
  count: number;
};
const order = 'ORDER BY "programCode", "studyLevel", "itemKey", state, kind, label, compulsory';

/** A cohort's counters as counted from its items now, and as kept (rows at 0 left out). */
export async function countersOf(prisma: PrismaClient, cohortId: string): Promise<{ counted: CounterRow[]; kept: CounterRow[] }> {
  const counted = await prisma.$queryRawUnsafe<CounterRow[]>(`${COUNTED} ${order}`, cohortId);
  const kept = await prisma.$queryRawUnsafe<CounterRow[]>(
    `SELECT "cohortId", "programCode", "studyLevel", "itemKey", state, kind, label, compulsory, count FROM "OutstandingItemCount" WHERE "cohortId" = $1 AND count <> 0 ${order}`,
    cohortId,
  );
  return { counted, kept };
}
