/**
 * Per-client-address limits where guessing or flooding is worth trying: token
 * exchange and staff sign-in (failed attempts only), and the webhooks. Answers with the usual error
 * shape (429 RATE_LIMITED) and a Retry-After header.
 */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Config } from '../config';
import { AppError, ErrorCode } from './errors';

export interface RateLimits {
  auth: RequestHandler;
  /** "Email me a new link": every request counts, since each may send an email. */
  signInLink: RequestHandler;
  webhook: RequestHandler;
}

function limiter(perWindow: number, what: string, countOnlyFailures = false, windowMs = 60_000): RequestHandler {
  return rateLimit({
    windowMs,
    limit: perWindow,
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
  config: Pick<Config, 'AUTH_RATE_LIMIT_PER_MINUTE' | 'WEBHOOK_RATE_LIMIT_PER_MINUTE' | 'SIGN_IN_LINK_RATE_LIMIT_PER_HOUR'>,
): RateLimits {
  return {
    // Only failed attempts count: guessing is what is limited, so a registry office
    // behind one address can sign in as often as it needs.
    auth: limiter(config.AUTH_RATE_LIMIT_PER_MINUTE, 'sign-in', true),
    webhook: limiter(config.WEBHOOK_RATE_LIMIT_PER_MINUTE, 'webhook'),
    signInLink: limiter(config.SIGN_IN_LINK_RATE_LIMIT_PER_HOUR, 'sign-in link', false, 3600_000),
  };
}
