/**
 * Per-client-address limits where guessing or flooding is worth trying: token
 * exchange and staff sign-in (failed attempts only), and the webhooks; and a
 * per-registration limit (keyed by application number) on the actions that
 * change a registration: uploads, the form, declining; and an hourly limit per
 * client address on "Email me a new link" (each request may send an email). Answers with the usual
 * error shape (429 RATE_LIMITED) and a Retry-After header.
 */
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import type { Config } from '../config';
import type { PrismaClient } from '../db/prisma';
import { AppError, ErrorCode } from './errors';
import { PostgresRateLimitStore } from './rate-limit-store';

export interface RateLimits {
  auth: RequestHandler;
  /** "Email me a new link": every request counts, since each may send an email. */
  signInLink: RequestHandler;
  webhook: RequestHandler;
  /** Runs after authorisation (route spec `limit`), so nobody else can spend a student's allowance. */
  registrationAction: RequestHandler;
}

/**
 * Marks a request as a failed attempt although its status says otherwise: `/invite` always
 * answers 303 (to the portal, with `?error=` on failure), so its status cannot tell.
 */
export function countAsFailure(res: Response): void {
  res.locals.authFailed = true;
}

interface LimiterOptions {
  countOnlyFailures?: boolean;
  /** Default: the client address. */
  keyOf?: (req: Request) => string;
  scope?: 'client' | 'registration';
  /** Default: a minute. */
  windowSeconds?: number;
  /** Default: this process's memory. */
  store?: Store;
}

function limiter(
  perWindow: number,
  what: (req: Request) => string,
  { countOnlyFailures = false, keyOf, scope = 'client', windowSeconds = 60, store }: LimiterOptions = {},
): RequestHandler {
  const per = windowSeconds === 60 ? 'a minute' : windowSeconds === 3600 ? 'an hour' : `per ${windowSeconds} s`;
  return rateLimit({
    ...(store ? { store } : {}),
    windowMs: windowSeconds * 1000,
    limit: perWindow,
    skipSuccessfulRequests: countOnlyFailures,
    requestWasSuccessful: (_req, res) => res.statusCode < 400 && !res.locals.authFailed,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    ...(keyOf ? { keyGenerator: keyOf } : {}),
    handler(req, res, next) {
      const reset = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfter = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + windowSeconds * 1000) - Date.now()) / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      next(
        new AppError(ErrorCode.RATE_LIMITED, `Too many ${what(req)} (at most ${perWindow} ${per}); try again in ${retryAfter} s.`, {
          retryAfterSeconds: retryAfter,
          limit: perWindow,
          windowSeconds,
          scope,
        }),
      );
    },
  });
}

export function createRateLimits(
  config: Pick<
    Config,
    | 'AUTH_RATE_LIMIT_PER_MINUTE'
    | 'WEBHOOK_RATE_LIMIT_PER_MINUTE'
    | 'REGISTRATION_ACTION_RATE_LIMIT_PER_MINUTE'
    | 'SIGN_IN_LINK_RATE_LIMIT_PER_HOUR'
    | 'RATE_LIMIT_STORE'
  >,
  prisma?: PrismaClient,
): RateLimits {
  // Shared counters in PostgreSQL when several gateways serve the same clients; else each process's memory.
  const store = (name: string) => (config.RATE_LIMIT_STORE === 'postgres' && prisma ? new PostgresRateLimitStore(prisma, `${name}:`) : undefined);
  return {
    // Only failed attempts count: guessing is what is limited, so a registry office
    // behind one address can sign in as often as it needs.
    auth: limiter(config.AUTH_RATE_LIMIT_PER_MINUTE, () => 'sign-in requests', { countOnlyFailures: true, store: store('auth') }),
    webhook: limiter(config.WEBHOOK_RATE_LIMIT_PER_MINUTE, () => 'webhook requests', { store: store('webhook') }),
    signInLink: limiter(config.SIGN_IN_LINK_RATE_LIMIT_PER_HOUR, () => 'sign-in link requests', { windowSeconds: 3600, store: store('sign-in-link') }),
    // Every action is a workflow update (history) and an upload is bytes: one registration's
    // allowance, whichever address or session it comes from.
    registrationAction: limiter(config.REGISTRATION_ACTION_RATE_LIMIT_PER_MINUTE, (req) => `actions on registration ${String(req.params.applicationNo)}`, {
      keyOf: (req) => `registration:${String(req.params.applicationNo)}`,
      scope: 'registration',
      store: store('action'),
    }),
  };
}
