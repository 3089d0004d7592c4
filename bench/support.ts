/**
 * What the read-model benchmarks share: an embedded PostgreSQL with the
 * migrations, a synthetic read model (bench/read-model.ts) of N students in
 * one cohort plus a second cohort beside it (so the aggregates must filter),
 * and the real gateway on a free port with an admin key. No Temporal: these
 * endpoints only read PostgreSQL.
 */
import type { Server } from 'node:http';
import { loadConfig } from '../src/config';
import { createApp } from '../src/gateway/app';
import { createStaffKey } from '../src/gateway/auth/staff-keys';
import { createLogger } from '../src/logger';
import type { PrismaClient } from '../src/db/prisma';
import { database, freePort } from '../test/kit/servers';
import { stopAll } from '../test/kit/lifetime';
import { seedReadModel } from './read-model';

export interface BenchStack {
  url: string;
  key: string;
  cohortId: string;
  prisma: PrismaClient;
  stop(): Promise<void>;
}

export async function benchStack(opts: { count: number; now: Date }): Promise<BenchStack> {
  const db = await database();
  const tag = Date.now().toString(36).toUpperCase();
  const cohortId = `bench-${tag}`;
  const t0 = Date.now();
  await seedReadModel(db.prisma, { count: opts.count, cohortId, prefix: `BM${tag}`, now: opts.now, seed: 11 });
  await seedReadModel(db.prisma, { count: Math.round(opts.count / 5), cohortId: `${cohortId}-other`, prefix: `BO${tag}`, now: opts.now, seed: 12 });
  // As autovacuum does after a bulk load (PostgreSQL 13+ vacuums after inserts too): without statistics
  // the planner guesses, and without the visibility map an index-only scan still reads every row.
  await db.prisma.$executeRawUnsafe('VACUUM ANALYZE');
  const [{ n }] = await db.prisma.$queryRaw<[{ n: bigint }]>`SELECT count(*) AS n FROM "ChecklistItem"`;
  console.log(
    `read model: ${opts.count} + ${Math.round(opts.count / 5)} registrations, ${n} checklist items, written in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  const port = await freePort();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', GATEWAY_PORT: String(port) });
  // The routes measured here never reach Temporal; the gateway is given none.
  const app = createApp({ config, prisma: db.prisma, temporal: undefined as never, logger: createLogger(config, 'gateway'), now: () => opts.now.getTime() });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  const { key } = await createStaffKey(db.prisma, { name: 'bench', role: 'admin' });
  return {
    url: `http://127.0.0.1:${port}`,
    key,
    cohortId,
    prisma: db.prisma,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await stopAll();
    },
  };
}
