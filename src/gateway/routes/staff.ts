/**
 * Staff: who is signed in (GET /api/staff/me, the staff pages' sign-in check), and the API keys (admin): create
 * (the key is shown once), list, revoke; the CLI `npm run staff-key` does the same. Single sign-on is sso.ts.
 */
import { Router } from 'express';
import { z } from 'zod';
import { STAFF_ROLES } from '../auth/principal';
import { createStaffKey, listStaffKeys, revokeStaffKey, type StaffKeyInfo } from '../auth/staff-keys';
import type { RouterContext } from '../context';
import { AppError, ErrorCode } from '../errors';
import { route } from '../route';
import { filledText } from '../../text';

const StaffKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(STAFF_ROLES),
    prefix: z.string().meta({ description: 'First characters of the key, to tell keys apart.' }),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'StaffKey' });

const StaffIdentitySchema = z.object({ keyId: z.string(), name: z.string(), role: z.enum(STAFF_ROLES) }).meta({ id: 'StaffIdentity' });

const out = (k: StaffKeyInfo) => ({ ...k, createdAt: k.createdAt.toISOString(), revokedAt: k.revokedAt?.toISOString() ?? null });

export function staffRouter({ kit, prisma, logger, limits }: RouterContext): Router {
  const router = Router();

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/staff/me',
      tags: ['staff'],
      summary: "Who is signed in: the API key's owner or the single sign-on session's person (staff sign-in check)",
      description: "keyId is the API key's id, or `sso:<subject>` for a single sign-on session.",
      access: 'staff',
      response: StaffIdentitySchema,
      errors: [ErrorCode.RATE_LIMITED],
      before: [limits.auth],
    },
    async ({ principal }) => {
      if (principal.kind !== 'staff') throw new AppError(ErrorCode.FORBIDDEN, 'Registry staff only.');
      return { keyId: principal.keyId, name: principal.name, role: principal.role };
    },
  );

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/staff/keys',
      tags: ['staff'],
      summary: 'List staff API keys (admin)',
      access: 'admin',
      response: z.object({ items: z.array(StaffKeySchema) }),
    },
    async () => ({ items: (await listStaffKeys(prisma)).map(out) }),
  );

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/staff/keys',
      tags: ['staff'],
      summary: 'Create a staff API key (admin); the key is in this answer only',
      access: 'admin',
      body: z.strictObject({ name: filledText().max(100), role: z.enum(STAFF_ROLES) }),
      status: 201,
      response: StaffKeySchema.extend({ key: z.string() }).meta({ id: 'NewStaffKey' }),
    },
    async ({ body, principal }) => {
      const key = await createStaffKey(prisma, body);
      logger.info({ actor: principal.kind === 'staff' ? principal.name : undefined, keyId: key.id, name: key.name, role: key.role }, 'staff key created');
      return { ...out(key), key: key.key };
    },
  );

  route(
    kit,
    router,
    {
      method: 'delete',
      path: '/api/staff/keys/:id',
      tags: ['staff'],
      summary: 'Revoke a staff API key (admin)',
      access: 'admin',
      params: z.object({ id: z.uuid() }),
      response: StaffKeySchema,
      errors: [ErrorCode.NOT_FOUND],
    },
    async ({ params, principal }) => {
      const key = await revokeStaffKey(prisma, params.id);
      if (!key) throw new AppError(ErrorCode.NOT_FOUND, 'No such key.');
      logger.info({ actor: principal.kind === 'staff' ? principal.name : undefined, keyId: key.id }, 'staff key revoked');
      return out(key);
    },
  );

  return router;
}
