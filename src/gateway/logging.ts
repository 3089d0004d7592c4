/**
 * Structured JSON logs (pino) and one log line per request (pino-http). Every
 * request gets an id, taken from a sane incoming X-Request-Id (so a proxy's id
 * follows the request) or made here, and echoed in the response header and in
 * error bodies so a student's screenshot leads to the log line.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger';

const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * Query parameters that carry credentials: invitation tokens (`/invite`,
 * `/idp/activate`) and whatever a client or a proxy might put there. Matched
 * by name, case-insensitively.
 */
const SECRET_PARAM = /^(token|.*_token|code|key|api_?key|secret|signature|sig|password|session|auth)$/i;
const REDACTED = '[REDACTED]';

/** `url` with the value of every credential-bearing query parameter replaced; the rest of the URL is kept as sent. */
function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // A malformed name is logged as sent.
      }
      return SECRET_PARAM.test(name.trim()) ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, q + 1)}${redacted}${hash < 0 ? '' : url.slice(hash)}`;
}

interface SerializedRequest {
  url?: string;
  headers?: Record<string, unknown>;
  [k: string]: unknown;
}

/** The request as logged: credentials out of the URL, the parsed query and the Referer (a page opened from a link with a token). */
function redactRequest(req: SerializedRequest): SerializedRequest {
  const headers = req.headers ? { ...req.headers } : undefined;
  if (headers && typeof headers.referer === 'string') headers.referer = redactUrl(headers.referer);
  const query = req.query && typeof req.query === 'object' ? redactParams(req.query as Record<string, unknown>) : undefined;
  return { ...req, ...(typeof req.url === 'string' ? { url: redactUrl(req.url) } : {}), ...(headers ? { headers } : {}), ...(query ? { query } : {}) };
}

/** The parsed query as logged: the same parameters redacted as in the URL. */
function redactParams(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).map(([k, v]) => [k, SECRET_PARAM.test(k.trim()) ? REDACTED : v]));
}
const acceptableRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && acceptableRequestId.test(incoming) ? incoming : randomUUID();
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    // Credentials never reach the logs: not in headers, not in query strings.
    redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-progreg-signature"]', 'res.headers["set-cookie"]'],
    serializers: { req: redactRequest },
    customLogLevel(_req, res, err) {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
    // Probes poll every few seconds; their lines would drown the rest.
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
  });
}
