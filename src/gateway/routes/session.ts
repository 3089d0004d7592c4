/**
 * Signing in. A student exchanges the invitation token for a session scoped to
 * their registration (POST /api/session, or by simply opening the link:
 * GET /invite sets the cookie and redirects to the portal). A student whose
 * link no longer works asks for a new one (POST /api/session/link). Staff check
 * their API key with GET /api/staff/me.
 */
import crypto from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { INVITE_PATH, verifyInvitationToken } from '../../links';
import { tokenFailure } from '../auth/authenticate';
import { STAFF_ROLES } from '../auth/principal';
import { clearSessionCookie, setSessionCookie, signSession } from '../auth/student-session';
import type { RouterContext } from '../context';
import { signInLinkRequestedSignal } from '../../../workflows/registration/api';
import { AppError, ErrorCode } from '../errors';
import { route, SENT } from '../route';
import { ApplicationNo } from '../schemas';
import { OPEN_STATUSES } from './review';

/** The one answer to every sign-in link request, so nobody can learn from it who is registered. */
export const SIGN_IN_LINK_ACCEPTED = 'If these details match an open registration, a new sign-in link is on its way to the personal email on record.';

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

export function sessionRouter({ kit, config, limits, registrations, logger }: RouterContext): Router {
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

  /** Emails a fresh link through the registration workflow when the details match an open registration; otherwise nothing. */
  const sendSignInLink = async (applicationNo: string, personalEmail: string, requestId: string) => {
    // The workflow, not the read model: a registration imported a moment ago may not be projected yet.
    const r = await registrations.status(applicationNo).catch(() => undefined);
    if (!r || r.student.personalEmail.toLowerCase() !== personalEmail || !OPEN_STATUSES.includes(r.status)) return;
    await registrations.signal(applicationNo, signInLinkRequestedSignal, { actor: 'system:gateway', requestId });
  };

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/session/link',
      tags: ['session'],
      summary: 'Email me a new sign-in link',
      description:
        'Always 202 with the same message, whether or not the details match, so nobody can probe who is registered. When they match an open registration, ' +
        'the workflow emails a fresh link (SIGN_IN_LINK) to the personal email on record, once per request (the Idempotency-Key header, if given, names the request). ' +
        'Rate limited per client address.',
      access: 'public',
      body: z.object({ applicationNo: ApplicationNo, personalEmail: z.string().trim().toLowerCase().max(320) }),
      status: 202,
      response: z.object({ message: z.string() }).meta({ id: 'SignInLinkAccepted' }),
      errors: [ErrorCode.RATE_LIMITED],
      before: [limits.signInLink],
    },
    async ({ body, req }) => {
      const key = req.get('idempotency-key');
      const requestId = key && key.length <= 200 ? `key:${key}` : crypto.randomUUID();
      // Answered before the lookup: the response and its timing say nothing about the registration.
      void sendSignInLink(body.applicationNo, body.personalEmail, requestId).catch((e: unknown) =>
        logger.warn({ err: e, applicationNo: body.applicationNo }, 'sign-in link request not delivered to the workflow'),
      );
      return { message: SIGN_IN_LINK_ACCEPTED };
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
