/**
 * The Temporal UI's credential at the codec endpoint: a UI that signs staff in
 * at our identity provider and passes their tokens to the codec
 * (`TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true`) sends the access token as
 * `Authorization: Bearer …` and the ID token as `Authorization-Extras`. The ID
 * token is what we check: a JWT signed with the provider's published keys,
 * issued by OIDC_ISSUER_URL to the UI's client (TEMPORAL_UI_OIDC_CLIENT_ID),
 * carrying an expiry that has not passed, whose role claim maps to a staff
 * role by OIDC_ROLE_MAP, exactly as the staff pages' sign-in reads it. Accepted by the codec only.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { OidcSettings } from '../../config';
import { AppError, ErrorCode, forbidden } from '../errors';
import { staffRoleFrom } from './oidc';
import type { Principal } from './principal';

export const TEMPORAL_UI_ID_TOKEN_HEADER = 'authorization-extras';

export type TemporalUiTokenVerifier = (idToken: string) => Promise<Principal>;

export function temporalUiTokenVerifier(settings: OidcSettings & { temporalUiClientId: string }): TemporalUiTokenVerifier {
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keySet = () => {
    keys ??= fetch(new URL('.well-known/openid-configuration', settings.issuer.endsWith('/') ? settings.issuer : `${settings.issuer}/`))
      .then(async (r) => {
        if (!r.ok) throw new Error(`the identity provider's discovery answered ${r.status}`);
        const { jwks_uri } = (await r.json()) as { jwks_uri?: string };
        if (!jwks_uri) throw new Error("the identity provider's discovery names no jwks_uri");
        return createRemoteJWKSet(new URL(jwks_uri));
      })
      // A provider that was down is asked again at the next call.
      .catch((e: unknown) => {
        keys = undefined;
        throw e;
      });
    return keys;
  };

  return async (idToken) => {
    let claims: JWTPayload;
    try {
      // An ID token always carries exp, iat and sub (OpenID Connect Core, 2): one without an expiry would open payloads forever.
      ({ payload: claims } = await jwtVerify(idToken, await keySet(), {
        issuer: settings.issuer,
        audience: settings.temporalUiClientId,
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (e) {
      if (e instanceof errors.JWTExpired) throw new AppError(ErrorCode.TOKEN_EXPIRED, 'Your Temporal UI sign-in has expired; sign in again.');
      if (e instanceof errors.JOSEError) throw new AppError(ErrorCode.UNAUTHENTICATED, "The Temporal UI's ID token is not valid here.");
      throw e;
    }
    const role = staffRoleFrom(claims, settings);
    if (!role) throw forbidden('Registry staff only: your account has no registry role.');
    const name = typeof claims.name === 'string' && claims.name ? claims.name : String(claims.sub);
    return { kind: 'staff', keyId: `sso:${claims.sub}`, name, role, via: 'sso' };
  };
}
