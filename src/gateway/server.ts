/**
 * Production entry of the gateway (`node dist/src/gateway/server.js`, or
 * `npm start` through tsx): connects to the configured PostgreSQL and
 * Temporal, serves HTTP, and on SIGTERM/SIGINT stops taking connections,
 * finishes in-flight requests and closes its connections.
 */
import type { Server } from 'node:http';
import { loadConfig, ConfigError, isDevelopment, requireDatabaseUrl } from '../config';
import { createPrisma } from '../db/prisma';
import { ChangeFeed } from '../live/changes';
import { createLogger } from '../logger';
import { connectClient } from '../temporal/client';
import { startBlobMaintenance } from '../uploads/gc';
import { createBlobStore } from '../uploads/store';
import { createApp } from './app';
import { createHttpServer } from './http-server';
import { GatewayMetrics } from './metrics';
import { serveMetrics } from '../observability/metrics-endpoint';
import { installTracing } from '../observability/tracing';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let config;
  let databaseUrl;
  try {
    config = loadConfig();
    databaseUrl = requireDatabaseUrl(config);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config, 'gateway');
  // Before the Temporal client is made: its interceptor and the request spans use the provider registered here.
  const tracing = installTracing(config, 'progreg-gateway');
  if (isDevelopment(config))
    logger.warn(
      { NODE_ENV: config.NODE_ENV },
      'development mode: public dev secrets, http and the identity-provider simulator are allowed; never expose this gateway',
    );
  const prisma = createPrisma(databaseUrl);
  const temporal = await connectClient(config);
  const changes = new ChangeFeed(databaseUrl, logger);
  const metrics = new GatewayMetrics({ prisma, logger });
  const app = createApp({ config, prisma, temporal, logger, changes, metrics });
  const metricsEndpoint = config.GATEWAY_METRICS_PORT
    ? await serveMetrics({ host: config.METRICS_HOST, port: config.GATEWAY_METRICS_PORT, token: config.METRICS_TOKEN, render: () => metrics.render(), logger })
    : undefined;
  const stopBlobMaintenance = startBlobMaintenance(
    { prisma, blobs: createBlobStore(config), logger },
    { graceMs: config.BLOB_GC_GRACE_MINUTES * 60_000, intervalMs: config.BLOB_GC_INTERVAL_MINUTES * 60_000 },
  );

  const server: Server = createHttpServer(app, config, logger).listen(config.GATEWAY_PORT, () => {
    logger.info({ port: config.GATEWAY_PORT, publicBaseUrl: config.publicBaseUrl }, 'gateway listening');
  });
  server.on('error', (e) => {
    logger.fatal({ err: e }, 'gateway cannot listen');
    process.exit(1);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    stopBlobMaintenance();
    // Open event streams would hold server.close() for the whole grace period: end them now (pages reconnect elsewhere).
    void changes.close();
    void metricsEndpoint?.close();
    logger.info({ signal }, 'gateway shutting down');
    const force = setTimeout(() => {
      logger.warn('in-flight requests did not finish in time; closing them');
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS).unref();
    server.close(() => {
      clearTimeout(force);
      // allSettled never rejects: the exit follows whatever the two closes did.
      void Promise.allSettled([prisma.$disconnect(), temporal.connection.close(), tracing.shutdown()]).then(() => {
        logger.info('gateway stopped');
        process.exit(0);
      });
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e) => {
  console.error('gateway failed to start:', e);
  process.exit(1);
});
