/** Reading one cookie from the Cookie header (the gateway sets its cookies with res.cookie). */
import type { Request } from 'express';

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
