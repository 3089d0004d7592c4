/**
 * The statements in plain SQL (src/db/plain-sql.ts) against the real database, in a
 * process whose time zone is not UTC: node-postgres reads a `timestamp` column in the
 * process's zone, Prisma as UTC, and both write the same rows. Each statement must
 * read and write the instants Prisma does.
 */
import assert from 'node:assert/strict';
import { sessionStillValid, linkStillValid } from '../../src/gateway/auth/access';
import { PostgresRateLimitStore } from '../../src/gateway/rate-limit-store';
import { plainSql } from '../../src/db/plain-sql';
import { createPrisma } from '../../src/db/prisma';
import { claimStoredFile } from '../../src/uploads/stored-files';
import { database, uniq } from '../kit/servers';

describe('db: plain SQL beside Prisma, in a process not on UTC', () => {
  const zone = process.env.TZ;
  before(() => {
    // Node reads TZ again when it changes: Dates are local to New York from here (UTC−5 in December).
    process.env.TZ = 'America/New_York';
    assert.equal(new Date('2026-12-08T12:00:00Z').getHours(), 7, 'the process is on New York time');
  });
  after(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it('reads a revocation Prisma wrote at its instant: tokens issued before it are refused, after it taken', async () => {
    const { prisma } = await database();
    const applicationNo = uniq('PLAIN');
    const cutoff = new Date('2026-12-08T03:00:00.000Z');
    await prisma.studentAccess.create({ data: { applicationNo, linksValidFrom: cutoff, sessionsValidFrom: cutoff } });
    assert.equal(await sessionStillValid(prisma, applicationNo, cutoff.getTime() - 1000), false, 'a session from a second before');
    assert.equal(await sessionStillValid(prisma, applicationNo, cutoff.getTime()), false, 'the same millisecond is refused');
    assert.equal(await sessionStillValid(prisma, applicationNo, cutoff.getTime() + 1000), true, 'a session from a second after');
    assert.equal(await linkStillValid(prisma, applicationNo, cutoff.getTime() - 1000), false);
    assert.equal(await linkStillValid(prisma, applicationNo, cutoff.getTime() + 1000), true);
    assert.equal(await sessionStillValid(prisma, uniq('NONE'), 0), true, 'no row: nothing revoked');
  });

  it('claims bytes as Prisma reads them: created with one claim, then counted up with the time of the last', async () => {
    const { prisma } = await database();
    const sha256 = uniq('sha').padEnd(64, '0').slice(0, 64);
    const before = Date.now();
    await claimStoredFile(prisma, { sha256, size: 1234, mediaType: 'application/pdf' });
    const first = await prisma.storedFile.findUniqueOrThrow({ where: { sha256 } });
    assert.equal(first.pending, 1);
    assert.equal(first.size, 1234);
    assert.equal(first.mediaType, 'application/pdf');
    // Database time against this process's: the same clock here, a few seconds allowed either way.
    assert.ok(
      Math.abs(first.lastReceivedAt.getTime() - before) < 5000,
      `lastReceivedAt ${first.lastReceivedAt.toISOString()}, now ${new Date(before).toISOString()}`,
    );
    assert.ok(Math.abs(first.createdAt.getTime() - before) < 5000, `createdAt ${first.createdAt.toISOString()}`);
    await new Promise((r) => setTimeout(r, 50));
    await claimStoredFile(prisma, { sha256, size: 1234, mediaType: 'application/pdf' });
    const second = await prisma.storedFile.findUniqueOrThrow({ where: { sha256 } });
    assert.equal(second.pending, 2);
    assert.ok(second.lastReceivedAt > first.lastReceivedAt, 'the second claim moved lastReceivedAt');
    assert.equal(second.createdAt.getTime(), first.createdAt.getTime());
  });

  it("counts rate-limited requests in a window that ends a window's length from now, as Prisma reads it", async () => {
    const { prisma } = await database();
    const store = new PostgresRateLimitStore(prisma, `${uniq('plain')}:`);
    store.init({ windowMs: 60_000 } as never);
    const now = Date.now();
    const first = await store.increment('reg');
    assert.equal(first.totalHits, 1);
    assert.ok(
      Math.abs(first.resetTime!.getTime() - (now + 60_000)) < 5000,
      `resets at ${first.resetTime!.toISOString()}, a minute after ${new Date(now).toISOString()}`,
    );
    assert.equal((await store.increment('reg')).totalHits, 2);
    const seen = await store.get('reg');
    assert.equal(seen?.totalHits, 2, "Prisma's read sees the window open");
    assert.equal(seen?.resetTime?.getTime(), first.resetTime!.getTime());
    await store.decrement('reg');
    assert.equal((await store.increment('reg')).totalHits, 2, 'a decrement within the window counts');
  });

  it('survives the server closing an idle connection before Prisma ever connected: the next statement opens another', async () => {
    const { prisma: admin, url } = await database();
    const client = createPrisma(url, 2);
    try {
      const sql = plainSql(client);
      const [{ pid }] = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`;
      // The connection now waits idle in the pool; the server ends it, as a restart or a failover would.
      await admin.$queryRaw`SELECT pg_terminate_backend(${pid}::int)`;
      await new Promise((r) => setTimeout(r, 200));
      const [{ other }] = await sql<{ other: number }>`SELECT pg_backend_pid() AS other`;
      assert.notEqual(other, pid, 'a new connection');
    } finally {
      await client.$disconnect();
    }
  });
});
