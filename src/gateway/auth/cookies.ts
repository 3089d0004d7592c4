/** The gateway's cookies: their names and attributes, and reading one from the Cookie header (they are set with res.cookie). */
import type { Request } from 'express';
import type { Config } from '../../config';

type CookieConfig = Pick<Config, 'publicBaseUrl'>;

/** Secure where the portal is served over https (production always is); http://localhost development cannot keep Secure cookies everywhere. */
const secureCookies = (config: CookieConfig) => config.publicBaseUrl.startsWith('https:');

/**
 * The name a cookie goes by. Over https it carries the `__Host-` prefix: a browser keeps such a cookie only
 * if it is Secure, has Path=/ and no Domain, so no sibling subdomain and no http page can set or shadow it
 * (docs/gateway.md, Cookies). Development on http://localhost keeps the plain name, which the prefix would refuse.
 */
export const cookieName = (config: CookieConfig, name: string): string => (secureCookies(config) ? `__Host-${name}` : name);

/** HttpOnly, Lax, Path=/, no Domain, Secure over https: what every cookie of the gateway is set with (and cleared with, to match). */
export const cookieOptions = (config: CookieConfig) => ({
  httpOnly: true,
  // Lax: not sent on cross-site POSTs; the same-origin guard (same-origin.ts) checks the rest.
  sameSite: 'lax' as const,
  secure: secureCookies(config),
  path: '/',
});

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      // A malformed escape (`progreg_session=%`) is a bad credential like any other: it fails verification (401).
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return undefined;
}

/** Whether the request carries any of these cookies (whatever their value). */
export const carriesCookie = (req: Request, names: readonly string[]): boolean =>
  (req.headers.cookie ?? '').split(';').some((c) => names.includes(c.split('=')[0]!.trim()));
