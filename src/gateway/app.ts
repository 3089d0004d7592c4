/**
 * The HTTP gateway, built from its dependencies so tests run it against their
 * own PostgreSQL and Temporal. It authenticates, validates, stores files and
 * hands every action to the registration workflow; it holds no process logic.
 */
import express, { type ErrorRequestHandler, type Express } from 'express';
import helmet from 'helmet';
import { createAuthenticator } from './auth/authenticate';
import type { GatewayDeps } from './deps';
import { AppError, ErrorCode } from './errors';
import { requestLogger } from './logging';
import { createRegistry, openApiDocument, renderDocsPage, type OpenAPIObject } from './openapi';
import type { RouteKit } from './route';
import { healthRouter } from './routes/health';
import { fromTemporal } from './temporal-errors';

export type { GatewayDeps };

export function createApp(deps: GatewayDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLogger(deps.logger));
  app.use(helmet());

  const kit: RouteKit = { registry: createRegistry(), authenticate: createAuthenticator(deps) };
  app.use(healthRouter(kit, deps));

  let document: OpenAPIObject | undefined;
  const apiDocument = () => (document ??= openApiDocument(kit.registry));
  app.get('/openapi.json', (_req, res) => void res.json(apiDocument()));
  app.get('/docs', (_req, res) => void res.type('html').send(renderDocsPage(apiDocument())));

  app.use((req, _res, next) => next(new AppError(ErrorCode.NOT_FOUND, `No route for ${req.method} ${req.path}.`)));
  app.use(errorHandler);
  return app;
}

/** Errors from body parsers (http-errors) carry a `type`; these are the ones a client causes. */
function fromBodyParser(e: unknown): AppError | undefined {
  const type = (e as { type?: unknown })?.type;
  if (type === 'entity.too.large') return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, 'The request body is too large.', { limit: (e as { limit?: number }).limit });
  if (type === 'entity.parse.failed') return new AppError(ErrorCode.VALIDATION_FAILED, 'The request body is not valid JSON.', { issues: [{ in: 'body', path: '', message: 'not valid JSON' }] });
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') return new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Unsupported body encoding.');
  return undefined;
}

export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  return fromBodyParser(e) ?? fromTemporal(e) ?? new AppError(ErrorCode.INTERNAL, 'Something went wrong on our side.', {}, { cause: e });
}

/** The one error handler: one JSON shape, the request id, and never a stack trace. */
const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const error = toAppError(err);
  // pino-http logs the response line with this error attached (and its stack, server-side only).
  res.err = error.status >= 500 ? (err as Error) : undefined;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(error.status).json({ ...error.toJSON(), requestId: String(req.id) });
};
