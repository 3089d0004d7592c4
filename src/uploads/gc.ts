/**
 * The cleanup of stored bytes that no document references: uploads whose
 * answer never came (a timeout the workflow then refused or never saw, a
 * gateway killed mid-request), pages a student removed before sending their
 * submission (with the removed pages' rows), and staged files of uploads that
 * were cut off. Run by the gateway every
 * BLOB_GC_INTERVAL_MINUTES (and the staging part at its start), or by hand with
 * `npm run blobs:gc`.
 *
 * Uploads in flight are safe: an upload claims its StoredFile row (refreshing
 * `lastReceivedAt`) before it commits the bytes, and only bytes not received
 * for the grace period are candidates; each removal re-checks under the row's
 * lock, which a concurrent claim of the same bytes waits for.
 */
import type { PrismaClient } from '../db/prisma';
import type { Logger } from '../logger';
import type { BlobStore } from './store';

export interface BlobGcReport {
  /** StoredFile rows (with their bytes) that no document kept referenced (a removed page does not keep them). */
  removedRecords: number;
  /** Stored bytes with no StoredFile row at all. */
  removedUnrecorded: number;
  /** Staged uploads nobody is receiving any more. */
  removedStaging: number;
}

export async function collectUnreferencedBlobs(deps: { prisma: PrismaClient; blobs: BlobStore }, opts: { graceMs: number; now?: Date }): Promise<BlobGcReport> {
  const { prisma, blobs } = deps;
  const cutoff = new Date((opts.now ?? new Date()).getTime() - opts.graceMs);
  const report: BlobGcReport = { removedRecords: 0, removedUnrecorded: 0, removedStaging: 0 };

  const candidates = await prisma.$queryRaw<{ sha256: string }[]>`
    SELECT s.sha256 FROM "StoredFile" s
    WHERE s."lastReceivedAt" < ${cutoff} AND NOT EXISTS (SELECT 1 FROM "Document" d WHERE d.sha256 = s.sha256 AND d."removedAt" IS NULL)`;
  for (const { sha256 } of candidates) {
    const removed = await prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<{ sha256: string }[]>`
        SELECT sha256 FROM "StoredFile" WHERE sha256 = ${sha256} AND "lastReceivedAt" < ${cutoff} FOR UPDATE`;
      if (!row || (await tx.document.count({ where: { sha256, removedAt: null }, take: 1 }))) return false;
      await blobs.delete(sha256);
      // Pages removed before their submission was sent go with their bytes (the audit trail keeps the removal).
      await tx.document.deleteMany({ where: { sha256, removedAt: { not: null } } });
      await tx.storedFile.delete({ where: { sha256 } });
      return true;
    });
    if (removed) report.removedRecords++;
  }

  // Bytes without any row. A row is inserted for each first, as the lock a concurrent upload's claim waits on.
  const old: { sha256: string; size: number }[] = [];
  for await (const blob of blobs.list()) if (blob.modifiedAt < cutoff) old.push(blob);
  for (let i = 0; i < old.length; i += 500) {
    const batch = old.slice(i, i + 500);
    const recorded = new Set(
      (await prisma.storedFile.findMany({ where: { sha256: { in: batch.map((b) => b.sha256) } }, select: { sha256: true } })).map((r) => r.sha256),
    );
    for (const blob of batch.filter((b) => !recorded.has(b.sha256))) {
      const removed = await prisma.$transaction(async (tx) => {
        const { count } = await tx.storedFile.createMany({
          data: [{ sha256: blob.sha256, size: blob.size, mediaType: 'application/octet-stream', lastReceivedAt: cutoff }],
          skipDuplicates: true,
        });
        if (!count) return false; // an upload claimed these bytes meanwhile
        await blobs.delete(blob.sha256);
        await tx.storedFile.delete({ where: { sha256: blob.sha256 } });
        return true;
      });
      if (removed) report.removedUnrecorded++;
    }
  }

  report.removedStaging = await blobs.removeStaleStaging(cutoff);
  return report;
}

/**
 * The gateway's share: stale staged uploads are removed at once (a restart after
 * a crash or kill -9 leaves none behind), then the whole cleanup every
 * `intervalMs` (0: never). Returns a function that stops it.
 */
export function startBlobMaintenance(
  deps: { prisma: PrismaClient; blobs: BlobStore; logger: Logger },
  opts: { graceMs: number; intervalMs: number },
): () => void {
  const { logger } = deps;
  void deps.blobs
    .removeStaleStaging(new Date(Date.now() - opts.graceMs))
    .then((n) => n && logger.info({ removed: n }, 'removed staged uploads left by a previous run'))
    .catch((err) => logger.warn({ err }, 'could not clean the upload staging area'));
  if (!opts.intervalMs) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    collectUnreferencedBlobs(deps, { graceMs: opts.graceMs })
      .then((r) => (r.removedRecords || r.removedUnrecorded || r.removedStaging) && logger.info(r, 'removed unreferenced uploads'))
      .catch((err) => logger.warn({ err }, 'blob cleanup failed; it runs again later'))
      .finally(() => (running = false));
  }, opts.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
