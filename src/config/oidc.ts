/**
 * Single sign-on settings: a real OpenID Connect provider, or in development the
 * simulator the gateway serves (src/idp), and what a production server must not
 * start with.
 */
import { randomBytes } from 'node:crypto';
import { isDevelopment } from './mode';
import { MIN_SECRET_LENGTH, PUBLISHED_SECRETS, type Raw } from './variables';

export type StaffRoleName = 'officer' | 'admin';

/** Single sign-on, resolved: a real identity provider, or (development) the simulator the gateway serves. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  scopes: string;
  roleClaim: string;
  /** Claim value → role. */
  roleMap: Record<string, StaffRoleName>;
  studentClaim: string;
  /** The gateway serves the provider itself (src/idp): development only. */
  simulated: boolean;
  /** The Temporal UI's client id: the codec endpoint accepts ID tokens issued to it. Undefined: it accepts none. */
  temporalUiClientId?: string;
  /** The simulator only: the Temporal UI as a registered client (its secret, its callback on TEMPORAL_UI_URL). */
  temporalUiClient?: { secret: string; redirectUrl: string };
}

/** The development role map, which the simulator's seeded staff accounts match (src/idp/accounts.ts). */
const SIMULATOR_ROLE_MAP = 'registry-admins=admin,registry-officers=officer';

function parseRoleMap(value: string, problems: string[]): Record<string, StaffRoleName> {
  const map: Record<string, StaffRoleName> = {};
  for (const pair of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(.+?)\s*=\s*(officer|admin)$/.exec(pair);
    if (!m) problems.push(`OIDC_ROLE_MAP: "${pair}" is not \`claim-value=officer\` or \`claim-value=admin\``);
    else map[m[1]!] = m[2] as StaffRoleName;
  }
  if (!Object.keys(map).length && !problems.some((p) => p.startsWith('OIDC_ROLE_MAP'))) problems.push('OIDC_ROLE_MAP: names no role');
  return map;
}

/** The Temporal UI's client id at the identity-provider simulator (development; TEMPORAL_UI_OIDC_CLIENT_ID names another). */
export const TEMPORAL_UI_CLIENT_ID = 'temporal-ui';

/** Where the Temporal UI server takes a sign-in back: its own route /auth/sso/callback (docs/operations.md, "Personal data"). */
export const temporalUiCallbackUrl = (uiUrl: string) => new URL('/auth/sso/callback', uiUrl).toString();

/**
 * Single sign-on settings. A configured provider needs its client id, secret and role map in every
 * mode; without one, development gets the simulator (when the simulator serves activation too) and
 * production goes without single sign-on. Production's stricter checks are in productionProblems.
 */
export function oidcSettings(r: Raw, problems: string[]): OidcSettings | undefined {
  // A refused GATEWAY_PORT is reported already; the defaults built here are then never used.
  const publicBaseUrl = r.PUBLIC_BASE_URL ?? `http://localhost:${r.GATEWAY_PORT ?? 3000}`;
  const common = {
    redirectUrl: r.OIDC_REDIRECT_URL ?? new URL('/auth/callback', publicBaseUrl).toString(),
    scopes: r.OIDC_SCOPES,
    roleClaim: r.OIDC_ROLE_CLAIM,
    studentClaim: r.OIDC_STUDENT_CLAIM,
  };
  if (!r.OIDC_ISSUER_URL) {
    if (!isDevelopment(r) || r.IDP_ACTIVATION_URL) return undefined;
    const uiUrl = r.TEMPORAL_UI_URL ?? `http://localhost:${r.TEMPORAL_UI_PORT}`;
    return {
      ...common,
      temporalUiClientId: r.TEMPORAL_UI_OIDC_CLIENT_ID ?? TEMPORAL_UI_CLIENT_ID,
      ...(r.TEMPORAL_UI_OIDC_CLIENT_SECRET
        ? { temporalUiClient: { secret: r.TEMPORAL_UI_OIDC_CLIENT_SECRET, redirectUrl: temporalUiCallbackUrl(uiUrl) } }
        : {}),
      issuer: new URL('/idp', publicBaseUrl).toString(),
      clientId: r.OIDC_CLIENT_ID ?? 'progreg-portal',
      // The simulator runs in this process and is told the same secret: made at each start, never written down.
      clientSecret: randomBytes(32).toString('base64url'),
      roleMap: parseRoleMap(r.OIDC_ROLE_MAP ?? SIMULATOR_ROLE_MAP, problems),
      simulated: true,
    };
  }
  // A variable its schema already refused (a short secret) is not reported again as missing.
  const missing = (name: string, problem: string) => !problems.some((p) => p.startsWith(name)) && problems.push(`${name}: ${problem}`);
  if (!r.OIDC_CLIENT_ID) missing('OIDC_CLIENT_ID', 'must be set with OIDC_ISSUER_URL');
  if (!r.OIDC_CLIENT_SECRET) missing('OIDC_CLIENT_SECRET', `must be set with OIDC_ISSUER_URL (${MIN_SECRET_LENGTH}+ characters)`);
  if (!r.OIDC_ROLE_MAP) missing('OIDC_ROLE_MAP', 'must be set with OIDC_ISSUER_URL (e.g. `registry-admins=admin,registry-officers=officer`)');
  if (!r.OIDC_SCOPES.split(/\s+/).includes('openid')) problems.push('OIDC_SCOPES: must include `openid`');
  return {
    ...common,
    issuer: r.OIDC_ISSUER_URL,
    clientId: r.OIDC_CLIENT_ID ?? '',
    clientSecret: r.OIDC_CLIENT_SECRET ?? '',
    roleMap: r.OIDC_ROLE_MAP ? parseRoleMap(r.OIDC_ROLE_MAP, problems) : {},
    simulated: false,
    ...(r.TEMPORAL_UI_OIDC_CLIENT_ID ? { temporalUiClientId: r.TEMPORAL_UI_OIDC_CLIENT_ID } : {}),
  };
}

/** Single sign-on that a production server must not start with: tokens over http, a guessable client secret, a foreign redirect. */
export function oidcProductionProblems(r: Raw): string[] {
  const problems: string[] = [];
  if (!r.OIDC_ISSUER_URL) {
    if (r.OIDC_CLIENT_ID || r.OIDC_CLIENT_SECRET)
      problems.push('OIDC_ISSUER_URL: must be set when OIDC_CLIENT_ID or OIDC_CLIENT_SECRET is (single sign-on is half configured)');
    else if (r.TEMPORAL_UI_OIDC_CLIENT_ID)
      problems.push("OIDC_ISSUER_URL: must be set when TEMPORAL_UI_OIDC_CLIENT_ID is (the codec checks the UI's tokens against that provider)");
    return problems;
  }
  if (!r.OIDC_ISSUER_URL.startsWith('https://')) problems.push(`OIDC_ISSUER_URL: must be https in production (got ${r.OIDC_ISSUER_URL})`);
  if (r.OIDC_CLIENT_SECRET !== undefined && PUBLISHED_SECRETS.includes(r.OIDC_CLIENT_SECRET)) {
    problems.push('OIDC_CLIENT_SECRET: is a value published in the progreg repository; anyone can read it. Use the secret your identity provider generated.');
  }
  if (r.OIDC_CLIENT_SECRET !== undefined && (r.OIDC_CLIENT_SECRET === r.TOKEN_SECRET || r.OIDC_CLIENT_SECRET === r.WEBHOOK_SECRET)) {
    problems.push('OIDC_CLIENT_SECRET: must differ from TOKEN_SECRET and WEBHOOK_SECRET (the identity provider must not be able to sign sessions or webhooks)');
  }
  if (r.OIDC_REDIRECT_URL) {
    const publicOrigin = r.PUBLIC_BASE_URL ? new URL(r.PUBLIC_BASE_URL).origin : undefined;
    if (!r.OIDC_REDIRECT_URL.startsWith('https://') || new URL(r.OIDC_REDIRECT_URL).origin !== publicOrigin) {
      problems.push(`OIDC_REDIRECT_URL: must be https on PUBLIC_BASE_URL's origin in production (got ${r.OIDC_REDIRECT_URL})`);
    }
  }
  return problems;
}
