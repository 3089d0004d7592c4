/**
 * What the CLI tools connect to: the configured PostgreSQL and Temporal, or,
 * when DATABASE_URL / TEMPORAL_ADDRESS are unset, the embedded ones that
 * `npm start` runs (so the tools work in a second terminal next to it).
 */
import type { Client } from '@temporalio/client';
import { ConfigError, loadConfig, type Config } from '../config';
import { embeddedDatabaseUrl, STACK_DATABASE } from '../db/embedded';
import { createPrisma, type PrismaClient } from '../db/prisma';
import { connectClient } from '../temporal/client';

export function cliConfig(): Config {
  try {
    // Tools neither serve students nor sign tokens: the production server checks (secrets, https) do not apply.
    return loadConfig(process.env, { purpose: 'tool' });
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
}

export function cliPrisma(config: Config): PrismaClient {
  return createPrisma(config.DATABASE_URL ?? embeddedDatabaseUrl(config.EMBEDDED_PG_PORT, STACK_DATABASE), 4);
}

export async function cliTemporal(config: Config): Promise<Client> {
  try {
    return await connectClient(config);
  } catch (e) {
    fail(`Cannot reach Temporal (${(e as Error).message.split('\n')[0]}). Is \`npm start\` running, or TEMPORAL_ADDRESS set?`);
  }
}

export function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}
