/**
 * From request to Principal, and whether that principal may use a route.
 * Presented-but-bad credentials are an error (401); no credentials at all is
 * `undefined`, and only routes open to the public accept that.
 */
import type { Request } from 'express';
import type { Config } from '../../config';
import type { PrismaClient } from '../../db/prisma';
import { TokenError } from '../../links';
import { AppError, ErrorCode, forbidden } from '../errors';
import type { Access, Principal } from './principal';
import { sessionStillValid } from './access';
import { findStaffKey, looksLikeStaffKey } from './staff-keys';
import { checkStaffSession, staffSessionCookie } from './staff-sessions';
import { sessionCookie, verifySession } from './student-session';

export type Authenticate = (req: Request) => Promise<Principal | undefined>;

export function tokenFailure(e: unknown): AppError {
  if (e instanceof TokenError && e.reason === 'expired') {
    return new AppError(ErrorCode.TOKEN_EXPIRED, 'Your link or session has expired; open the latest invitation email again.');
  }
  return new AppError(ErrorCode.UNAUTHENTICATED, 'The token is not valid.');
}

const sessionEnded = () =>
  new AppError(ErrorCode.UNAUTHENTICATED, 'This session has ended (signed out, or access was revoked); open your invitation link again.');

/**
 * A principal from credentials already verified, with the one check that may still be running: a student
 * session's revocation (a database read). `confirmed` resolves once it has passed and rejects with the 401
 * otherwise; until then nothing may be answered or changed on the principal's behalf.
 */
export interface EarlyPrincipal {
  principal: Principal | undefined;
  confirmed: Promise<void>;
}

export function createAuthenticator(deps: { config: Config; prisma: PrismaClient }): {
  authenticate: Authenticate;
  /** For reads with no effect (route spec `checkRevocationAlongside`): the revocation check runs alongside the handler. */
  authenticateEarly: (req: Request) => Promise<EarlyPrincipal>;
} {
  const confirmedAlready = Promise.resolve();
  const authenticateEarly = async (req: Request): Promise<EarlyPrincipal> => {
    const header = req.headers.authorization;
    let bearer: string | undefined;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Authorization header must be "Bearer <token>".');
      bearer = m[1];
    }
    if (bearer && looksLikeStaffKey(bearer)) {
      const key = await findStaffKey(deps.prisma, bearer);
      if (!key) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Unknown or revoked API key.');
      return { principal: { kind: 'staff', keyId: key.id, name: key.name, role: key.role, via: 'apiKey' }, confirmed: confirmedAlready };
    }
    const staffToken = bearer === undefined ? staffSessionCookie(req, deps.config) : undefined;
    if (staffToken !== undefined) return { principal: await staffPrincipal(deps.prisma, staffToken), confirmed: confirmedAlready };
    const token = bearer ?? sessionCookie(req, deps.config);
    if (!token) return { principal: undefined, confirmed: confirmedAlready };
    let session;
    try {
      session = await verifySession(deps.config, token);
    } catch (e) {
      throw tokenFailure(e);
    }
    const confirmed = sessionStillValid(deps.prisma, session.applicationNo, session.issuedAtMs).then((valid) => {
      if (!valid) throw sessionEnded();
    });
    // Awaited by whoever acts on the principal; never an unhandled rejection meanwhile.
    confirmed.catch(() => {});
    return {
      principal: { kind: 'student', applicationNo: session.applicationNo, ...(session.staffCaused ? { staffCaused: session.staffCaused } : {}) },
      confirmed,
    };
  };
  return {
    authenticateEarly,
    async authenticate(req) {
      const { principal, confirmed } = await authenticateEarly(req);
      await confirmed;
      return principal;
    },
  };
}

/** The staff member a single sign-on cookie stands for; 401 once it has ended or expired (the pages then sign in again). */
async function staffPrincipal(prisma: PrismaClient, token: string): Promise<Principal> {
  const check = await checkStaffSession(prisma, token);
  if (!check.ok) {
    throw check.reason === 'expired'
      ? new AppError(ErrorCode.TOKEN_EXPIRED, 'Your staff session has expired; sign in again.')
      : new AppError(ErrorCode.UNAUTHENTICATED, 'This staff session has ended; sign in again.');
  }
  const { subject, name, role } = check.session;
  return { kind: 'staff', keyId: `sso:${subject}`, name, role, via: 'sso' };
}

/** Throws 401/403 unless `principal` may use a route of `access` on `applicationNo` (the route's, if it has one). */
export function authorize(principal: Principal | undefined, access: Access, applicationNo?: string): void {
  if (access === 'public' || access === 'webhook') return;
  if (!principal) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Sign in first: a student session, a staff session or a staff API key is required.');
  const ownRegistration = principal.kind === 'student' && (applicationNo === undefined || principal.applicationNo === applicationNo);
  switch (access) {
    case 'student':
      if (principal.kind !== 'student') throw forbidden('Only the student can do this.');
      if (!ownRegistration) throw forbidden('This is not your registration.');
      // The form's consent and declining the offer are the student's alone: not from a session staff made.
      if (principal.staffCaused) throw forbidden('Only the student can do this: this session was opened with staff credentials.');
      return;
    case 'ownerOrStaff':
      if (principal.kind === 'staff' || ownRegistration) return;
      throw forbidden('This is not your registration.');
    case 'staff':
      if (principal.kind !== 'staff') throw forbidden('Registry staff only.');
      return;
    case 'admin':
      if (principal.kind !== 'staff') throw forbidden('Registry staff only.');
      if (principal.role !== 'admin') throw forbidden('Admin role required.');
      return;
  }
}
