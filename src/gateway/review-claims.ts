/**
 * "Review next": hand a reviewer the oldest submitted item that no other
 * reviewer holds, under a claim that expires by itself.
 *
 * The claim table (ReviewClaim) belongs to the gateway; the read model's
 * tables are only read, never locked or written. Two reviewers pressing at
 * once are kept apart by the claim's primary key: both may pick the same
 * candidate, but only one INSERT … ON CONFLICT wins it (the other waits for
 * the winner's commit, finds a live claim and takes nothing), and the loser
 * moves on to the next candidate. An expired claim is overwritten in the
 * same statement, so nothing has to sweep claims for them to lapse.
 */
import { Prisma } from '@prisma/client';
import { OPEN_STATUSES_SQL } from '../db/open-statuses';
import type { PrismaClient } from '../db/prisma';

export interface ReviewFilter {
  cohortId?: string;
  programCode?: string;
  studyLevel?: string;
  kind?: string;
}

export interface Claimant {
  /** Staff key id: two keys of the same person are two claimants. */
  id: string;
  name: string;
}

export interface ClaimedItem {
  applicationNo: string;
  itemKey: string;
  label: string;
  name: string;
  submittedAt: string | null;
  claimedUntil: string;
}

/** Candidates per round: enough that a handful of simultaneous reviewers rarely need a second round. */
const BATCH = 8;
const MAX_ROUNDS = 20;

export async function claimNext(prisma: PrismaClient, who: Claimant, filter: ReviewFilter, ttlMinutes: number): Promise<ClaimedItem | null> {
  // As the review queue: submitted items of open registrations.
  const conditions: Prisma.Sql[] = [Prisma.sql`i.state = 'SUBMITTED'`, Prisma.sql`r.status IN ${OPEN_STATUSES_SQL}`];
  if (filter.cohortId) conditions.push(Prisma.sql`r."cohortId" = ${filter.cohortId}`);
  if (filter.programCode) conditions.push(Prisma.sql`r."programCode" = ${filter.programCode}`);
  if (filter.studyLevel) conditions.push(Prisma.sql`r."studyLevel" = ${filter.studyLevel}`);
  if (filter.kind) conditions.push(Prisma.sql`i.kind = ${filter.kind}`);
  const tried = new Set<string>();

  for (let round = 0; round < MAX_ROUNDS; round++) {
    // The oldest submitted items nobody holds now. The caller's own claims are skipped too:
    // pressing "Review next" again means "not this one, the next".
    const candidates = await prisma.$queryRaw<Array<{ registrationNo: string; key: string; label: string; name: string; submittedAt: Date | null }>>`
      SELECT i."registrationNo", i.key, i.label, r.name, i."submittedAt"
      FROM "ChecklistItem" i JOIN "Registration" r ON r."applicationNo" = i."registrationNo"
      WHERE ${Prisma.join(conditions, ' AND ')}
        AND NOT EXISTS (SELECT 1 FROM "ReviewClaim" c
                        WHERE c."registrationNo" = i."registrationNo" AND c."itemKey" = i.key AND c."expiresAt" > now())
      ORDER BY i."submittedAt" ASC NULLS LAST, i."registrationNo", i.key
      LIMIT ${BATCH}`;
    const fresh = candidates.filter((c) => !tried.has(`${c.registrationNo}/${c.key}`));
    if (fresh.length === 0) return null;
    for (const c of fresh) {
      tried.add(`${c.registrationNo}/${c.key}`);
      const won = await prisma.$queryRaw<Array<{ expiresAt: Date }>>`
        INSERT INTO "ReviewClaim" ("registrationNo", "itemKey", claimant, "claimantName", "claimedAt", "expiresAt")
        VALUES (${c.registrationNo}, ${c.key}, ${who.id}, ${who.name}, now(), now() + make_interval(mins => ${ttlMinutes}))
        ON CONFLICT ("registrationNo", "itemKey") DO UPDATE
          SET claimant = EXCLUDED.claimant, "claimantName" = EXCLUDED."claimantName", "claimedAt" = EXCLUDED."claimedAt", "expiresAt" = EXCLUDED."expiresAt"
          WHERE "ReviewClaim"."expiresAt" <= now()
        RETURNING "expiresAt"`;
      if (won.length === 0) continue;
      // One item at a time per reviewer: what they held before goes back to the others.
      await prisma.$executeRaw`
        DELETE FROM "ReviewClaim"
        WHERE (claimant = ${who.id} AND NOT ("registrationNo" = ${c.registrationNo} AND "itemKey" = ${c.key}))
           OR "expiresAt" < now() - interval '1 day'`;
      return {
        applicationNo: c.registrationNo,
        itemKey: c.key,
        label: c.label,
        name: c.name,
        submittedAt: c.submittedAt?.toISOString() ?? null,
        claimedUntil: won[0]!.expiresAt.toISOString(),
      };
    }
  }
  return null;
}
