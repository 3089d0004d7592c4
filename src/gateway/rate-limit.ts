/**
 * Per-client-address limits where guessing or flooding is worth trying: token
 * exchange and staff sign-in (failed attempts only), and the webhooks. Answers with the usual error
 * shape (429 RATE_LIMITED) and a Retry-After header.
 */
import type { RequestHandler } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import type { Config } from '../config';
import type { PrismaClient } from '../db/prisma';
import { AppError, ErrorCode } from './errors';
import { PostgresRateLimitStore } from './rate-limit-store';

export interface RateLimits {
  auth: RequestHandler;
  webhook: RequestHandler;
}

function limiter(perMinute: number, what: string, countOnlyFailures = false, store?: Store): RequestHandler {
  return rateLimit({
    ...(store ? { store } : {}),
    windowMs: 60_000,
    limit: perMinute,
    skipSuccessfulRequests: countOnlyFailures,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler(req, res, next) {
      const reset = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfter = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      next(new AppError(ErrorCode.RATE_LIMITED, `Too many ${what} requests; try again in ${retryAfter} s.`, { retryAfterSeconds: retryAfter }));
    },
  });
}

export function createRateLimits(
  config: Pick<Config, 'AUTH_RATE_LIMIT_PER_MINUTE' | 'WEBHOOK_RATE_LIMIT_PER_MINUTE' | 'RATE_LIMIT_STORE'>,
  prisma?: PrismaClient,
): RateLimits {
  // Shared counters in PostgreSQL when several gateways serve the same clients; else each process's memory.
  const store = (name: string) => (config.RATE_LIMIT_STORE === 'postgres' && prisma ? new PostgresRateLimitStore(prisma, `${name}:`) : undefined);
  return {
    // Only failed attempts count: guessing is what is limited, so a registry office
    // behind one address can sign in as often as it needs.
    auth: limiter(config.AUTH_RATE_LIMIT_PER_MINUTE, 'sign-in', true, store('auth')),
    webhook: limiter(config.WEBHOOK_RATE_LIMIT_PER_MINUTE, 'webhook', false, store('webhook')),
  };
}
