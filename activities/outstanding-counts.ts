/**
 * The projection's counters of outstanding items (OutstandingItemCount), kept
 * in the transaction that writes a registration's items, so the dashboard
 * reads a few hundred rows instead of counting every item of a cohort.
 *
 * What a registration adds to the counters is a function of its rows: each
 * item not yet settled (PENDING, REJECTED, SUBMITTED) of a registration still
 * open (IN_PROGRESS, INCOMPLETE) counts once under its registration's cohort,
 * program and study level. A change applies the difference between what the
 * stored rows added and what the new ones add, read under the registration's
 * row lock (projection.ts), so repeated and out-of-order snapshots, which
 * write nothing, change nothing here either.
 */
import { Prisma } from '@prisma/client';
import { isOpen } from '../workflows/registration/vocabulary';

type Tx = Prisma.TransactionClient;

const OUTSTANDING = new Set(['PENDING', 'REJECTED', 'SUBMITTED']);

/** One item as it counts: its registration's copied fields and its own. */
export interface CountedItem {
  cohortId: string;
  programCode: string;
  studyLevel: string;
  registrationStatus: string;
  key: string;
  state: string;
  kind: string;
  label: string;
  compulsory: boolean;
}

/** The counter rows a registration's items add to, by a text key of the row's primary key. */
function contribution(items: CountedItem[]): Map<string, CountedItem> {
  const counted = new Map<string, CountedItem>();
  for (const i of items) {
    if (!isOpen(i.registrationStatus) || !OUTSTANDING.has(i.state)) continue;
    counted.set(JSON.stringify([i.cohortId, i.programCode, i.studyLevel, i.key, i.state, i.kind, i.label, i.compulsory]), i);
  }
  return counted;
}

/** The registration's items as they are stored now (call under its row lock, before they are rewritten). */
export async function storedItems(tx: Tx, registrationNo: string): Promise<CountedItem[]> {
  return tx.checklistItem.findMany({
    where: { registrationNo },
    select: {
      cohortId: true,
      programCode: true,
      studyLevel: true,
      registrationStatus: true,
      key: true,
      state: true,
      kind: true,
      label: true,
      compulsory: true,
    },
  });
}

/**
 * Moves the counters from what `before` added to what `after` adds. One statement, its rows sorted
 * by their key, so two registrations' transactions lock shared counters in the same order
 * (no deadlock); run it last in the transaction, so a popular counter is held only until commit.
 */
export async function adjustOutstandingCounts(tx: Tx, before: CountedItem[], after: CountedItem[]): Promise<void> {
  const delta = new Map<string, { item: CountedItem; n: number }>();
  for (const [key, item] of contribution(after)) delta.set(key, { item, n: 1 });
  for (const [key, item] of contribution(before)) {
    const d = delta.get(key);
    if (d) d.n -= 1;
    else delta.set(key, { item, n: -1 });
  }
  const rows = [...delta.entries()].filter(([, d]) => d.n !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (!rows.length) return;
  const values = rows.map(
    ([, { item: i, n }]) =>
      Prisma.sql`(${i.cohortId}, ${i.programCode}, ${i.studyLevel}, ${i.key}, ${i.state}, ${i.kind}, ${i.label}, ${i.compulsory}, ${n}::int)`,
  );
  await tx.$executeRaw`
    INSERT INTO "OutstandingItemCount" ("cohortId", "programCode", "studyLevel", "itemKey", state, kind, label, compulsory, count)
    VALUES ${Prisma.join(values)}
    ON CONFLICT ("cohortId", "programCode", "studyLevel", "itemKey", state, kind, label, compulsory)
    DO UPDATE SET count = "OutstandingItemCount".count + EXCLUDED.count`;
}
