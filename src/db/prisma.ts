import { PrismaClient } from '@prisma/client';
import { appAdapter } from './adapter';

export type { PrismaClient };

/** The application's Prisma client over adapter-pg (no engine binary). */
export function createPrisma(databaseUrl: string, poolSize = 10): PrismaClient {
  return new PrismaClient({ adapter: appAdapter(databaseUrl, poolSize) });
}
