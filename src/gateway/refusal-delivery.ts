/**
 * A refusal sent before the request's body was read (no such item, another
 * student's registration, a malformed part) must reach a client that is still
 * sending that body. Closing the connection at once makes the client's next
 * write fail (EPIPE, a reset) and many clients then report the network error
 * instead of the answer. So the rest of the body is read and dropped, up to
 * the largest body the gateway accepts, and the connection stays open; only a
 * body known to be larger than that (its Content-Length, or a refusal for its
 * size) is answered with `Connection: close`, which Node carries out once the
 * answer is flushed. docs/operations.md, Timeouts and caps.
 */
import type { Request, Response } from 'express';
import { ErrorCode, type AppError } from './errors';
import { ENVELOPE_BYTES } from './multipart';
import { LARGEST_UPLOAD_BYTES } from '../uploads/rules';

/** The most of a refused body the gateway reads to deliver its answer. */
const DRAIN_LIMIT_BYTES = LARGEST_UPLOAD_BYTES + ENVELOPE_BYTES;

export function deliverRefusal(req: Request, res: Response, error: AppError): void {
  if (req.complete || req.destroyed) return;
  const declared = Number(req.headers['content-length']);
  const tooLarge = error.code === ErrorCode.PAYLOAD_TOO_LARGE || error.code === ErrorCode.QUOTA_EXCEEDED;
  if (tooLarge || (Number.isFinite(declared) && declared > DRAIN_LIMIT_BYTES)) {
    res.setHeader('Connection', 'close');
    return;
  }
  // After the answer: Node's own handling of the finished response runs first (it may resume an unread body).
  res.once('finish', () => {
    let read = 0;
    req.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > DRAIN_LIMIT_BYTES) req.socket.destroy();
    });
    req.resume();
  });
}
