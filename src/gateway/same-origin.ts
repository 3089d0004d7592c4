/**
 * Cross-site request forgery guard for what a browser's cookie authenticates.
 * SameSite=Lax already keeps the session cookie off cross-site POSTs; this
 * also refuses same-site-but-other-origin pages (a sibling subdomain) and
 * browsers that ignore SameSite. A state-changing request that carries the
 * session cookie (a student's or a staff member's) and no Authorization header, and the account-switch form
 * (which sets the cookie), must come from this origin: `Sec-Fetch-Site` must
 * be `same-origin` when the browser sends it, and `Origin` must be ours when
 * sent. A request with neither header is not from a current browser's page
 * and passes. Requests with a bearer token or an API key are never sent by a
 * browser on its own, so they are not checked.
 */
import type { Request, RequestHandler } from 'express';
import type { Config } from '../config';
import { INVITE_PATH } from '../links';
import { carriesCookie } from './auth/cookies';
import { STAFF_SESSION_COOKIE } from './auth/staff-sessions';
import { SESSION_COOKIE } from './auth/student-session';
import { forbidden } from './errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The student's and the staff member's session cookies: whoever a browser's cookie authenticates. */
const carriesSessionCookie = (req: Request) => carriesCookie(req, [SESSION_COOKIE, STAFF_SESSION_COOKIE]);

export function sameOriginGuard(config: Pick<Config, 'publicBaseUrl'>): RequestHandler {
  const publicOrigin = new URL(config.publicBaseUrl).origin;
  const ours = (origin: string, req: Request) => {
    if (origin === publicOrigin) return true;
    try {
      // The Host the browser sent is the one it navigated to (tests and proxies reach us under other names).
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  };
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method) || req.headers.authorization !== undefined) return next();
    if (!carriesSessionCookie(req) && req.path !== INVITE_PATH) return next();
    const site = req.get('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin') return next(forbidden(`Cross-site request refused (Sec-Fetch-Site: ${site}).`));
    const origin = req.get('origin');
    if (origin !== undefined && !ours(origin, req)) return next(forbidden('Cross-site request refused (Origin is not this site).'));
    next();
  };
}
