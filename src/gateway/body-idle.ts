/**
 * The body-idle timeout: a request body that stops arriving (no byte for
 * HTTP_BODY_IDLE_TIMEOUT_SECONDS) is answered 408 and its connection closed, so
 * an abandoned upload frees its connection and staged file long before the
 * whole-request timeout, while a slow but moving one runs on. It watches the
 * socket only while the body is being received and read: the time a handler
 * takes before it reads the body, or to answer after it, is not the client's.
 * docs/operations.md, Timeouts and caps.
 */
import type { RequestHandler } from 'express';
import { AppError, ErrorCode } from './errors';

export function bodyIdleTimeout(idleMs: number): RequestHandler {
  return (req, res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (!hasBody || req.complete) return next();
    const socket = req.socket;
    // The socket's timeout is emitted on the response (always there, unlike the request's, which stops once the
    // whole body has arrived): with a listener, Node leaves the connection to this middleware.
    socket.setTimeout(idleMs);
    const stop = () => {
      res.off('timeout', onIdle);
      if (!socket.destroyed) socket.setTimeout(0);
    };
    const onIdle = () => {
      // The whole body has arrived, though the handler has not read it all: the client is done.
      if (req.complete) return stop();
      // Bytes the gateway has not read yet: a handler still deciding (waiting for the read model, say), or a
      // reader held back by its own writes. The client is not the one waiting.
      if (req.readableLength > 0) {
        socket.setTimeout(idleMs);
        return;
      }
      stop();
      if (res.headersSent) {
        req.destroy();
        socket.destroy();
        return;
      }
      const error = new AppError(ErrorCode.REQUEST_TIMEOUT, `The request body stopped arriving for ${Math.round(idleMs / 1000)} s; send it again.`);
      res.status(error.status).setHeader('Connection', 'close');
      res.json({ ...error.toJSON(), requestId: String(req.id) });
      // The handler still waiting for the rest of the body must see it end: a request whose answer is
      // finished is no longer destroyed with its socket, so it is destroyed here (its 'close' cleans up).
      res.once('finish', () => {
        req.destroy();
        socket.destroy();
      });
    };
    res.on('timeout', onIdle);
    req.once('end', stop);
    req.once('close', stop);
    next();
  };
}
