/**
 * Signing in. A student exchanges the invitation token for a session scoped to
 * their registration (POST /api/session, or by simply opening the link:
 * GET /invite sets the cookie and redirects to the portal). A link for another
 * student than the one signed in asks first (login CSRF: a link someone sent
 * must not silently swap the account). A student whose link no longer works
 * asks for a new one (POST /api/session/link). Signing out ends the student's
 * sessions on the server; staff can revoke a student's links and sessions.
 * (Staff sign in with single sign-on, sso.ts, or an API key, staff.ts.)
 */
import crypto from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { INVITE_AUDIENCE, INVITE_PATH, verifyTokenClaims } from '../../links';
import { text } from '../../text';
import { endSessions, linkStillValid, revokeAccess } from '../auth/access';
import { tokenFailure } from '../auth/authenticate';
import { actorOf, type Principal } from '../auth/principal';
import { clearSessionCookie, setSessionCookie, signSession } from '../auth/student-session';
import type { RouterContext } from '../context';
import { accessRevokedSignal, signInLinkRequestedSignal } from '../../../workflows/registration/api';
import { AppError, ErrorCode } from '../errors';
import { IdempotencyHeaders, updateIdFor } from '../idempotency';
import { countAsFailure } from '../rate-limit';
import { route, SENT } from '../route';
import { RegistrationParams, TypedApplicationNo } from '../schemas';
import { isOpen } from '../../../workflows/registration/vocabulary';

/** The one answer to every sign-in link request, so nobody can learn from it who is registered. */
export const SIGN_IN_LINK_ACCEPTED = 'If these details match an open registration, a new sign-in link is on its way to the personal email on record.';

const SessionSchema = z
  .object({
    applicationNo: z.string(),
    expiresAt: z.string().meta({ description: 'ISO instant the session ends' }),
    token: z.string().optional().meta({ description: 'The session as a bearer token, for API clients (browsers use the cookie).' }),
  })
  .meta({ id: 'StudentSession' });

const RevokedAccessSchema = z
  .object({
    applicationNo: z.string(),
    revokedAt: z.string().meta({ description: 'Links and sessions issued before this instant no longer work.' }),
    revokedBy: z.string(),
    linkEmailed: z.boolean().meta({
      description: "A fresh link is on its way to the student's personal email on record (false once the registration is closed). Staff never receive a link.",
    }),
  })
  .meta({ id: 'RevokedAccess' });

const InviteToken = text().min(1).max(4096);

/** Where the student portal lives; the invitation link lands there signed in. */
const PORTAL_HOME = '/portal/';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A small server-rendered page with a form: no script (the CSP allows none inline). */
function askPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1d232b}
.box{border:1px solid #ccd3db;border-radius:8px;padding:1.5rem}button,.button{margin:1rem .5rem 0 0;border-radius:4px;padding:.6rem 1.2rem;font-size:1rem;text-decoration:none;display:inline-block}
button{background:#003366;color:#fff;border:0}.button{border:1px solid #003366;color:#003366}</style></head>
<body><main class="box"><h1>${esc(title)}</h1>
${body}
</main></body></html>`;
}

/** The form that signs in with the link: a same-origin POST, which a page elsewhere cannot make (same-origin.ts). */
const signInForm = (token: string, button: string, other: string) =>
  `<form method="post" action="${INVITE_PATH}"><input type="hidden" name="token" value="${esc(token)}">
<button type="submit">${esc(button)}</button>${other}</form>`;

/** "You are signed in as A; this link is for B." Switching is the form's POST. */
const switchAccountPage = (current: string, invited: string, token: string) =>
  askPage(
    'Switch registration?',
    `<p>You are signed in for application <strong>${esc(current)}</strong>. The link you opened is for application <strong>${esc(invited)}</strong>.</p>
<p>Only continue if <strong>${esc(invited)}</strong> is your own application: if someone sent you this link, stay signed in as you are.</p>
${signInForm(token, `Continue as ${invited}`, `<a class="button" href="${PORTAL_HOME}">Stay as ${esc(current)}</a>`)}`,
  );

/**
 * A signed-out browser that arrives from elsewhere: "Sign in as the student with application number B?" (login
 * CSRF: a page elsewhere must not sign a visitor in to someone else's registration unasked). It names nothing
 * but the application number, which the link's holder can read in the token anyway.
 */
const confirmSignInPage = (invited: string, token: string) =>
  askPage(
    'Sign in to program registration?',
    `<p>This link signs you in as the student with application number <strong>${esc(invited)}</strong>.</p>
<p>Continue if it is yours, from your invitation or sign-in email. If someone else sent it to you, do not continue.</p>
${signInForm(token, `Sign in as ${invited}`, '')}`,
  );

/**
 * Whether the browser came to the link from anywhere but a page of this portal: another site or a sibling origin
 * (`cross-site`, `same-site`), or no page at all (`none`: typed, a bookmark, or a mail program opening the browser).
 * Without the header (not a current browser) the link signs in as before. docs/gateway.md, Invitation links.
 */
const arrivedFromElsewhere = (req: Request): boolean => {
  const site = req.get('sec-fetch-site');
  return site !== undefined && site !== 'same-origin';
};

export function sessionRouter({ kit, config, limits, prisma, registrations, logger }: RouterContext): Router {
  const router = Router();

  /** The student an invitation token is for, if it is genuine, unexpired and not revoked. */
  const invited = async (token: string): Promise<string> => {
    let claims;
    try {
      claims = await verifyTokenClaims(config, token, INVITE_AUDIENCE);
    } catch (e) {
      throw tokenFailure(e);
    }
    if (!(await linkStillValid(prisma, claims.applicationNo, claims.issuedAtMs))) {
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'This link was revoked; ask the Academic Registry for a new one.');
    }
    return claims.applicationNo;
  };

  /**
   * A sign-in made by a request that carries staff credentials (an API key, a staff session cookie) gives a
   * session marked with that staff member: it may look, never act as the student (docs/gateway.md, Revocation).
   */
  const signIn = async (res: Response, applicationNo: string, by: Principal | undefined) => {
    const session = await signSession(config, applicationNo, by?.kind === 'staff' ? actorOf(by) : undefined);
    setSessionCookie(res, config, session.token, session.expiresAt);
    return { applicationNo, ...session };
  };

  /** Failed link: counted by the sign-in rate limit (the answer is a redirect whatever happens), and the portal says why. */
  const linkFailed = (res: Response, e: unknown): typeof SENT => {
    if (!(e instanceof AppError)) throw e;
    countAsFailure(res);
    res.redirect(303, `${PORTAL_HOME}?error=${e.code}`);
    return SENT;
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
      body: z.strictObject({ token: InviteToken }),
      response: SessionSchema,
      errors: [ErrorCode.UNAUTHENTICATED, ErrorCode.TOKEN_EXPIRED, ErrorCode.RATE_LIMITED],
      before: [limits.auth],
    },
    async ({ body, res, principal }) => {
      const s = await signIn(res, await invited(body.token), principal);
      return { applicationNo: s.applicationNo, expiresAt: s.expiresAt.toISOString(), token: s.token };
    },
  );

  /** Emails a fresh link through the registration workflow when the details match an open registration; otherwise nothing. */
  const sendSignInLink = async (applicationNo: string, personalEmail: string, requestId: string) => {
    // The workflow, not the read model: a registration imported a moment ago may not be projected yet.
    const r = await registrations.status(applicationNo).catch(() => undefined);
    if (!r || r.student.personalEmail.toLowerCase() !== personalEmail || !isOpen(r.status)) return;
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
      body: z.strictObject({ applicationNo: TypedApplicationNo, personalEmail: text().trim().toLowerCase().max(320) }),
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
      description:
        `303 to ${PORTAL_HOME} with the session cookie set; with a bad, expired or revoked token, 303 to ${PORTAL_HOME}?error=<code> (counted by the sign-in rate limit). ` +
        'When a session for another student is already open, 200 with a page that asks before switching; when the browser is signed out and arrived ' +
        'from anywhere but this portal (`Sec-Fetch-Site` other than `same-origin`), 200 with a page that asks before signing in. Both pages POST to this path.',
      access: 'public',
      query: z.object({ token: InviteToken }),
      responseContent: { 'text/html': { schema: z.string() } },
      responseDescription: 'Redirect (303) to the portal, or the page asking before signing in or switching accounts.',
      errors: [ErrorCode.RATE_LIMITED],
      before: [limits.auth],
    },
    async ({ query, req, res, principal }) => {
      let applicationNo: string;
      try {
        applicationNo = await invited(query.token);
      } catch (e) {
        return linkFailed(res, e);
      }
      const ask = (page: string): typeof SENT => {
        res.setHeader('Cache-Control', 'no-store');
        res.status(200).type('html').send(page);
        return SENT;
      };
      if (principal?.kind === 'student' && principal.applicationNo !== applicationNo) {
        return ask(switchAccountPage(principal.applicationNo, applicationNo, query.token));
      }
      if (principal === undefined && arrivedFromElsewhere(req)) return ask(confirmSignInPage(applicationNo, query.token));
      await signIn(res, applicationNo, principal);
      res.redirect(303, PORTAL_HOME);
      return SENT;
    },
  );

  route(
    kit,
    router,
    {
      method: 'post',
      path: INVITE_PATH,
      tags: ['session'],
      summary: 'Sign in with an invitation link after confirming (the form of the pages GET /invite asks with)',
      description: `Same-origin form posts only (Origin / Sec-Fetch-Site checked). 303 to ${PORTAL_HOME}, or to ${PORTAL_HOME}?error=<code>.`,
      access: 'public',
      rawBody: { content: { 'application/x-www-form-urlencoded': { schema: z.object({ token: z.string() }) } } },
      responseContent: {},
      responseDescription: 'Redirect (303) to the portal.',
      errors: [ErrorCode.RATE_LIMITED, ErrorCode.FORBIDDEN],
      before: [limits.auth, express.urlencoded({ extended: false, limit: '10kb' })],
    },
    async ({ req, res, principal }) => {
      const form = z.object({ token: InviteToken }).safeParse(req.body);
      try {
        if (!form.success) throw new AppError(ErrorCode.UNAUTHENTICATED, 'The form carries no valid token.');
        await signIn(res, await invited(form.data.token), principal);
      } catch (e) {
        return linkFailed(res, e);
      }
      res.redirect(303, PORTAL_HOME);
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
      summary: "Sign out: ends the student's sessions on the server (every device) and clears the cookie",
      description: 'The invitation link still signs the student in again afterwards.',
      access: 'public',
      status: 204,
    },
    async ({ res, principal }) => {
      if (principal?.kind === 'student') await endSessions(prisma, principal.applicationNo);
      clearSessionCookie(res, config);
    },
  );

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/registrations/:applicationNo/revoke-access',
      tags: ['session'],
      summary: "Revoke a student's invitation links and sessions (staff)",
      description:
        'For a forwarded invitation email or a lost device: every link and session of this student issued until now stops working at once. ' +
        'The registration workflow records the revocation in the audit trail (ACCESS_REVOKED, with the staff actor) and emails a fresh link to the ' +
        "student's personal email on record; the answer never carries a link. With the same Idempotency-Key, a retry emails nothing more.",
      access: 'staff',
      params: RegistrationParams,
      headers: IdempotencyHeaders,
      body: z.strictObject({ reason: text({ multiline: true }).trim().max(1000).optional() }),
      response: RevokedAccessSchema,
      errors: [ErrorCode.REGISTRATION_NOT_FOUND, ErrorCode.WORKFLOW_UNAVAILABLE],
    },
    async ({ params, body, principal, req }) => {
      const known = await prisma.registration.findUnique({ where: { applicationNo: params.applicationNo }, select: { applicationNo: true } });
      if (!known) throw new AppError(ErrorCode.REGISTRATION_NOT_FOUND, 'No such registration.');
      const actor = actorOf(principal);
      // The cutoff first: the link the workflow then emails is issued after it, so it works and every older one does not.
      const revokedAt = await revokeAccess(prisma, params.applicationNo, actor);
      const requestId = updateIdFor(req, 'revokeAccess', actor) ?? crypto.randomUUID();
      let linkEmailed = true;
      try {
        await registrations.signal(params.applicationNo, accessRevokedSignal, {
          actor,
          requestId,
          revokedAt: revokedAt.toISOString(),
          ...(body.reason ? { reason: body.reason } : {}),
        });
      } catch (e) {
        // A closed registration's workflow has ended: the access is cut off, and there is nothing left to sign in for.
        if (!(e instanceof AppError && e.code === ErrorCode.INVALID_TRANSITION)) throw e;
        linkEmailed = false;
      }
      logger.info({ applicationNo: params.applicationNo, actor, reason: body.reason, linkEmailed }, 'student access revoked');
      return { applicationNo: params.applicationNo, revokedAt: revokedAt.toISOString(), revokedBy: actor, linkEmailed };
    },
  );

  return router;
}
