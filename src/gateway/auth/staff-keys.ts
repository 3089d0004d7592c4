/**
 * Staff API keys. A key is shown once, at creation; only its sha256 is stored,
 * with a short prefix so people can tell their keys apart. Keys look like
 * `pgk_<prefix>_<secret>` so the gateway can tell them from student sessions.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from '../../db/prisma';
import type { StaffRole } from './principal';

const STAFF_KEY_PREFIX = 'pgk_';

const hashStaffKey = (key: string) => createHash('sha256').update(key).digest('hex');
export const looksLikeStaffKey = (token: string) => token.startsWith(STAFF_KEY_PREFIX);

export interface StaffKeyInfo {
  id: string;
  name: string;
  role: StaffRole;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export async function createStaffKey(prisma: PrismaClient, input: { name: string; role: StaffRole }): Promise<StaffKeyInfo & { key: string }> {
  const prefix = randomBytes(4).toString('hex');
  const key = `${STAFF_KEY_PREFIX}${prefix}_${randomBytes(24).toString('base64url')}`;
  const row = await prisma.staffApiKey.create({
    data: { name: input.name, role: input.role, prefix, keyHash: hashStaffKey(key) },
  });
  return { ...toInfo(row), key };
}

/** The active key with this value, if any. */
export async function findStaffKey(prisma: PrismaClient, key: string): Promise<StaffKeyInfo | undefined> {
  const row = await prisma.staffApiKey.findUnique({ where: { keyHash: hashStaffKey(key) } });
  return row && !row.revokedAt ? toInfo(row) : undefined;
}

export async function listStaffKeys(prisma: PrismaClient): Promise<StaffKeyInfo[]> {
  return (await prisma.staffApiKey.findMany({ orderBy: { createdAt: 'asc' } })).map(toInfo);
}

/** Revokes a key; false when there is no such key. Revoking twice keeps the first date. */
export async function revokeStaffKey(prisma: PrismaClient, id: string): Promise<StaffKeyInfo | undefined> {
  const row = await prisma.staffApiKey.findUnique({ where: { id } });
  if (!row) return undefined;
  if (row.revokedAt) return toInfo(row);
  return toInfo(await prisma.staffApiKey.update({ where: { id }, data: { revokedAt: new Date() } }));
}

function toInfo(row: { id: string; name: string; role: string; prefix: string; createdAt: Date; revokedAt: Date | null }): StaffKeyInfo {
  return { id: row.id, name: row.name, role: row.role as StaffRole, prefix: row.prefix, createdAt: row.createdAt, revokedAt: row.revokedAt };
}
