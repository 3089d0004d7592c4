/** What the gateway is built from; tests hand in real ones pointed at their own servers. */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { PrismaClient } from '../db/prisma';
import type { ChangeFeed } from '../live/changes';
import type { Logger } from '../logger';
import type { GatewayMetrics } from './metrics';

export interface GatewayDeps {
  config: Config;
  prisma: PrismaClient;
  temporal: Client;
  logger: Logger;
  /** The clock for ages and "overdue" (the review queue); tests hand in a fixed one. Default Date.now. */
  now?: () => number;
  /** This gateway's one LISTEN connection for the live pages' event streams; without it they answer 503 and pages poll. */
  changes?: ChangeFeed;
  /** This gateway's Prometheus metrics (served on their own port by server.ts); without it nothing is counted. */
  metrics?: GatewayMetrics;
}
