/**
 * Single sign-on through the university's identity provider (OpenID Connect):
 * staff at GET /auth/staff/sign-in, activated students at GET
 * /auth/student/sign-in, both coming back to GET /auth/callback. The gateway
 * holds no passwords: the provider says who it is, the role claim says whether
 * a staff member is an officer or an admin, and a student's university account
 * (the student claim) says which registration is theirs. Problems land on the
 * pages with `?error=<code>`, which say what happened in the portal's own words.
 * Without a configured provider these routes answer 404 and staff use API keys.
 */
import { Router, type Request, type Response } from 'express';
import type { OidcSettings } from '../../config';
import { createOidcClient, SignInFailed, staffRoleFrom, studentAccountFrom, type SignInPurpose } from '../auth/oidc';
import { clearStaffSessionCookie, endStaffSession, setStaffSessionCookie, staffSessionCookie, startStaffSession } from '../auth/staff-sessions';
import { clearSessionCookie, setSessionCookie, signSession } from '../auth/student-session';
import type { RouterContext } from '../context';
import { AppError, ErrorCode } from '../errors';
import { countAsFailure } from '../rate-limit';
import { route, SENT } from '../route';

/** The codes the pages explain (src/portal/client/staff/sign-in.ts, student/signed-out.ts). */
const SSO_ERRORS = {
  /** The provider vouched for the person, but the role claim names no registry role. */
  noRole: 'SSO_NO_ROLE',
  /** No registration holds this university account (not activated yet, or another account). */
  notActivated: 'SSO_NOT_ACTIVATED',
  /** State, nonce or PKCE did not match, the sign-in took too long, or the provider refused. */
  failed: 'SSO_FAILED',
} as const;

const HOME: Record<SignInPurpose, string> = { staff: '/staff/', student: '/portal/' };

const redirectDoc = { responseContent: {}, responseDescription: 'Redirect (303).' } as const;

export function ssoRouter({ kit, config, limits, prisma, logger }: RouterContext): Router {
  const router = Router();
  const settings: OidcSettings | undefined = config.oidc;
  const client = settings ? createOidcClient(settings, config) : undefined;
  const disabled = () => new AppError(ErrorCode.NOT_FOUND, 'Single sign-on is not configured on this server; staff use API keys.');

  /**
   * The transaction cookie must be set on the host the provider will send the browser back to, so a
   * sign-in started under another name for this gateway (127.0.0.1 for localhost) first moves there.
   */
  const onRedirectHost = (req: Request, res: Response): boolean => {
    const target = new URL(settings!.redirectUrl);
    if (req.headers.host === target.host) return true;
    res.redirect(303, new URL(req.originalUrl, target.origin).toString());
    return false;
  };

  const beginFor =
    (purpose: SignInPurpose) =>
    async ({ req, res }: { req: Request; res: Response }): Promise<typeof SENT> => {
      if (!client) throw disabled();
      if (!onRedirectHost(req, res)) return SENT;
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(303, await client.begin(res, purpose));
      return SENT;
    };

  const beginDoc = {
    method: 'get' as const,
    tags: ['session'],
    description:
      '303 to the identity provider (authorization code flow with PKCE); it sends the browser back to /auth/callback. 404 when single sign-on is not configured.',
    access: 'public' as const,
    ...redirectDoc,
    errors: [ErrorCode.NOT_FOUND],
  };
  route(kit, router, { ...beginDoc, path: '/auth/staff/sign-in', summary: 'Staff sign-in through the identity provider (OpenID Connect)' }, beginFor('staff'));
  route(kit, router, { ...beginDoc, path: '/auth/student/sign-in', summary: 'Activated student: sign in with the university account' }, beginFor('student'));

  /** Failed sign-in: counted by the sign-in rate limit, and the page says why. */
  const refuse = (res: Response, purpose: SignInPurpose, code: string): typeof SENT => {
    countAsFailure(res);
    res.redirect(303, `${HOME[purpose]}?error=${code}`);
    return SENT;
  };

  const signInStaff = async (res: Response, claims: Record<string, unknown>): Promise<typeof SENT> => {
    const role = staffRoleFrom(claims, settings!);
    const subject = String(claims.sub);
    const name = typeof claims.email === 'string' && claims.email ? claims.email : subject;
    if (!role) {
      logger.warn({ subject, name, roleClaim: settings!.roleClaim }, 'staff sign-in refused: no registry role in the role claim');
      return refuse(res, 'staff', SSO_ERRORS.noRole);
    }
    const session = await startStaffSession(prisma, config, { subject, name, role });
    setStaffSessionCookie(res, config, session.token, session.expiresAt);
    // One identity per browser: a student session left in it would be confusing, not useful.
    clearSessionCookie(res, config);
    logger.info({ subject, name, role }, 'staff signed in');
    res.redirect(303, HOME.staff);
    return SENT;
  };

  const signInStudent = async (res: Response, claims: Record<string, unknown>): Promise<typeof SENT> => {
    const account = studentAccountFrom(claims, settings!);
    const registration = account ? await prisma.registration.findUnique({ where: { universityEmail: account }, select: { applicationNo: true } }) : null;
    if (!registration) {
      logger.info({ subject: claims.sub, studentClaim: settings!.studentClaim }, 'student sign-in: no registration holds this account');
      return refuse(res, 'student', SSO_ERRORS.notActivated);
    }
    const session = await signSession(config, registration.applicationNo);
    setSessionCookie(res, config, session.token, session.expiresAt);
    clearStaffSessionCookie(res, config);
    res.redirect(303, HOME.student);
    return SENT;
  };

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/auth/callback',
      tags: ['session'],
      summary: 'Where the identity provider sends the browser back (redirect URI)',
      description:
        'Checks state, nonce and the PKCE verifier against the sign-in this browser started, redeems the code and reads the ID token. ' +
        `Staff: 303 to ${HOME.staff} with the \`progreg_staff\` session cookie, or to ${HOME.staff}?error=${SSO_ERRORS.noRole} when the role claim maps to no role. ` +
        `Students: 303 to ${HOME.student} with the student session, or ?error=${SSO_ERRORS.notActivated} when no registration holds the account. ` +
        `Anything else (forged state, an expired sign-in, the provider refusing): 303 to the page of who was signing in (staff when unknown) with ?error=${SSO_ERRORS.failed}. Failures count toward the sign-in rate limit.`,
      access: 'public',
      ...redirectDoc,
      errors: [ErrorCode.NOT_FOUND, ErrorCode.RATE_LIMITED],
      before: [limits.auth],
    },
    async ({ req, res }) => {
      if (!client) throw disabled();
      res.setHeader('Cache-Control', 'no-store');
      let result;
      try {
        result = await client.finish(req, res);
      } catch (e) {
        if (!(e instanceof SignInFailed)) throw e;
        logger.warn({ err: e }, 'single sign-on refused');
        // Without a readable transaction, who was signing in is unknown: the staff page offers both ways in.
        return refuse(res, e.purpose ?? 'staff', SSO_ERRORS.failed);
      }
      return result.purpose === 'staff' ? signInStaff(res, result.claims) : signInStudent(res, result.claims);
    },
  );

  route(
    kit,
    router,
    {
      method: 'delete',
      path: '/api/staff/session',
      tags: ['staff'],
      summary: 'Staff sign-out: ends this single sign-on session on the server and clears its cookie',
      description: "The identity provider's own session is not ended; the next sign-in may not ask for a password again.",
      access: 'public',
      status: 204,
    },
    async ({ req, res }) => {
      const token = staffSessionCookie(req, config);
      if (token) await endStaffSession(prisma, token);
      clearStaffSessionCookie(res, config);
    },
  );

  return router;
}
