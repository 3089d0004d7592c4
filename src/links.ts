/**
 * Invitation links: the two links of the invitation email, each carrying a
 * signed, expiring token of its own (HS256 with TOKEN_SECRET, sub = application
 * number), told apart by audience. The email activity builds them; the gateway
 * verifies the token when the student opens a link.
 *
 * - registrationUrl: `<PUBLIC_BASE_URL>/invite?token=…`. The gateway exchanges
 *   the token for a session cookie and redirects to the student portal.
 * - activationUrl: the identity provider's activation page with `?token=…`
 *   (IDP_ACTIVATION_URL), aud = 'account-activation', valid ACTIVATION_LINK_TTL_HOURS. The provider's logs and
 *   Referer headers see this token, so it signs no one in: `/invite` and the
 *   session exchange refuse it. Without a real identity provider the gateway
 *   serves a simulator at `/idp/activate`, which accepts only this token and
 *   activates the account by sending the same signed webhook a real one would.
 */
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Config } from './config';

export const INVITE_AUDIENCE = 'student-invite';
const ACTIVATION_AUDIENCE = 'account-activation';
export const ISSUER = 'progreg';

type TokenConfig = Pick<Config, 'TOKEN_SECRET'>;
type LinkConfig = TokenConfig & Pick<Config, 'INVITATION_TTL_DAYS' | 'ACTIVATION_LINK_TTL_HOURS' | 'IDP_ACTIVATION_URL' | 'publicBaseUrl'>;

export const tokenKey = (config: TokenConfig): Uint8Array => new TextEncoder().encode(config.TOKEN_SECRET);

/**
 * Issue time in milliseconds: revocation (src/gateway/auth/access.ts) refuses tokens issued
 * before an instant, and JWT's `iat` has only seconds, too coarse for a sign-out followed at once
 * by a new sign-in.
 */
const ISSUED_AT_MS_CLAIM = 'iatMs';
export const issuedAtClaim = () => ({ [ISSUED_AT_MS_CLAIM]: Date.now() });

/**
 * A sign-in link lasts as long as the registration can change (docs/domain.md): until `validUntil`
 * (the latest deadline plus the resubmission window, which the workflow knows), and never less than
 * INVITATION_TTL_DAYS from now, so a link sent to a student who still owes items after that stays usable.
 */
function invitationExpiry(config: Pick<Config, 'INVITATION_TTL_DAYS'>, validUntil?: Date, now = Date.now()): Date {
  const floor = now + config.INVITATION_TTL_DAYS * 24 * 3600_000;
  return new Date(Math.max(floor, validUntil?.getTime() ?? 0));
}

export const signInvitationToken = (config: TokenConfig & Pick<Config, 'INVITATION_TTL_DAYS'>, applicationNo: string, validUntil?: Date) =>
  signLinkToken(config, INVITE_AUDIENCE, applicationNo, invitationExpiry(config, validUntil));

/**
 * The activation link's token: it only names the student to the identity provider, whose logs and Referer
 * headers see it, so it lasts ACTIVATION_LINK_TTL_HOURS from when its email is sent, not as long as the sign-in
 * link. A student who opens it later asks for a new link: the sign-in-link email carries a fresh one while the
 * account is not activated (docs/gateway.md, Invitation links).
 */
export const signActivationToken = (config: TokenConfig & Pick<Config, 'ACTIVATION_LINK_TTL_HOURS'>, applicationNo: string, now = Date.now()) =>
  signLinkToken(config, ACTIVATION_AUDIENCE, applicationNo, new Date(now + config.ACTIVATION_LINK_TTL_HOURS * 3600_000));

async function signLinkToken(config: TokenConfig, audience: string, applicationNo: string, expiresAt: Date): Promise<string> {
  return new SignJWT(issuedAtClaim())
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setSubject(applicationNo)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(tokenKey(config));
}

export class TokenError extends Error {
  constructor(
    readonly reason: 'expired' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface VerifiedToken {
  applicationNo: string;
  issuedAtMs: number;
}

/** The application number a token of `audience` was issued for; TokenError when forged, for another audience, or expired. */
async function verifyToken(config: TokenConfig, token: string, audience: string): Promise<string> {
  return (await verifyTokenClaims(config, token, audience)).applicationNo;
}

/** As verifyToken, with the issue time (for revocation checks). */
export async function verifyTokenClaims(config: TokenConfig, token: string, audience: string): Promise<VerifiedToken> {
  try {
    const { payload } = await jwtVerify(token, tokenKey(config), { issuer: ISSUER, audience, algorithms: ['HS256'] });
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new TokenError('invalid', 'token has no subject');
    const ms = payload[ISSUED_AT_MS_CLAIM];
    const issuedAtMs = typeof ms === 'number' ? ms : (payload.iat ?? 0) * 1000;
    return { applicationNo: payload.sub, issuedAtMs };
  } catch (e) {
    if (e instanceof TokenError) throw e;
    if (e instanceof joseErrors.JWTExpired) throw new TokenError('expired', 'the link has expired');
    throw new TokenError('invalid', 'the token is not valid');
  }
}

export const verifyInvitationToken = (config: TokenConfig, token: string) => verifyToken(config, token, INVITE_AUDIENCE);
export const verifyActivationToken = (config: TokenConfig, token: string) => verifyToken(config, token, ACTIVATION_AUDIENCE);

/** The simulator's path, used when no IDP_ACTIVATION_URL is configured. */
export const IDP_SIMULATOR_PATH = '/idp/activate';
export const INVITE_PATH = '/invite';

export async function invitationLinks(
  config: LinkConfig,
  applicationNo: string,
  validUntil?: Date,
): Promise<{ activationUrl: string; registrationUrl: string }> {
  const withToken = (base: string, token: string) => {
    const u = new URL(base);
    u.searchParams.set('token', token);
    return u.toString();
  };
  return {
    activationUrl: withToken(
      config.IDP_ACTIVATION_URL ?? new URL(IDP_SIMULATOR_PATH, config.publicBaseUrl).toString(),
      await signActivationToken(config, applicationNo),
    ),
    registrationUrl: withToken(new URL(INVITE_PATH, config.publicBaseUrl).toString(), await signInvitationToken(config, applicationNo, validUntil)),
  };
}
