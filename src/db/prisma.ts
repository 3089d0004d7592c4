import { PrismaClient } from '@prisma/client';
import { appAdapter } from './adapter';
import { registerPool } from './plain-sql';

export type { PrismaClient };

/** The application's Prisma client over adapter-pg (no engine binary); its pool also serves plain-sql.ts. */
export function createPrisma(databaseUrl: string, poolSize = 10): PrismaClient {
  const { adapter, pool } = appAdapter(databaseUrl, poolSize);
  const client = new PrismaClient({ adapter });
  registerPool(client, pool);
  return client;
}
