/**
 * Student sessions: opening the invitation link exchanges its token for a
 * session token scoped to that one registration (aud 'student-session'); an
 * activated student's single sign-on (routes/sso.ts) ends in the same session. The
 * session travels as an HttpOnly cookie for the portal pages, or as a bearer
 * token for API clients.
 */
import type { Request, Response } from 'express';
import { decodeJwt, SignJWT } from 'jose';
import type { Config } from '../../config';
import { ISSUER, issuedAtClaim, tokenKey, verifyTokenClaims, type VerifiedToken } from '../../links';
import { cookieName, cookieOptions, readCookie } from './cookies';

const SESSION_AUDIENCE = 'student-session';
/** The cookie's name: `progreg_session`, with the `__Host-` prefix over https (cookieName). */
export const SESSION_COOKIE = 'progreg_session';

type SessionConfig = Pick<Config, 'TOKEN_SECRET' | 'SESSION_TTL_HOURS' | 'publicBaseUrl'>;

/**
 * The claim naming the staff member whose request made this session (they held the student's link and signed
 * in with staff credentials). Such a session may read, never act as the student (authorize(), 'student').
 */
const STAFF_CAUSED_CLAIM = 'staffCaused';

export async function signSession(config: SessionConfig, applicationNo: string, staffCaused?: string): Promise<{ token: string; expiresAt: Date }> {
  const expiresAt = new Date(Date.now() + config.SESSION_TTL_HOURS * 3600_000);
  const token = await new SignJWT({ ...issuedAtClaim(), ...(staffCaused ? { [STAFF_CAUSED_CLAIM]: staffCaused } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(SESSION_AUDIENCE)
    .setSubject(applicationNo)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(tokenKey(config));
  return { token, expiresAt };
}

/** The session's student and issue time, and the staff member who caused it, if one did. */
export async function verifySession(config: Pick<Config, 'TOKEN_SECRET'>, token: string): Promise<VerifiedToken & { staffCaused?: string }> {
  const claims = await verifyTokenClaims(config, token, SESSION_AUDIENCE);
  // Verified just above, so its payload is the signed one.
  const staffCaused = decodeJwt(token)[STAFF_CAUSED_CLAIM];
  return typeof staffCaused === 'string' && staffCaused ? { ...claims, staffCaused } : claims;
}

export function setSessionCookie(res: Response, config: SessionConfig, token: string, expiresAt: Date): void {
  res.cookie(cookieName(config, SESSION_COOKIE), token, { ...cookieOptions(config), expires: expiresAt });
}

export function clearSessionCookie(res: Response, config: Pick<Config, 'publicBaseUrl'>): void {
  res.clearCookie(cookieName(config, SESSION_COOKIE), cookieOptions(config));
}

export const sessionCookie = (req: Request, config: Pick<Config, 'publicBaseUrl'>): string | undefined => readCookie(req, cookieName(config, SESSION_COOKIE));
