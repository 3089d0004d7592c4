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
  /** The gateway's clock for read-model figures (dashboard ages, burn-down); tests fix it. Default: the system clock. */
  now?: () => Date;
}
