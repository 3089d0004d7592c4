/**
 * Cross-site request forgery guard for what a browser's cookie authenticates.
 * SameSite=Lax already keeps the session cookie off cross-site POSTs; this
 * also refuses same-site-but-other-origin pages (a sibling subdomain, another
 * port of the same host) and browsers that ignore SameSite. A state-changing
 * request that carries the session cookie (a student's or a staff member's)
 * and no Authorization header, and the account-switch form (which sets the
 * cookie), must come from this origin:
 *
 * - `Sec-Fetch-Site` decides when the browser sends it (every current browser
 *   does, on a secure origin or localhost): only `same-origin` passes. It is
 *   set by the browser, not the page, and says the truth whatever the
 *   Referrer-Policy; `Origin` does not (under `no-referrer` a browser sends
 *   `Origin: null` on a same-origin form post).
 * - Without it (an older browser), `Origin` decides when sent: it must be
 *   ours. The gateway's Referrer-Policy (`same-origin`, app.ts) keeps our own
 *   form posts' `Origin` real; `null` is refused (a sandboxed or cross-site
 *   page sends it).
 * - With neither header the request is not from a current browser's page
 *   and passes. Requests with a bearer token or an API key are never sent by
 *   a browser on its own, so they are not checked.
 */
import type { Request, RequestHandler } from 'express';
import type { Config } from '../config';
import { INVITE_PATH } from '../links';
import { carriesCookie, cookieName } from './auth/cookies';
import { STAFF_SESSION_COOKIE } from './auth/staff-sessions';
import { SESSION_COOKIE } from './auth/student-session';
import { AppError, ErrorCode } from './errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The Referrer-Policy of every answer: the full referrer to our own pages only, so a same-origin form post carries its real `Origin`. */
export const REFERRER_POLICY = 'same-origin';

/** Why the guard refused a request (the `reason` detail of its 403): the refusal page words its advice by it. */
export const CROSS_SITE_REFUSED = 'cross-site';

export function sameOriginGuard(config: Pick<Config, 'publicBaseUrl'>): RequestHandler {
  const publicOrigin = new URL(config.publicBaseUrl).origin;
  /** The student's and the staff member's session cookies: whoever a browser's cookie authenticates. */
  const sessionCookies = [cookieName(config, SESSION_COOKIE), cookieName(config, STAFF_SESSION_COOKIE)];
  const ours = (origin: string, req: Request) => {
    if (origin === publicOrigin) return true;
    try {
      // The Host the browser sent is the one it navigated to (tests and proxies reach us under other names).
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  };
  const refuse = (why: string) => new AppError(ErrorCode.FORBIDDEN, `Cross-site request refused (${why}).`, { reason: CROSS_SITE_REFUSED });
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method) || req.headers.authorization !== undefined) return next();
    if (!carriesCookie(req, sessionCookies) && req.path !== INVITE_PATH) return next();
    const site = req.get('sec-fetch-site');
    if (site !== undefined) return next(site === 'same-origin' ? undefined : refuse(`Sec-Fetch-Site: ${site}`));
    const origin = req.get('origin');
    if (origin !== undefined && !ours(origin, req)) return next(refuse('Origin is not this site'));
    next();
  };
}
