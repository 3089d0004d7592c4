/** What the gateway is built from; tests hand in real ones pointed at their own servers. */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { PrismaClient } from '../db/prisma';
import type { Logger } from '../logger';

export interface GatewayDeps {
  config: Config;
  prisma: PrismaClient;
  temporal: Client;
  logger: Logger;
  /** The clock for ages and "overdue" (the review queue); tests hand in a fixed one. Default Date.now. */
  now?: () => number;
}
