/**
 * A Server-Sent Events response (text/event-stream), as the browser's
 * EventSource reads it: `retry` tells it how soon to reconnect, comments keep
 * idle proxies from closing the connection, and each stream ends after a while
 * so the browser reconnects, which authenticates the reader again (a revoked
 * key or an ended session stops receiving within that time).
 */
import type { Request, Response } from 'express';

const RECONNECT_MS = 2_000;
const HEARTBEAT_MS = 25_000;
const MAX_LIFETIME_MS = 15 * 60_000;

export interface EventStream {
  /** Sends one event; `id` becomes the browser's Last-Event-ID. */
  send(event: { id: number; type?: string; data?: unknown }): void;
  /** Sets the reconnecting browser's Last-Event-ID without waking the page (an event without data is not dispatched). */
  mark(id: number): void;
  /** Ends the stream (the browser reconnects after `retry`). */
  end(): void;
  /** Runs when the stream ends, whoever ends it. */
  onClose(fn: () => void): void;
  readonly closed: boolean;
}

/** The Last-Event-ID a reconnecting EventSource sends (undefined on a first connection or a bad value). */
export function lastEventId(req: Request): number | undefined {
  const raw = req.headers['last-event-id'];
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) return undefined;
  return Number(raw);
}

/** Whether the client asked for a stream (EventSource sends Accept: text/event-stream) rather than one JSON answer. */
export const wantsEventStream = (req: Request) => req.accepts(['application/json', 'text/event-stream']) === 'text/event-stream';

export function openEventStream(req: Request, res: Response): EventStream {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  // no-transform: a compressing proxy would hold events back until its buffer fills.
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  req.socket.setNoDelay(true);
  res.write(`retry: ${RECONNECT_MS}\n\n`);

  let closed = false;
  const closers: Array<() => void> = [];
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const lifetime = setTimeout(() => res.end(), MAX_LIFETIME_MS);
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    clearTimeout(lifetime);
    for (const fn of closers.splice(0)) fn();
  };
  res.on('close', close);
  res.on('finish', close);

  return {
    send({ id, type, data }) {
      if (closed) return;
      res.write(`id: ${id}\n${type ? `event: ${type}\n` : ''}data: ${JSON.stringify(data ?? {})}\n\n`);
    },
    mark(id) {
      if (!closed) res.write(`id: ${id}\n\n`);
    },
    end() {
      res.end();
    },
    onClose(fn) {
      if (closed) fn();
      else closers.push(fn);
    },
    get closed() {
      return closed;
    },
  };
}
