/**
 * Keeps a page current: one EventSource per page on the gateway's event stream
 * (src/gateway/routes/live.ts), which says when the page's data changed; the
 * page then re-reads it through its usual request. The browser reconnects by
 * itself and sends Last-Event-ID, so the gateway can tell it what it missed.
 * While the stream is not open (a proxy that buffers, a gateway without live
 * updates, a network change), the page polls as it did before.
 */
import { unawaited } from './dom';

export interface LiveOptions<T> {
  /** The event stream, without its origin. */
  url: string | (() => Promise<string> | string);
  /** A `change` event's data. */
  onChange: (data: T) => void;
  /** The fallback: one re-read, while the stream is not open. */
  poll: () => void | Promise<void>;
  pollMs: number;
  onState?: (state: 'live' | 'polling') => void;
}

export interface Live {
  /** Whether the stream is open now (then the page does not poll). */
  readonly open: boolean;
  close(): void;
}

/** After the gateway refused the stream (EventSource gives up on an HTTP error), try a new one after this long. */
const REOPEN_MS = 30_000;

export function follow<T>(opts: LiveOptions<T>): Live {
  let source: EventSource | undefined;
  let pollTimer: number | undefined;
  let reopenTimer: number | undefined;
  let closed = false;
  let state: 'live' | 'polling' | undefined;

  const setState = (s: 'live' | 'polling') => {
    if (s !== state) opts.onState?.((state = s));
  };
  const stopPolling = () => {
    clearTimeout(pollTimer);
    pollTimer = undefined;
  };
  const schedulePoll = () => {
    if (closed || pollTimer !== undefined || source?.readyState === EventSource.OPEN) return;
    setState('polling');
    pollTimer = window.setTimeout(
      unawaited(async () => {
        pollTimer = undefined;
        if (document.visibilityState === 'visible') await Promise.resolve(opts.poll()).catch(() => undefined);
        schedulePoll();
      }),
      opts.pollMs,
    );
  };

  async function openSource(): Promise<void> {
    if (closed || typeof EventSource === 'undefined') return schedulePoll();
    let url: string;
    try {
      url = typeof opts.url === 'string' ? opts.url : await opts.url();
    } catch {
      return reopenLater();
    }
    if (closed) return;
    const es = (source = new EventSource(url));
    es.addEventListener('open', () => {
      stopPolling();
      setState('live');
    });
    es.addEventListener('change', (e) => {
      try {
        opts.onChange(JSON.parse((e as MessageEvent<string>).data) as T);
      } catch {
        // A malformed event changes nothing; the next one, or the poll, will.
      }
    });
    es.addEventListener('error', () => {
      // CONNECTING: the browser reconnects by itself (with Last-Event-ID); poll meanwhile.
      // CLOSED: it gave up (the gateway answered with an error): poll, and try a new stream later.
      schedulePoll();
      if (es.readyState === EventSource.CLOSED) reopenLater();
    });
  }

  function reopenLater(): void {
    source?.close();
    source = undefined;
    schedulePoll();
    clearTimeout(reopenTimer);
    if (!closed) reopenTimer = window.setTimeout(() => void openSource(), REOPEN_MS);
  }

  void openSource();
  return {
    get open() {
      return source?.readyState === EventSource.OPEN;
    },
    close() {
      closed = true;
      stopPolling();
      clearTimeout(reopenTimer);
      source?.close();
      source = undefined;
    },
  };
}
