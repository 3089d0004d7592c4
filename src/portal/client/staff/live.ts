/**
 * The staff pages kept current. Each page follows one event stream: one
 * registration's on its own page, every registration's on the lists and the
 * dashboard. A change redraws the page in place (scroll and focus kept), but
 * never under the user's hands: while a dialog is open or a field has the
 * focus, the redraw waits. The streams need a stream token (EventSource sends
 * no Authorization header), asked for once with the staff key; a single
 * sign-on session's cookie opens them without one.
 */
import type { StaffApi } from '../api';
import { unawaited } from '../dom';
import { follow, type Live } from '../live';

/** Fallback while a stream is down: the staff pages re-read this often. */
const POLL_MS = 15_000;
/** Changes come in bursts (an import, a reviewer's run of decisions): one redraw per burst. */
const LIST_SETTLE_MS = 1_000;
const DETAIL_SETTLE_MS = 150;
const BUSY_RETRY_MS = 1_000;

export type StaffStream = { kind: 'registration'; applicationNo: string; shownSeq: number } | { kind: 'all'; cohortId?: string } | { kind: 'none' };

export interface StaffLive {
  /** Follows the page now on screen (closing the previous page's stream). */
  follow(stream: StaffStream): void;
  stop(): void;
}

export function staffLive(api: () => StaffApi, redraw: () => Promise<void>): StaffLive {
  /** The sequence number the open registration page shows (a change event not newer needs no redraw). */
  let shown = 0;
  let token: Promise<string | undefined> | undefined;
  let current: Live | undefined;
  let currentKey = '';
  let timer: number | undefined;

  const streamUrl = async (path: string, query: Record<string, string | undefined> = {}): Promise<string> => {
    // A refused stream asks again (the token may have expired, or the key been revoked and replaced).
    if (current && !current.open) token = undefined;
    token ??= api().streamToken();
    const t = await token.catch((e) => {
      token = undefined;
      throw e;
    });
    const params = new URLSearchParams(Object.entries({ ...query, stream_token: t }).filter((e): e is [string, string] => e[1] !== undefined));
    return `${path}?${params}`;
  };

  const userIsBusy = () => {
    const active = document.activeElement;
    return !!document.querySelector('dialog[open], [aria-busy="true"]') || !!active?.matches('input, select, textarea, [contenteditable="true"]');
  };

  const schedule = (ms: number) => {
    if (timer !== undefined) return;
    timer = window.setTimeout(
      unawaited(async () => {
        timer = undefined;
        if (userIsBusy()) return schedule(BUSY_RETRY_MS);
        await redraw().catch(() => undefined);
      }),
      ms,
    );
  };

  const stopStream = () => {
    current?.close();
    current = undefined;
    currentKey = '';
    clearTimeout(timer);
    timer = undefined;
  };

  return {
    follow(stream) {
      const key = stream.kind === 'registration' ? `r:${stream.applicationNo}` : stream.kind === 'all' ? `a:${stream.cohortId ?? ''}` : '';
      if (stream.kind === 'registration' && key === currentKey) {
        shown = stream.shownSeq;
        return;
      }
      if (key === currentKey) return;
      stopStream();
      currentKey = key;
      if (stream.kind === 'none') return;
      if (stream.kind === 'registration') {
        shown = stream.shownSeq;
        const no = stream.applicationNo;
        current = follow<{ seq: number }>({
          url: () => streamUrl(`/api/registrations/${encodeURIComponent(no)}/events`),
          onChange: ({ seq }) => void (seq > shown && schedule(DETAIL_SETTLE_MS)),
          poll: () => schedule(0),
          pollMs: POLL_MS,
        });
      } else {
        current = follow<unknown>({
          url: () => streamUrl('/api/events', { cohortId: stream.cohortId }),
          onChange: () => schedule(LIST_SETTLE_MS),
          poll: () => schedule(0),
          pollMs: POLL_MS,
        });
      }
    },
    stop: stopStream,
  };
}
