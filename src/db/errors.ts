/**
 * What a failed database call means, whichever layer raised it (Prisma's own
 * errors, adapter-pg's DriverAdapterError, or node-postgres underneath):
 *
 * - unavailable: PostgreSQL cannot be reached or did not answer in time. Nothing
 *   was done; the caller may retry later (the gateway answers 503 + Retry-After).
 * - unwritable data: PostgreSQL refuses the values themselves (SQLSTATE class 22,
 *   e.g. 22021 NUL in text, 22P05 \u0000 in jsonb; or JSON Prisma cannot encode,
 *   such as a lone surrogate). Retrying can never succeed.
 */

interface DriverCause {
  kind?: string;
  code?: string;
  originalCode?: string;
}

/** Prisma error codes of an unreachable or overloaded database (https://www.prisma.io/docs/orm/reference/error-reference). */
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
/** adapter-pg's kinds for the same. */
const ADAPTER_UNAVAILABLE = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
/** node-postgres / socket codes. */
const SOCKET_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);
/** SQLSTATEs of a server going away or not accepting work: class 08 (connection), 57P01–57P03 (shutdown), 53300 (too many connections). */
const SQLSTATE_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;
const MESSAGE_UNAVAILABLE =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Can't reach database server|Timed out fetching a new connection|Unable to start a transaction in the given time|Client has encountered a connection error|connection is insecure|Connection refused/i;

/** The error and its causes, outermost first (Prisma wraps the adapter's error, which wraps pg's). */
function chain(e: unknown): unknown[] {
  const out: unknown[] = [];
  for (let cur = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) out.push(cur);
  return out;
}

export function isDatabaseUnavailable(e: unknown): boolean {
  return chain(e).some((c) => {
    if (!c || typeof c !== 'object') return false;
    const { name, code, kind, originalCode, message } = c as DriverCause & { name?: string; message?: unknown };
    if (name === 'PrismaClientInitializationError') return true;
    if (typeof code === 'string' && (PRISMA_UNAVAILABLE.has(code) || SOCKET_UNAVAILABLE.has(code) || SQLSTATE_UNAVAILABLE.test(code))) return true;
    if (typeof kind === 'string' && ADAPTER_UNAVAILABLE.has(kind)) return true;
    if (typeof originalCode === 'string' && SQLSTATE_UNAVAILABLE.test(originalCode)) return true;
    return typeof message === 'string' && MESSAGE_UNAVAILABLE.test(message);
  });
}

export function isUnwritableData(e: unknown): boolean {
  return chain(e).some((c) => {
    if (!c || typeof c !== 'object') return false;
    const { name, code, kind, originalCode, message } = c as DriverCause & { name?: string; message?: unknown };
    const sqlstate = originalCode ?? (kind === 'postgres' ? code : undefined);
    if (typeof sqlstate === 'string' && sqlstate.startsWith('22')) return true;
    if (kind === 'LengthMismatch' || kind === 'ValueOutOfRange') return true;
    return name === 'PrismaClientUnknownRequestError' && typeof message === 'string' && /JSON Error/.test(message);
  });
}
