/**
 * One helper that every route goes through: it registers the route's OpenAPI
 * description from its zod schemas, then authenticates, authorises, validates
 * params/query/body with the same schemas and sends the handler's result.
 * Errors thrown anywhere reach the one error handler (Express 5 forwards
 * rejected promises).
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { RouteConfig, ZodContentObject } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import { authorize, type Authenticate, type EarlyPrincipal } from './auth/authenticate';
import type { Access, Principal } from './auth/principal';
import { textProblemsIn } from '../../workflows/registration/text';
import { AppError, ErrorCode, validationError, type RequestPart } from './errors';
import { errorResponses, type OpenAPIRegistry } from './openapi';

export interface RouteKit {
  registry: OpenAPIRegistry;
  authenticate: Authenticate;
  /** Routes with `checkRevocationAlongside` or `early` only. */
  authenticateEarly?: (req: Request) => Promise<EarlyPrincipal>;
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type ObjectSchema = z.ZodObject | z.ZodPipe<z.ZodObject, z.ZodType>;

/** Returned by handlers that wrote the response themselves (downloads, redirects). */
export const SENT = Symbol('sent');

export interface RouteSpec<A extends Access, P extends ObjectSchema, Q extends ObjectSchema, B extends z.ZodType, R extends z.ZodType, E = undefined> {
  method: Method;
  /** Express syntax, e.g. /api/registrations/:applicationNo. */
  path: string;
  tags: string[];
  summary: string;
  description?: string;
  access: A;
  params?: P;
  query?: Q;
  /** Request headers to document (the handler reads them), e.g. Idempotency-Key. */
  headers?: z.ZodObject;
  /** A JSON body, parsed and validated here. */
  body?: B;
  bodyLimit?: string;
  /** A body the handler reads itself (multipart, CSV); documented, not parsed. */
  rawBody?: { content: ZodContentObject; description?: string };
  status?: number;
  /** JSON response schema; omit for responses the handler writes (then give `responseContent`). */
  response?: R;
  responseDescription?: string;
  responseContent?: ZodContentObject;
  /** Error codes this route can answer with, besides those implied by its access and schemas. */
  errors?: ErrorCode[];
  /** Extra middleware run before authentication, e.g. a rate limiter. */
  before?: RequestHandler[];
  /** Middleware run after authorisation, e.g. the per-registration rate limit (so only the entitled can spend it). */
  limit?: RequestHandler;
  /** Runs after authorisation and before the query and body are validated, e.g. a webhook signature check. */
  guard?: (req: RawBodyRequest) => void | Promise<void>;
  /**
   * A read with no effect (GET, no `limit`, no `guard`): a student session's revocation check (a database read)
   * runs alongside the handler instead of before it, and the answer waits for it (a 401 wins over whatever the
   * handler answered). A handler that writes the response itself must await `confirmed` first.
   */
  checkRevocationAlongside?: boolean;
  /**
   * A read with no effect that the handler needs first, started as soon as the caller is known and allowed here
   * (signature checked, authorised for the params), so it runs alongside the session's revocation check and the rate
   * limit instead of after them; the handler gets its promise (`early`) only once both have passed. For statements
   * that cost a round trip and little CPU (an upload's read-model check): docs/gateway.md, *Round trips of an upload*.
   */
  early?: (params: Out<P>, principal: Principal) => Promise<E>;
}

export interface HandlerInput<A extends Access, P, Q, B, E = undefined> {
  params: P;
  query: Q;
  body: B;
  principal: A extends 'public' | 'webhook' ? Principal | undefined : Principal;
  req: Request;
  res: Response;
  /** Answer with another success status than the route's usual one. */
  setStatus(status: number): void;
  /** Settles once the principal's credentials are known not to be revoked (rejecting with the 401); see `checkRevocationAlongside`. */
  confirmed: Promise<void>;
  /** The route's `early` read, started before the checks passed (a promise of `undefined` for a route without one). */
  early: Promise<E>;
}

type Out<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

export function route<
  A extends Access,
  P extends ObjectSchema = never,
  Q extends ObjectSchema = never,
  B extends z.ZodType = never,
  R extends z.ZodType = never,
  E = undefined,
>(
  kit: RouteKit,
  router: Router,
  spec: RouteSpec<A, P, Q, B, R, E>,
  handler: (input: HandlerInput<A, Out<P>, Out<Q>, Out<B>, E>) => Promise<([R] extends [never] ? void : z.input<R>) | typeof SENT>,
): void {
  kit.registry.registerPath(openApiOf(spec as RouteSpec<Access, ObjectSchema, ObjectSchema, z.ZodType, z.ZodType, unknown>));

  const parse = (part: RequestPart, schema: z.ZodType | undefined, value: unknown) => {
    if (!schema) return {};
    // The net under every route: whatever a schema says, no string PostgreSQL cannot store (or
    // control characters outside line breaks and tabs) gets past the edge. Single-line fields are
    // stricter through their own schema (src/text.ts).
    const unstorable = textIssues(part, value);
    if (unstorable) throw unstorable;
    const result = schema.safeParse(value);
    if (!result.success) throw validationError(part, result.error);
    return result.data;
  };

  // The handler runs on a whole request only. A route that takes no body still reads (and drops) one sent anyway
  // first, as the JSON parser reads its body: a request whose body ends short or stalls is then refused (400, 408)
  // before anything is done, never acted on behind an answer that says it failed. Routes with a raw body read it
  // themselves and act only once it is whole.
  const wholeBody: RequestHandler[] = spec.body
    ? [express.json({ limit: spec.bodyLimit ?? '100kb', verify: (req, _res, buf) => void ((req as RawBodyRequest).rawBody = buf) })]
    : spec.rawBody
      ? []
      : [express.raw({ type: () => true, limit: spec.bodyLimit ?? '100kb' })];

  const alongside = spec.checkRevocationAlongside === true;
  if (alongside && (spec.method !== 'get' || spec.limit || spec.guard || spec.access === 'public' || spec.access === 'webhook')) {
    throw new Error(`${spec.method} ${spec.path}: checkRevocationAlongside is for authenticated reads with no effect`);
  }
  if (spec.early && (spec.access === 'public' || spec.access === 'webhook')) throw new Error(`${spec.method} ${spec.path}: early is for authenticated routes`);
  const confirmedAlready = Promise.resolve();

  const handle: RequestHandler = async (req, res) => {
    let principal: Principal | undefined;
    let confirmed = confirmedAlready;
    if (spec.access === 'public' || spec.access === 'webhook') principal = await kit.authenticate(req).catch(() => undefined);
    else if ((alongside || spec.early) && kit.authenticateEarly) ({ principal, confirmed } = await kit.authenticateEarly(req));
    else principal = await kit.authenticate(req);
    let status = spec.status ?? 200;
    let result: Awaited<ReturnType<typeof handler>>;
    let early: Promise<E> | undefined;
    try {
      const params = parse('params', spec.params, req.params) as Out<P>;
      authorize(principal, spec.access, (params as { applicationNo?: string }).applicationNo);
      early = spec.early?.(params, principal!);
      // Met by the handler, which awaits it once the checks below have passed: never an unhandled rejection meanwhile.
      early?.catch(() => {});
      // The revocation check passes before the rate limit counts, so nobody else can spend a student's allowance.
      if (spec.early) await confirmed;
      if (spec.limit) await runMiddleware(spec.limit, req, res);
      await spec.guard?.(req);
      const query = parse('query', spec.query, req.query) as Out<Q>;
      const body = parse('body', spec.body, req.body) as Out<B>;
      result = await handler({
        params,
        query,
        body,
        principal: principal as never,
        req,
        res,
        setStatus: (s) => void (status = s),
        confirmed,
        early: early ?? (Promise.resolve(undefined) as Promise<E>),
      });
    } finally {
      // Revoked credentials answer 401, whatever was found or refused meanwhile.
      await confirmed;
    }
    if (result === SENT) return;
    if (status === 204) res.status(204).end();
    else res.status(status).json(result);
  };

  router[spec.method](spec.path, ...(spec.before ?? []), ...wholeBody, handle);
}

function textIssues(part: RequestPart, value: unknown): AppError | undefined {
  const problems = textProblemsIn(value, { multiline: true });
  if (!problems.length) return undefined;
  const issues = problems.map((p) => ({ in: part, path: p.path, message: p.problem }));
  return new AppError(ErrorCode.VALIDATION_FAILED, `Invalid ${part} field "${issues[0]!.path}": ${issues[0]!.message}`, { issues });
}

function runMiddleware(mw: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    Promise.resolve(mw(req, res, (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()))).catch(reject);
  });
}

export interface RawBodyRequest extends Request {
  rawBody?: Buffer;
}

const security: Record<Access, RouteConfig['security']> = {
  public: [],
  webhook: [{ webhookSignature: [] }],
  student: [{ studentSession: [] }],
  ownerOrStaff: [{ studentSession: [] }, { staffApiKey: [] }, { staffSession: [] }],
  staff: [{ staffApiKey: [] }, { staffSession: [] }],
  admin: [{ staffApiKey: [] }, { staffSession: [] }],
};

const accessNote: Record<Access, string> = {
  public: '',
  webhook: 'Signed webhook.',
  student: 'The student of this registration.',
  ownerOrStaff: 'The student of this registration, or registry staff.',
  staff: 'Registry staff (officer or admin).',
  admin: 'Registry staff with the admin role.',
};

function openApiOf(spec: RouteSpec<Access, ObjectSchema, ObjectSchema, z.ZodType, z.ZodType, unknown>): RouteConfig {
  const implied: ErrorCode[] = [ErrorCode.INTERNAL, ErrorCode.DATABASE_UNAVAILABLE];
  if (spec.access !== 'public' && spec.access !== 'webhook') implied.push(ErrorCode.UNAUTHENTICATED, ErrorCode.TOKEN_EXPIRED, ErrorCode.FORBIDDEN);
  if (spec.params || spec.query || spec.body || spec.rawBody) implied.push(ErrorCode.VALIDATION_FAILED);
  if (spec.body) implied.push(ErrorCode.PAYLOAD_TOO_LARGE);
  if (spec.limit) implied.push(ErrorCode.RATE_LIMITED);
  const status = String(spec.status ?? 200);
  const success =
    status === '204'
      ? { description: spec.responseDescription ?? 'Done.' }
      : {
          description: spec.responseDescription ?? 'OK',
          content: spec.responseContent ?? (spec.response ? { 'application/json': { schema: spec.response } } : undefined),
        };
  return {
    method: spec.method,
    path: spec.path.replace(/:(\w+)/g, '{$1}'),
    tags: spec.tags,
    summary: spec.summary,
    description: [spec.description, accessNote[spec.access]].filter(Boolean).join(' ') || undefined,
    security: security[spec.access],
    request: {
      params: spec.params,
      query: spec.query,
      headers: spec.headers,
      body: spec.body
        ? { content: { 'application/json': { schema: spec.body } }, required: true }
        : spec.rawBody
          ? { ...spec.rawBody, required: true }
          : undefined,
    },
    responses: { [status]: success, ...errorResponses([...implied, ...(spec.errors ?? [])]) },
  };
}
