/**
 * The gateway's bookkeeping of stored bytes (`StoredFile`, the one table of
 * uploads it writes; `Document` rows come only from the workflow's projection).
 *
 * - `claim` before the bytes are committed: the row exists, its grace period
 *   restarts and it counts one more upload that holds them.
 * - `release` after a refusal: the upload gives its claim back, and the bytes go
 *   at once unless a document or another claim holds them.
 * An upload the workflow took keeps its claim: the answer can come before the
 * projection has written its `Document` row, so until then the claim is what
 * tells a refusal of the same bytes that they are needed. An upload whose answer
 * never came (timeout, crash) keeps its claim too. The cleanup (gc.ts) goes by
 * documents and the grace period only, and removes bytes no document references.
 */
import { plainSql } from '../db/plain-sql';
import type { PrismaClient } from '../db/prisma';
import type { BlobStore } from './store';

/** One statement on every upload, in plain SQL (src/db/plain-sql.ts says why); times in UTC, as Prisma keeps a DateTime. */
export async function claimStoredFile(prisma: PrismaClient, file: { sha256: string; size: number; mediaType: string }): Promise<void> {
  await plainSql(prisma)`
    INSERT INTO "StoredFile" ("sha256", "size", "mediaType", "createdAt", "lastReceivedAt", "pending")
    VALUES (${file.sha256}, ${file.size}, ${file.mediaType}, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', 1)
    ON CONFLICT ("sha256") DO UPDATE SET "lastReceivedAt" = now() AT TIME ZONE 'UTC', "pending" = "StoredFile"."pending" + 1`;
}

/** Returns whether the bytes were removed. */
export async function releaseStoredFile(prisma: PrismaClient, blobs: BlobStore, sha256: string): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    // The row lock makes a concurrent claim of the same bytes wait until they are gone (it then stores them anew).
    const [row] = await tx.$queryRaw<{ pending: number }[]>`SELECT pending FROM "StoredFile" WHERE sha256 = ${sha256} FOR UPDATE`;
    if (!row) return false;
    // A statement of its own, so it sees documents committed while the lock was awaited.
    const referenced = (await tx.document.count({ where: { sha256, removedAt: null }, take: 1 })) > 0;
    if (row.pending > 1 || referenced) {
      await tx.storedFile.update({ where: { sha256 }, data: { pending: { decrement: row.pending > 0 ? 1 : 0 } } });
      return false;
    }
    await blobs.delete(sha256);
    await tx.document.deleteMany({ where: { sha256, removedAt: { not: null } } });
    await tx.storedFile.delete({ where: { sha256 } });
    return true;
  });
}
