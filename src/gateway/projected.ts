/**
 * Reads of the read model that name a change the caller has seen (`?seq=`; docs/architecture.md, "Reading one's own
 * change"): the one rule for a `seq` the registration has not reached, and waiting, within a request, for the read
 * model to hold a change. The wait is woken by the projection's own change notice (src/live/changes.ts), which
 * PostgreSQL delivers at the commit that made the row readable: no poll, and no wait at all when the row is there
 * already. Bounded, since a projection retrying after a database error may take long.
 */
import type { PrismaClient } from '../db/prisma';
import type { ChangeFeed, ChangeListener } from '../live/changes';
import { AppError, ErrorCode } from './errors';

/**
 * A `seq` beyond the registration's latest change (`latest`, the workflow's own, asked while the read model is behind
 * `seq`) is no change the caller can have seen, and no wait would bring it: the client's mistake, 400, with the same
 * body on every read that takes `?seq=`.
 */
export function refuseUnmadeChange(seq: number, latest: number): void {
  if (seq <= latest) return;
  throw new AppError(ErrorCode.VALIDATION_FAILED, `Invalid query field "seq": this registration's latest change is ${latest}.`, {
    issues: [{ in: 'query', path: 'seq', message: `at most ${latest}, the registration's latest change` }],
  });
}

/** The registration's sequence number in the read model: -1 for no row. */
export async function projectedSeqOf(prisma: PrismaClient, applicationNo: string): Promise<number> {
  return (await prisma.registration.findUnique({ where: { applicationNo }, select: { seq: true } }))?.seq ?? -1;
}

/**
 * Waits for a registration's row, which the caller has read (`projectedSeqOf`) behind `seq`, to reach it: answers its
 * sequence number in the read model once it has, or as it stands when `timeoutMs` has passed first (or this gateway has
 * no change feed to be woken by, or it is stopping): -1 for no row. The caller's read is not repeated before listening;
 * the row is read again once the listener is in place, which also finds a projection that landed in between.
 */
export async function projectedUpTo(
  deps: { prisma: PrismaClient; changes?: ChangeFeed | undefined },
  applicationNo: string,
  seq: number,
  timeoutMs: number,
): Promise<number> {
  const read = () => projectedSeqOf(deps.prisma, applicationNo);
  if (!deps.changes) return read();
  let wake = () => {};
  let stopping = false;
  const listener: ChangeListener = (notice) => {
    if (notice === 'closed') stopping = true;
    // 'resync': notices may have been lost meanwhile, so the row is read again.
    if (notice === 'closed' || notice === 'resync' || (notice.applicationNo === applicationNo && notice.seq >= seq)) wake();
  };
  let unsubscribe: () => void;
  try {
    unsubscribe = await deps.changes.subscribe(listener);
  } catch {
    return read(); // No LISTEN connection (PostgreSQL unreachable): nothing would wake us.
  }
  const until = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  try {
    for (;;) {
      // Listening before the read: a projection committed after it is notified, one committed before it is in it.
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const reached = await read();
      if (reached >= seq || stopping || Date.now() >= until) return reached;
      await Promise.race([woken, new Promise<void>((resolve) => (timer = setTimeout(resolve, until - Date.now())))]);
      clearTimeout(timer);
    }
  } finally {
    clearTimeout(timer);
    unsubscribe();
  }
}
