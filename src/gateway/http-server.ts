/**
 * The gateway's HTTP server around the express app: the time limits for slow
 * clients (docs/operations.md, Timeouts and caps) and the answer to a request
 * Node's parser refuses before express sees it (malformed framing, headers too
 * large, a body that ends short of its Content-Length, a request too slow to
 * arrive). Those answers have the API's JSON error shape, like every other.
 */
import { randomUUID } from 'node:crypto';
import http, { type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { AppError, ErrorCode } from './errors';

type HttpLimits = Pick<Config, 'HTTP_HEADERS_TIMEOUT_SECONDS' | 'HTTP_REQUEST_TIMEOUT_SECONDS'>;

/** How often Node checks the headers and request timeouts: their precision. */
const TIMEOUT_CHECK_MS = 1_000;

export function createHttpServer(app: Express, config: HttpLimits, logger?: Pick<Logger, 'info'>): Server {
  const requestTimeout = config.HTTP_REQUEST_TIMEOUT_SECONDS * 1000;
  const server = http.createServer(
    {
      // Node refuses a headers timeout longer than the request timeout.
      headersTimeout: Math.min(config.HTTP_HEADERS_TIMEOUT_SECONDS * 1000, requestTimeout),
      requestTimeout,
      connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    },
    app,
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, logger));
  return server;
}

/** What Node's own default answer would be (400, 408, 413, 431), with the API's error body. */
function clientErrorOf(err: NodeJS.ErrnoException): AppError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new AppError(ErrorCode.HEADERS_TOO_LARGE, 'The request headers are too large.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError(ErrorCode.REQUEST_TIMEOUT, 'The request did not arrive in time.');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, 'The chunk extensions are too large.');
    case 'HPE_INVALID_EOF_STATE':
      return new AppError(ErrorCode.VALIDATION_FAILED, 'The request ended before its body was complete.', {
        issues: [{ in: 'body', path: '', message: 'shorter than announced' }],
      });
    default:
      return new AppError(ErrorCode.VALIDATION_FAILED, 'Malformed HTTP request.', { issues: [{ in: 'headers', path: '', message: err.code ?? 'malformed' }] });
  }
}

function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, logger?: Pick<Logger, 'info'>): void {
  // A client that went away, or a connection that already carries (part of) an answer: nothing can be said.
  const busy = (socket as Duplex & { _httpMessage?: http.ServerResponse })._httpMessage?.headersSent;
  if (err.code === 'ECONNRESET' || !socket.writable || busy) {
    socket.destroy();
    return;
  }
  const error = clientErrorOf(err);
  const requestId = randomUUID();
  logger?.info({ requestId, code: err.code, status: error.status }, 'request refused by the HTTP parser');
  const body = JSON.stringify({ ...error.toJSON(), requestId });
  socket.end(
    `HTTP/1.1 ${error.status} ${http.STATUS_CODES[error.status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
  // The answer is flushed before the connection goes; a client that never reads it is not waited for.
  const gone = setTimeout(() => socket.destroy(), 5_000).unref();
  socket.once('close', () => clearTimeout(gone));
}
