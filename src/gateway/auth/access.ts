/**
 * Revocation of a student's credentials. Invitation links and sessions are
 * signed tokens that nothing stores, so they are cut off by time: the
 * StudentAccess row (this module is its only writer) says from when on a
 * registration's tokens count again, and tokens issued earlier are refused.
 *
 * - Staff revoke a student's access (a forwarded email, a lost phone): every
 *   link and session issued so far stops working. A fresh link is made at once
 *   for staff to hand to the student by a channel they trust.
 * - A student signs out: every session of that student ends, on every device
 *   (the invitation link still works to sign in again).
 */
import { plainSql } from '../../db/plain-sql';
import type { PrismaClient } from '../../db/prisma';

export interface AccessCutoffs {
  linksValidFrom?: Date;
  sessionsValidFrom?: Date;
}

/** Read on every request of a student session: in plain SQL (src/db/plain-sql.ts says why). */
async function cutoffs(prisma: PrismaClient, applicationNo: string): Promise<AccessCutoffs> {
  const [row] = await plainSql(prisma)<{ linksValidFrom: Date | null; sessionsValidFrom: Date | null }>`
    SELECT "linksValidFrom" AT TIME ZONE 'UTC' AS "linksValidFrom", "sessionsValidFrom" AT TIME ZONE 'UTC' AS "sessionsValidFrom"
    FROM "StudentAccess" WHERE "applicationNo" = ${applicationNo}`;
  return { linksValidFrom: row?.linksValidFrom ?? undefined, sessionsValidFrom: row?.sessionsValidFrom ?? undefined };
}

/** A token issued at `issuedAtMs` counts only if issued after the cutoff (strictly: same-millisecond tokens are refused). */
const issuedAfter = (issuedAtMs: number, cutoff: Date | undefined) => cutoff === undefined || issuedAtMs > cutoff.getTime();

export async function linkStillValid(prisma: PrismaClient, applicationNo: string, issuedAtMs: number): Promise<boolean> {
  return issuedAfter(issuedAtMs, (await cutoffs(prisma, applicationNo)).linksValidFrom);
}

export async function sessionStillValid(prisma: PrismaClient, applicationNo: string, issuedAtMs: number): Promise<boolean> {
  return issuedAfter(issuedAtMs, (await cutoffs(prisma, applicationNo)).sessionsValidFrom);
}

/** Staff revocation: links and sessions issued until now stop working. */
export async function revokeAccess(prisma: PrismaClient, applicationNo: string, actor: string): Promise<Date> {
  const now = new Date();
  await prisma.studentAccess.upsert({
    where: { applicationNo },
    create: { applicationNo, linksValidFrom: now, sessionsValidFrom: now, revokedBy: actor },
    update: { linksValidFrom: now, sessionsValidFrom: now, revokedBy: actor },
  });
  return now;
}

/** Sign-out: the student's sessions issued until now end; links keep working. */
export async function endSessions(prisma: PrismaClient, applicationNo: string): Promise<void> {
  const now = new Date();
  await prisma.studentAccess.upsert({
    where: { applicationNo },
    create: { applicationNo, sessionsValidFrom: now },
    update: { sessionsValidFrom: now },
  });
}
