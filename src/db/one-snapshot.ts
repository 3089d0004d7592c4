import { Prisma, type PrismaClient } from '@prisma/client';

/**
 * Reads that must agree with each other, such as a page and its total, taken from one snapshot. Run side by side on two
 * pooled connections, a commit can fall between them: the count sees a row the page does not, and a list says
 * "total 1" with no items. Under REPEATABLE READ both statements see the database as of the first one.
 */
export function inOneSnapshot<const P extends readonly Prisma.PrismaPromise<unknown>[]>(
  prisma: PrismaClient,
  reads: P,
): Promise<{ -readonly [K in keyof P]: Awaited<P[K]> }> {
  return prisma.$transaction(reads as unknown as Prisma.PrismaPromise<unknown>[], {
    isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead,
  }) as Promise<{ -readonly [K in keyof P]: Awaited<P[K]> }>;
}
