/** When a cohort has reached its first idle state: every registration projected and its invitation sent. */
import type { PrismaClient } from '../src/db/prisma';

/** Waits for `count` registrations of the cohort to be there; ms since `t0` (a performance.now()). */
export async function toFirstIdle(prisma: PrismaClient, cohortId: string, count: number, t0 = performance.now()): Promise<number> {
  for (;;) {
    const [{ n }] = await prisma.$queryRaw<Array<{ n: bigint }>>`
      SELECT count(DISTINCT r."applicationNo") AS n FROM "Registration" r
      JOIN "EmailLog" e ON e."registrationNo" = r."applicationNo" AND e.kind = 'INVITATION'
      WHERE r."cohortId" = ${cohortId}`;
    if (Number(n) >= count) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 250));
  }
}
