/**
 * A staff member's credential for event streams. The browser's EventSource
 * sends cookies but no Authorization header, and the staff pages hold an API
 * key (sent as a bearer token), so the page first exchanges its key for this
 * signed token and puts it in the stream's URL (`stream_token`, which the
 * request log redacts). It opens streams and nothing else, lasts a session
 * (SESSION_TTL_HOURS), and names the key, which must still be unrevoked at each
 * (re)connection.
 */
import { SignJWT } from 'jose';
import type { Config } from '../../config';
import type { PrismaClient } from '../../db/prisma';
import { ISSUER, TokenError, tokenKey, verifyTokenClaims } from '../../links';
import type { Principal, StaffRole } from '../auth/principal';

const STREAM_AUDIENCE = 'staff-stream';

export async function signStreamToken(config: Pick<Config, 'TOKEN_SECRET' | 'SESSION_TTL_HOURS'>, keyId: string): Promise<{ token: string; expiresAt: Date }> {
  const expiresAt = new Date(Date.now() + config.SESSION_TTL_HOURS * 3600_000);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(STREAM_AUDIENCE)
    .setSubject(keyId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(tokenKey(config));
  return { token, expiresAt };
}

/** The staff member a stream token names, or undefined when it is forged, expired or its key revoked. */
export async function streamTokenPrincipal(
  deps: { config: Pick<Config, 'TOKEN_SECRET'>; prisma: PrismaClient },
  token: string,
): Promise<Principal | undefined> {
  let keyId: string;
  try {
    keyId = (await verifyTokenClaims(deps.config, token, STREAM_AUDIENCE)).applicationNo;
  } catch (e) {
    if (e instanceof TokenError) return undefined;
    throw e;
  }
  const key = await deps.prisma.staffApiKey.findUnique({ where: { id: keyId } });
  if (!key || key.revokedAt) return undefined;
  return { kind: 'staff', keyId: key.id, name: key.name, role: key.role as StaffRole, via: 'apiKey' };
}
