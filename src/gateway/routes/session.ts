/**
 * Signing in. A student exchanges the invitation token for a session scoped to
 * their registration (POST /api/session, or by simply opening the link:
 * GET /invite sets the cookie and redirects to the portal). Staff check their
 * API key with GET /api/staff/me.
 */
import { Router } from 'express';
import { z } from 'zod';
import { INVITE_PATH, verifyInvitationToken } from '../../links';
import { tokenFailure } from '../auth/authenticate';
import { STAFF_ROLES } from '../auth/principal';
import { clearSessionCookie, setSessionCookie, signSession } from '../auth/student-session';
import type { RouterContext } from '../context';
import { AppError, ErrorCode } from '../errors';
import { route, SENT } from '../route';

const SessionSchema = z
  .object({
    applicationNo: z.string(),
    expiresAt: z.string().meta({ description: 'ISO instant the session ends' }),
    token: z.string().optional().meta({ description: 'The session as a bearer token, for API clients (browsers use the cookie).' }),
  })
  .meta({ id: 'StudentSession' });

const StaffIdentitySchema = z.object({ keyId: z.string(), name: z.string(), role: z.enum(STAFF_ROLES) }).meta({ id: 'StaffIdentity' });

/** Where the student portal lives; the invitation link lands there signed in. */
const PORTAL_HOME = '/portal/';

export function sessionRouter({ kit, config, limits }: RouterContext): Router {
  const router = Router();

  const exchange = async (token: string) => {
    let applicationNo: string;
    try {
      applicationNo = await verifyInvitationToken(config, token);
    } catch (e) {
      throw tokenFailure(e);
    }
    return { applicationNo, ...(await signSession(config, applicationNo)) };
  };

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/session',
      tags: ['session'],
      summary: 'Exchange an invitation token for a student session',
      description: 'Sets the HttpOnly `progreg_session` cookie and also returns the session as a bearer token.',
      access: 'public',
      body: z.object({ token: z.string().min(1).max(4096) }),
      response: SessionSchema,
      errors: [ErrorCode.UNAUTHENTICATED, ErrorCode.TOKEN_EXPIRED, ErrorCode.RATE_LIMITED],
      before: [limits.auth],
    },
    async ({ body, res }) => {
      const s = await exchange(body.token);
      setSessionCookie(res, config, s.token, s.expiresAt);
      return { applicationNo: s.applicationNo, expiresAt: s.expiresAt.toISOString(), token: s.token };
    },
  );

  route(
    kit,
    router,
    {
      method: 'get',
      path: INVITE_PATH,
      tags: ['session'],
      summary: 'Open the invitation link: sign in and go to the portal',
      description: `303 to ${PORTAL_HOME} with the session cookie set; with a bad or expired token, 303 to ${PORTAL_HOME}?error=<code>.`,
      access: 'public',
      query: z.object({ token: z.string().min(1).max(4096) }),
      responseContent: {},
      responseDescription: 'Redirect (303) to the portal.',
      errors: [ErrorCode.RATE_LIMITED],
      before: [limits.auth],
    },
    async ({ query, res }) => {
      try {
        const s = await exchange(query.token);
        setSessionCookie(res, config, s.token, s.expiresAt);
        res.redirect(303, PORTAL_HOME);
      } catch (e) {
        const code = e instanceof AppError ? e.code : ErrorCode.INTERNAL;
        res.redirect(303, `${PORTAL_HOME}?error=${code}`);
      }
      return SENT;
    },
  );

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/session',
      tags: ['session'],
      summary: 'The current student session',
      access: 'student',
      response: SessionSchema.omit({ token: true }).partial({ expiresAt: true }),
    },
    async ({ principal }) => {
      if (principal.kind !== 'student') throw new AppError(ErrorCode.FORBIDDEN, 'Not a student session.');
      return { applicationNo: principal.applicationNo };
    },
  );

  route(
    kit,
    router,
    {
      method: 'delete',
      path: '/api/session',
      tags: ['session'],
      summary: 'Sign out (clears the session cookie)',
      access: 'public',
      status: 204,
    },
    async ({ res }) => {
      clearSessionCookie(res);
    },
  );

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/staff/me',
      tags: ['staff'],
      summary: 'Who this API key belongs to (staff sign-in check)',
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

  return router;
}
