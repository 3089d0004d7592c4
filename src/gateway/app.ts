/**
 * The HTTP gateway, built from its dependencies so tests run it against their
 * own PostgreSQL and Temporal. It authenticates, validates, stores files and
 * hands every action on a registration to its workflow, which alone decides;
 * the gateway keeps only records of its own (sessions, API keys, webhook
 * deliveries, stored files, review claims, import jobs).
 * It also serves the API description (/openapi.json, /docs) and the portal
 * pages (src/portal).
 */
import express, { Router, type ErrorRequestHandler, type Express } from 'express';
import helmet from 'helmet';
import { isDevelopment, type Config } from '../config';
import { isDatabaseUnavailable } from '../db/errors';
import { CohortPolicyConflict } from '../import/cohort-policy';
import { portalRouter } from '../portal';
import { createBlobStore } from '../uploads/store';
import { createAuthenticator } from './auth/authenticate';
import type { RouterContext } from './context';
import type { GatewayDeps } from './deps';
import { AppError, ErrorCode } from './errors';
import { requestLogger } from './logging';
import { serverSpans } from './tracing';
import { bodyIdleTimeout } from './body-idle';
import { errorPage, isNavigation } from './error-page';
import { deliverRefusal } from './refusal-delivery';
import { REFERRER_POLICY, sameOriginGuard } from './same-origin';
import { createRegistry, openApiDocument, renderDocsPage, type OpenAPIObject } from './openapi';
import { createRateLimits } from './rate-limit';
import type { RouteKit } from './route';
import { dashboardRouter } from './routes/dashboard';
import { documentsRouter } from './routes/documents';
import { exportsRouter } from './routes/exports';
import { healthRouter } from './routes/health';
import { idpSimulatorRouter } from './routes/idp-simulator';
import { ssoRouter } from './routes/sso';
import { IdpAccounts } from '../idp/accounts';
import { createIdentityProvider } from '../idp/provider';
import { importsRouter } from './routes/imports';
import { lateEventsRouter } from './routes/late-events';
import { liveRouter } from './routes/live';
import { registrationsRouter } from './routes/registrations';
import { reviewRouter } from './routes/review';
import { reviewNextRouter } from './routes/review-next';
import { sessionRouter } from './routes/session';
import { staffRouter } from './routes/staff';
import { studentRouter } from './routes/student';
import { webhookRouter } from './routes/webhooks';
import { codecRouter } from './routes/codec';
import { emailEventsRouter } from './routes/email-events';
import { fromTemporal } from './temporal-errors';
import { Registrations } from './workflow';
import { CohortPhotoSpecs } from './photo-specs';

export type { GatewayDeps };

/** Every API route, registered in `kit.registry` as it is mounted. */
function apiRouter(ctx: RouterContext): Router {
  const router = Router();
  router.use(healthRouter(ctx.kit, ctx));
  router.use(sessionRouter(ctx));
  router.use(ssoRouter(ctx));
  router.use(registrationsRouter(ctx));
  router.use(studentRouter(ctx));
  router.use(documentsRouter(ctx));
  router.use(reviewRouter(ctx));
  router.use(reviewNextRouter(ctx));
  router.use(dashboardRouter(ctx));
  router.use(exportsRouter(ctx));
  router.use(importsRouter(ctx));
  router.use(staffRouter(ctx));
  router.use(webhookRouter(ctx));
  router.use(emailEventsRouter(ctx));
  router.use(lateEventsRouter(ctx));
  router.use(liveRouter(ctx));
  return router;
}

function routerContext(deps: GatewayDeps): RouterContext {
  return {
    ...deps,
    kit: { registry: createRegistry(), ...createAuthenticator(deps) } satisfies RouteKit,
    limits: createRateLimits(deps.config, deps.prisma),
    registrations: new Registrations(deps.temporal, { updateTimeoutMs: deps.config.WORKFLOW_UPDATE_TIMEOUT_SECONDS * 1000 }),
    blobs: createBlobStore(deps.config),
    photoSpecs: new CohortPhotoSpecs(deps.prisma),
  };
}

export function createApp(deps: GatewayDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  if (deps.config.TRUST_PROXY !== undefined) app.set('trust proxy', deps.config.TRUST_PROXY);
  // First: every request is counted, whichever middleware answers it.
  if (deps.metrics) app.use(deps.metrics.middleware());
  // Then the request's span, so everything after it (the log line, the workflow call) is in its trace.
  app.use(serverSpans());
  app.use(requestLogger(deps.logger));
  app.use(bodyIdleTimeout(deps.config.HTTP_BODY_IDLE_TIMEOUT_SECONDS * 1000));
  app.use(helmet({ referrerPolicy: { policy: REFERRER_POLICY } }));
  const ctx = routerContext(deps);
  // Before the same-origin guard: the Temporal UI calls the codec from its own origin with the staff cookie;
  // the codec router admits that one origin itself, and sealing or opening payloads changes no state.
  app.use(codecRouter(ctx));
  app.use(sameOriginGuard(deps.config));

  // The staging folder exists before the first upload, so receiving one awaits nothing before its stream is handled.
  ctx.blobs.prepare();
  app.use(apiRouter(ctx));
  // The simulator activates any account for anyone holding a link: development only.
  if (!deps.config.IDP_ACTIVATION_URL && isDevelopment(deps.config)) mountIdentityProviderSimulator(app, ctx);

  let document: OpenAPIObject | undefined;
  const apiDocument = () => (document ??= openApiDocument(ctx.kit.registry));
  app.get('/openapi.json', (_req, res) => void res.json(apiDocument()));
  app.get('/docs', (_req, res) => void res.type('html').send(renderDocsPage(apiDocument())));

  app.use(portalRouter({ config: deps.config }));
  app.get('/', (_req, res) => res.redirect(302, '/portal/'));

  app.use((req, _res, next) => next(new AppError(ErrorCode.NOT_FOUND, `No route for ${req.method} ${req.path}.`)));
  app.use(errorHandler);
  return app;
}

/**
 * The identity-provider simulator: the activation page, and (unless a real provider is configured)
 * the OpenID Connect provider staff and students sign in with, loaded on first use (an ES module).
 */
function mountIdentityProviderSimulator(app: Express, ctx: RouterContext): void {
  const accounts = new IdpAccounts(ctx.config.varDir);
  app.use(idpSimulatorRouter(ctx, accounts));
  const settings = ctx.config.oidc;
  if (!settings?.simulated) return;
  ctx.logger.warn(
    { staffAccounts: accounts.staffFile, issuer: settings.issuer },
    'identity-provider simulator: sign in as the seeded staff listed in this file',
  );
  let provider: Promise<Router> | undefined;
  app.use((req, res, next) => {
    if (!req.path.startsWith('/idp/')) return next();
    provider ??= createIdentityProvider(settings, accounts, ctx.logger);
    provider.then((router) => router(req, res, next), next);
  });
}

/** The OpenAPI document without a running gateway (for `npm run openapi`): routes only capture their dependencies. */
export function apiDocumentFor(config: Config): OpenAPIObject {
  const ctx = routerContext({ config, prisma: undefined as never, temporal: undefined as never, logger: undefined as never });
  codecRouter(ctx);
  apiRouter(ctx);
  return openApiDocument(ctx.kit.registry);
}

/** Errors from body parsers (http-errors) carry a `type`; these are the ones a client causes. */
function fromBodyParser(e: unknown): AppError | undefined {
  const type = (e as { type?: unknown })?.type;
  if (type === 'entity.too.large')
    return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, 'The request body is too large.', { limit: (e as { limit?: number }).limit });
  if (type === 'entity.parse.failed')
    return new AppError(ErrorCode.VALIDATION_FAILED, 'The request body is not valid JSON.', { issues: [{ in: 'body', path: '', message: 'not valid JSON' }] });
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') return new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Unsupported body encoding.');
  return undefined;
}

/** The code a foreign error's own 4xx status stands for (one the router, a body parser or a static file raises). */
const CLIENT_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.VALIDATION_FAILED,
  401: ErrorCode.UNAUTHENTICATED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.METHOD_NOT_ALLOWED,
  408: ErrorCode.REQUEST_TIMEOUT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  429: ErrorCode.RATE_LIMITED,
  431: ErrorCode.HEADERS_TOO_LARGE,
};

/**
 * An error that carries a 4xx status keeps it: the client caused it, whoever noticed. The router's
 * failure to decode a path parameter is a URIError with status 400.
 */
function fromClientStatus(e: unknown): AppError | undefined {
  const status = (e as { status?: unknown; statusCode?: unknown })?.status ?? (e as { statusCode?: unknown })?.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  if (e instanceof URIError) {
    return new AppError(ErrorCode.VALIDATION_FAILED, 'The path has malformed percent-encoding.', {
      issues: [{ in: 'params', path: '', message: 'malformed percent-encoding' }],
    });
  }
  const code = CLIENT_STATUS[status] ?? ErrorCode.VALIDATION_FAILED;
  const exposed = (e as { expose?: unknown }).expose === true && typeof (e as Error).message === 'string';
  return new AppError(code, exposed ? (e as Error).message : 'The request was refused.');
}

/** PostgreSQL unreachable or frozen (any route: staff-key lookup, webhook claim, photo spec…): retry later, not a 500. */
function fromDatabase(e: unknown): AppError | undefined {
  if (!isDatabaseUnavailable(e)) return undefined;
  return new AppError(ErrorCode.DATABASE_UNAVAILABLE, 'The database is not answering; nothing was changed, please retry shortly.', {}, { cause: e });
}

/** Seconds a client should wait before retrying a 503 (the portal and API clients honour Retry-After). */
const RETRY_AFTER_SECONDS = 5;

function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof CohortPolicyConflict) {
    return new AppError(
      ErrorCode.COHORT_POLICY_CONFLICT,
      e.message,
      { cohortId: e.cohortId, differences: e.differences, howToExtend: e.howToExtend },
      { cause: e },
    );
  }
  return (
    fromBodyParser(e) ??
    fromClientStatus(e) ??
    fromTemporal(e) ??
    fromDatabase(e) ??
    new AppError(ErrorCode.INTERNAL, 'Something went wrong on our side.', {}, { cause: e })
  );
}

/**
 * The one error handler: one JSON shape, the request id, and never a stack trace. A browser's
 * navigation (a form post, a link) gets the same error as a page with a way forward instead.
 */
const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const error = toAppError(err);
  // pino-http logs the response line with this error attached (and its stack, server-side only).
  res.err = error.status >= 500 ? (err as Error) : undefined;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error.status === 503 && !res.getHeader('Retry-After')) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  // A refusal before the body was read: the client still sending it must get the answer (refusal-delivery.ts).
  deliverRefusal(req, res, error);
  res.status(error.status);
  if (isNavigation(req)) {
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(errorPage(error, req));
    return;
  }
  res.json({ ...error.toJSON(), requestId: String(req.id) });
};
