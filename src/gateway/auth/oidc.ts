/**
 * The gateway as an OpenID Connect client (openid-client): the authorization
 * code flow with PKCE, for staff and for activated students alike. What the
 * browser must carry from the start of a sign-in to its callback (state,
 * nonce, PKCE verifier, who is signing in) travels in a short-lived signed
 * HttpOnly cookie, so nothing is stored for sign-ins that are never finished.
 *
 * openid-client is an ES module and this package is CommonJS: it is loaded
 * with import(), once, and the provider's metadata is discovered on first use
 * (the development simulator is served by this same gateway, which must be
 * listening first).
 */
import type { Request, Response } from 'express';
import { SignJWT, jwtVerify } from 'jose';
import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import type { Config, OidcSettings } from '../../config';
import { ISSUER, tokenKey } from '../../links';
import { cookieName, cookieOptions as gatewayCookieOptions, readCookie } from './cookies';
import type { StaffRole } from './principal';

export type SignInPurpose = 'staff' | 'student';

const TRANSACTION_COOKIE = 'progreg_oidc';
const TRANSACTION_AUDIENCE = 'oidc-sign-in';
/** Time to type a password (and a second factor) at the identity provider. */
const TRANSACTION_MINUTES = 10;

type Client = typeof OpenIdClient;
let library: Promise<Client> | undefined;
const openIdClient = () => (library ??= import('openid-client'));

export interface OidcClient {
  /** Where to send the browser to sign in; sets the transaction cookie. */
  begin(res: Response, purpose: SignInPurpose): Promise<string>;
  /** The callback: checks state, nonce and PKCE, redeems the code; the ID token's claims and who was signing in. */
  finish(req: Request, res: Response): Promise<{ purpose: SignInPurpose; claims: Record<string, unknown> }>;
}

export class SignInFailed extends Error {
  /** Who was signing in, when the transaction cookie said so (the page to land on). */
  readonly purpose?: SignInPurpose;
  constructor(message: string, options?: { cause?: unknown; purpose?: SignInPurpose }) {
    super(message, options);
    this.name = 'SignInFailed';
    this.purpose = options?.purpose;
  }
}

export function createOidcClient(settings: OidcSettings, config: Pick<Config, 'TOKEN_SECRET' | 'publicBaseUrl'>): OidcClient {
  let discovered: Promise<OpenIdClient.Configuration> | undefined;
  const configuration = () => {
    discovered ??= openIdClient().then((c) =>
      c.discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret, undefined, {
        // http is refused for real providers in production (src/config/oidc.ts); the simulator and tests use it.
        execute: settings.issuer.startsWith('http:') ? [c.allowInsecureRequests] : [],
      }),
    );
    // A provider that was down is asked again at the next sign-in.
    discovered.catch(() => (discovered = undefined));
    return discovered;
  };
  // Path=/ as the `__Host-` prefix requires over https: the transaction cookie is short-lived and names no one.
  const cookieOptions = gatewayCookieOptions(config);
  const transactionCookie = cookieName(config, TRANSACTION_COOKIE);

  return {
    async begin(res, purpose) {
      const c = await openIdClient();
      const server = await configuration();
      const verifier = c.randomPKCECodeVerifier();
      const state = c.randomState();
      const nonce = c.randomNonce();
      const transaction = await new SignJWT({ state, nonce, verifier, purpose })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(ISSUER)
        .setAudience(TRANSACTION_AUDIENCE)
        .setExpirationTime(`${TRANSACTION_MINUTES}m`)
        .sign(tokenKey(config));
      res.cookie(transactionCookie, transaction, { ...cookieOptions, maxAge: TRANSACTION_MINUTES * 60_000 });
      return c
        .buildAuthorizationUrl(server, {
          redirect_uri: settings.redirectUrl,
          scope: settings.scopes,
          code_challenge: await c.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          nonce,
          // Students are asked to sign in afresh rather than inheriting a colleague's session at a shared desk.
          ...(purpose === 'student' ? { prompt: 'login' } : {}),
        })
        .toString();
    },

    async finish(req, res) {
      const cookie = readCookie(req, transactionCookie);
      // One use: whatever happens next, this transaction is spent.
      res.clearCookie(transactionCookie, cookieOptions);
      if (!cookie) throw new SignInFailed('No sign-in was started in this browser, or it took longer than 10 minutes.');
      let t: { state: string; nonce: string; verifier: string; purpose: SignInPurpose };
      try {
        ({ payload: t } = await jwtVerify<typeof t>(cookie, tokenKey(config), { issuer: ISSUER, audience: TRANSACTION_AUDIENCE, algorithms: ['HS256'] }));
      } catch (e) {
        throw new SignInFailed('The sign-in expired or its cookie was altered.', { cause: e });
      }
      const c = await openIdClient();
      const server = await configuration();
      // The URL the provider sent the browser to, on the registered redirect URL (proxies may rewrite the host we see).
      const current = new URL(req.originalUrl, settings.redirectUrl);
      let tokens;
      try {
        tokens = await c.authorizationCodeGrant(server, current, {
          pkceCodeVerifier: t.verifier,
          expectedState: t.state,
          expectedNonce: t.nonce,
          idTokenExpected: true,
        });
      } catch (e) {
        throw new SignInFailed(`The identity provider's answer was refused: ${(e as Error).message}`, { cause: e, purpose: t.purpose });
      }
      const claims = tokens.claims();
      if (!claims) throw new SignInFailed('The identity provider sent no ID token.');
      return { purpose: t.purpose === 'student' ? 'student' : 'staff', claims: claims as Record<string, unknown> };
    },
  };
}

/** A claim by name; a dotted name reaches into nested objects (Keycloak's `realm_access.roles`). */
function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name];
  return name.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), claims);
}

/** The staff role the role claim maps to: admin when any value maps to admin, officer when one maps to officer, else none. */
export function staffRoleFrom(claims: Record<string, unknown>, settings: Pick<OidcSettings, 'roleClaim' | 'roleMap'>): StaffRole | undefined {
  const raw = claimAt(claims, settings.roleClaim);
  const values = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((v): v is string => typeof v === 'string');
  const roles = new Set(values.map((v) => settings.roleMap[v]).filter(Boolean));
  return roles.has('admin') ? 'admin' : roles.has('officer') ? 'officer' : undefined;
}

/**
 * The student claim's value as a string (lower-cased: the activation webhook's email may differ in case).
 * The `email` claim counts only when the provider vouches for it (`email_verified` exactly `true`): where
 * users may edit their own email at the provider, an unverified one could name another student's account.
 */
export function studentAccountFrom(claims: Record<string, unknown>, settings: Pick<OidcSettings, 'studentClaim'>): string | undefined {
  if (settings.studentClaim === 'email' && claims.email_verified !== true) return undefined;
  const v = claimAt(claims, settings.studentClaim);
  return typeof v === 'string' && v.trim() !== '' ? v.trim().toLowerCase() : undefined;
}
