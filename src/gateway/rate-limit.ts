/**
 * Per-client-address limits where guessing or flooding is worth trying: token
 * exchange and staff sign-in (failed attempts only), and the webhooks; and a
 * per-registration limit (keyed by application number) on the actions that
 * change a registration: uploads, the form, declining. Answers with the usual
 * error shape (429 RATE_LIMITED) and a Retry-After header.
 */
import type { Request, RequestHandler } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import type { Config } from '../config';
import type { PrismaClient } from '../db/prisma';
import { AppError, ErrorCode } from './errors';
import { PostgresRateLimitStore } from './rate-limit-store';

export interface RateLimits {
  auth: RequestHandler;
  webhook: RequestHandler;
  /** Runs after authorisation (route spec `limit`), so nobody else can spend a student's allowance. */
  registrationAction: RequestHandler;
}

interface LimiterOptions {
  countOnlyFailures?: boolean;
  /** Default: the client address. */
  keyOf?: (req: Request) => string;
  scope?: 'client' | 'registration';
  /** Default: this process's memory. */
  store?: Store;
}

function limiter(perMinute: number, what: (req: Request) => string, { countOnlyFailures = false, keyOf, scope = 'client', store }: LimiterOptions = {}): RequestHandler {
  return rateLimit({
    ...(store ? { store } : {}),
    windowMs: 60_000,
    limit: perMinute,
    skipSuccessfulRequests: countOnlyFailures,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    ...(keyOf ? { keyGenerator: keyOf } : {}),
    handler(req, res, next) {
      const reset = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfter = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      next(
        new AppError(ErrorCode.RATE_LIMITED, `Too many ${what(req)} (at most ${perMinute} a minute); try again in ${retryAfter} s.`, {
          retryAfterSeconds: retryAfter,
          limit: perMinute,
          windowSeconds: 60,
          scope,
        }),
      );
    },
  });
}

export function createRateLimits(
  config: Pick<Config, 'AUTH_RATE_LIMIT_PER_MINUTE' | 'WEBHOOK_RATE_LIMIT_PER_MINUTE' | 'REGISTRATION_ACTION_RATE_LIMIT_PER_MINUTE' | 'RATE_LIMIT_STORE'>,
  prisma?: PrismaClient,
): RateLimits {
  // Shared counters in PostgreSQL when several gateways serve the same clients; else each process's memory.
  const store = (name: string) => (config.RATE_LIMIT_STORE === 'postgres' && prisma ? new PostgresRateLimitStore(prisma, `${name}:`) : undefined);
  return {
    // Only failed attempts count: guessing is what is limited, so a registry office
    // behind one address can sign in as often as it needs.
    auth: limiter(config.AUTH_RATE_LIMIT_PER_MINUTE, () => 'sign-in requests', { countOnlyFailures: true, store: store('auth') }),
    webhook: limiter(config.WEBHOOK_RATE_LIMIT_PER_MINUTE, () => 'webhook requests', { store: store('webhook') }),
    // Every action is a workflow update (history) and an upload is bytes: one registration's
    // allowance, whichever address or session it comes from.
    registrationAction: limiter(config.REGISTRATION_ACTION_RATE_LIMIT_PER_MINUTE, (req) => `actions on registration ${String(req.params.applicationNo)}`, {
      keyOf: (req) => `registration:${String(req.params.applicationNo)}`,
      scope: 'registration',
      store: store('action'),
    }),
  };
}
