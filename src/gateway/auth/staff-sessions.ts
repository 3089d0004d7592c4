/**
 * Staff single sign-on sessions. After the identity provider vouches for a
 * staff member, the gateway keeps a StaffSession row (this module is its only
 * writer) and gives the browser a random token in the HttpOnly `progreg_staff`
 * cookie. Every request is checked against the row, so signing out ends the
 * session on the server at once, and an expired row is refused even if a
 * browser keeps the cookie. Only the token's sha256 is stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Config } from '../../config';
import type { PrismaClient } from '../../db/prisma';
import { cookieName, cookieOptions, readCookie } from './cookies';
import type { StaffRole } from './principal';

/** The cookie's name: `progreg_staff`, with the `__Host-` prefix over https (cookieName). */
export const STAFF_SESSION_COOKIE = 'progreg_staff';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface StaffSessionInfo {
  subject: string;
  name: string;
  role: StaffRole;
  expiresAt: Date;
}

export type StaffSessionCheck = { ok: true; session: StaffSessionInfo } | { ok: false; reason: 'unknown' | 'ended' | 'expired' };

export async function startStaffSession(
  prisma: PrismaClient,
  config: Pick<Config, 'STAFF_SESSION_TTL_HOURS'>,
  who: { subject: string; name: string; role: StaffRole },
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + config.STAFF_SESSION_TTL_HOURS * 3600_000);
  await prisma.staffSession.create({ data: { tokenHash: hashToken(token), ...who, expiresAt } });
  return { token, expiresAt };
}

export async function checkStaffSession(prisma: PrismaClient, token: string, now = Date.now()): Promise<StaffSessionCheck> {
  const row = await prisma.staffSession.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.endedAt) return { ok: false, reason: 'ended' };
  if (row.expiresAt.getTime() <= now) return { ok: false, reason: 'expired' };
  return { ok: true, session: { subject: row.subject, name: row.name, role: row.role as StaffRole, expiresAt: row.expiresAt } };
}

/** Sign-out: this session ends (other devices keep theirs). */
export async function endStaffSession(prisma: PrismaClient, token: string): Promise<void> {
  await prisma.staffSession.updateMany({ where: { tokenHash: hashToken(token), endedAt: null }, data: { endedAt: new Date() } });
}

export function setStaffSessionCookie(res: Response, config: Pick<Config, 'publicBaseUrl'>, token: string, expiresAt: Date): void {
  res.cookie(cookieName(config, STAFF_SESSION_COOKIE), token, { ...cookieOptions(config), expires: expiresAt });
}

export function clearStaffSessionCookie(res: Response, config: Pick<Config, 'publicBaseUrl'>): void {
  res.clearCookie(cookieName(config, STAFF_SESSION_COOKIE), cookieOptions(config));
}

export const staffSessionCookie = (req: Request, config: Pick<Config, 'publicBaseUrl'>): string | undefined =>
  readCookie(req, cookieName(config, STAFF_SESSION_COOKIE));
