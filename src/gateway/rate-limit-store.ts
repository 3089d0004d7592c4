/**
 * An express-rate-limit store in PostgreSQL (the read-model database), so a
 * limit holds across every gateway behind the load balancer: each request is
 * one atomic upsert that starts a fresh window when the old one has passed, or
 * counts a hit in the current one. Fixed windows, as the memory store has.
 * The table (RateLimitHit) is written only here; rows of windows long gone are
 * deleted now and then by the increments themselves.
 */
import type { Options, Store, ClientRateLimitInfo } from 'express-rate-limit';
import { plainSql } from '../db/plain-sql';
import type { PrismaClient } from '../db/prisma';

const SWEEP_EVERY = 500;

export class PostgresRateLimitStore implements Store {
  /** Counters are shared, not per process: express-rate-limit must not assume otherwise. */
  readonly localKeys = false;
  private windowMs = 60_000;
  private increments = 0;

  constructor(
    private readonly prisma: PrismaClient,
    /** Keeps each limiter's counters apart (the same address is counted by several). */
    readonly prefix: string,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    if (++this.increments % SWEEP_EVERY === 0) void this.sweep();
    // In plain SQL: counted on every limited request (src/db/plain-sql.ts says why). resetAt holds UTC, as Prisma keeps a DateTime.
    const rows = await plainSql(this.prisma)<{ hits: number; resetAt: Date }>`
      INSERT INTO "RateLimitHit" ("key", "hits", "resetAt")
      VALUES (${this.prefix + key}, 1, (now() AT TIME ZONE 'UTC') + make_interval(secs => ${this.windowMs / 1000}))
      ON CONFLICT ("key") DO UPDATE SET
        "hits"    = CASE WHEN "RateLimitHit"."resetAt" <= (now() AT TIME ZONE 'UTC') THEN 1 ELSE "RateLimitHit"."hits" + 1 END,
        "resetAt" = CASE WHEN "RateLimitHit"."resetAt" <= (now() AT TIME ZONE 'UTC') THEN EXCLUDED."resetAt" ELSE "RateLimitHit"."resetAt" END
      RETURNING "hits", "resetAt" AT TIME ZONE 'UTC' AS "resetAt"`;
    return { totalHits: Number(rows[0]!.hits), resetTime: rows[0]!.resetAt };
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const row = await this.prisma.rateLimitHit.findUnique({ where: { key: this.prefix + key } });
    return row && row.resetAt > new Date() ? { totalHits: row.hits, resetTime: row.resetAt } : undefined;
  }

  /** A request that does not count after all (skipSuccessfulRequests): take its hit back, within the window. */
  async decrement(key: string): Promise<void> {
    await this.prisma.rateLimitHit.updateMany({
      where: { key: this.prefix + key, hits: { gt: 0 }, resetAt: { gt: new Date() } },
      data: { hits: { decrement: 1 } },
    });
  }

  async resetKey(key: string): Promise<void> {
    await this.prisma.rateLimitHit.deleteMany({ where: { key: this.prefix + key } });
  }

  private async sweep(): Promise<void> {
    await this.prisma.rateLimitHit.deleteMany({ where: { resetAt: { lt: new Date(Date.now() - this.windowMs) } } }).catch(() => {});
  }
}
