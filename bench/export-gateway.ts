/**
 * The gateway alone in its own process, for bench/export.ts and bench/sse.ts to
 * measure its memory (/proc/<pid>/status) without the benchmark's own seeding
 * or clients in it. PostgreSQL from DATABASE_URL, with the gateway's LISTEN
 * connection for the event streams; no Temporal (neither bench reaches it).
 * Configured as production (NODE_ENV=production, secrets made at run time).
 * Prints `READY <url> <admin key>` once listening.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config';
import { createPrisma } from '../src/db/prisma';
import { createApp } from '../src/gateway/app';
import { createStaffKey } from '../src/gateway/auth/staff-keys';
import { ChangeFeed } from '../src/live/changes';
import { createLogger } from '../src/logger';

async function main(): Promise<void> {
  // Configured as production runs it (minified portal bundle, production checks), with secrets made for this run.
  const secret = () => randomBytes(32).toString('base64url');
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'production',
    TOKEN_SECRET: secret(),
    WEBHOOK_SECRET: secret(),
    PUBLIC_BASE_URL: 'https://progreg.bench.invalid',
    EMAIL_TRANSPORT: 'outbox',
    LOG_LEVEL: 'silent',
    GATEWAY_PORT: '3999', // unused: it listens on a free port
  });
  const prisma = createPrisma(process.env.DATABASE_URL!);
  const logger = createLogger(config, 'gateway');
  const app = createApp({ config, prisma, temporal: undefined as never, logger, changes: new ChangeFeed(process.env.DATABASE_URL!, logger) });
  const server = app.listen(0, '127.0.0.1', () => {
    createStaffKey(prisma, { name: 'bench-export', role: 'admin' }).then(
      ({ key }) => {
        const address = server.address();
        console.log(`READY http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0} ${key}`);
      },
      (e: unknown) => {
        console.error('bench gateway: no staff key', e);
        process.exit(1);
      },
    );
  });
  // The bench asks for the V8 side of the memory figures (heap, external) at its checkpoints.
  process.on('SIGUSR2', () => {
    (globalThis as { gc?: () => void }).gc?.();
    console.log(`MEMORY ${JSON.stringify(process.memoryUsage())}`);
  });
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => void prisma.$disconnect().then(() => process.exit(0)));
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
