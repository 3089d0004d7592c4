/**
 * Live pages: event streams that tell an open page its data changed, so it
 * re-reads instead of polling. One stream per page: a registration's (the
 * student page, the staff page of one student) or every registration's (the
 * staff lists and the dashboard). Events are pointers (numbers and keys); the
 * page re-reads through its usual route. Notices come from the projection
 * through PostgreSQL (src/live/changes.ts), so a change written by the worker
 * reaches every gateway behind the load balancer.
 *
 * Authorisation is that of the reads behind the pages: the registration's
 * student or staff for one registration, staff for all. EventSource sends
 * cookies only, so staff present a stream token (`POST /api/events/token`)
 * in the URL, or their session cookie once they have one.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { filledText, text } from '../../text';
import { authorize } from '../auth/authenticate';
import type { Access, Principal } from '../auth/principal';
import type { RouterContext } from '../context';
import { AppError, ErrorCode } from '../errors';
import { lastEventId, openEventStream, wantsEventStream } from '../live/event-stream';
import { StreamCaps } from '../live/stream-caps';
import { signStreamToken, streamTokenPrincipal } from '../live/stream-token';
import { route, SENT } from '../route';
import { RegistrationParams } from '../schemas';
import { latestChangeNo, type ChangeFeed } from '../../live/changes';

/** When a client refused at the stream cap may try again. */
const STREAM_RETRY_AFTER_SECONDS = 30;

const StreamQuery = z.object({
  stream_token: text({ multiline: true })
    .max(2000)
    .optional()
    .meta({ description: 'A staff stream token (POST /api/events/token); EventSource cannot send an Authorization header.' }),
});

const streamContent = (json: z.ZodType, events: string) => ({
  'text/event-stream': { schema: z.string().meta({ description: events }) },
  'application/json': { schema: json },
});

export function liveRouter(ctx: RouterContext): Router {
  const { kit, prisma, config } = ctx;
  const router = Router();
  const caps = new StreamCaps({ perPrincipal: config.EVENT_STREAMS_PER_PRINCIPAL, perAddress: config.EVENT_STREAMS_PER_ADDRESS });
  /** A place under the caps for a stream about to open; a refusal tells the client when to try again. */
  const place = (who: Principal, req: Request, res: Response): (() => void) => {
    try {
      return caps.take(who, req.ip ?? req.socket.remoteAddress ?? 'unknown');
    } catch (e) {
      res.setHeader('Retry-After', String(STREAM_RETRY_AFTER_SECONDS));
      throw e;
    }
  };

  /** The caller as the route helper authenticated it, else the stream token's staff member; then the reads' own rule. */
  async function reader(req: Request, principal: Principal | undefined, token: string | undefined, access: Access, applicationNo?: string): Promise<Principal> {
    const who = principal ?? (token ? await streamTokenPrincipal(ctx, token) : undefined);
    authorize(who, access, applicationNo);
    return who!;
  }

  const feed = (): ChangeFeed => {
    if (!ctx.changes) throw new AppError(ErrorCode.NOT_READY, 'Live updates are not available on this gateway; poll instead.');
    return ctx.changes;
  };

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/events/token',
      tags: ['live'],
      summary: 'A stream token for the staff pages’ event streams',
      description:
        'EventSource sends no Authorization header; the token goes into the stream URL as `stream_token`. It opens streams only, lasts SESSION_TTL_HOURS, and stops working when the key is revoked. For API keys only: a single sign-on session (403 here) opens the streams with its cookie.',
      access: 'staff',
      response: z.object({ streamToken: z.string(), expiresAt: z.string() }).meta({ id: 'StreamToken' }),
    },
    async ({ principal }) => {
      if (principal.kind !== 'staff') throw new AppError(ErrorCode.FORBIDDEN, 'Registry staff only.');
      // A token names an API key, checked against revocation at each connection; a single sign-on
      // session has no key, and its cookie opens the streams by itself.
      if (principal.via !== 'apiKey') throw new AppError(ErrorCode.FORBIDDEN, 'A single sign-on session needs no stream token: the streams accept its cookie.');
      const { token, expiresAt } = await signStreamToken(config, principal.keyId);
      return { streamToken: token, expiresAt: expiresAt.toISOString() };
    },
  );

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/registrations/:applicationNo/events',
      tags: ['live'],
      summary: 'Event stream of one registration’s changes',
      description:
        'With `Accept: text/event-stream` (EventSource): a `change` event `{ seq }` whenever the projection stores a newer change; the event id is the sequence number, and a reconnection with `Last-Event-ID` gets the latest at once if it moved meanwhile. ' +
        'Otherwise one JSON answer with the sequence number now projected. For the registration’s student (session cookie) or staff (API key or `stream_token`).',
      access: 'public',
      params: RegistrationParams,
      query: StreamQuery,
      responseContent: streamContent(z.object({ seq: z.number().int() }), 'Server-Sent Events: `change` with `{ seq }`, id = seq.'),
      errors: [ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.REGISTRATION_NOT_FOUND, ErrorCode.RATE_LIMITED, ErrorCode.NOT_READY],
    },
    async ({ params, query, principal, req, res }) => {
      const who = await reader(req, principal, query.stream_token, 'ownerOrStaff', params.applicationNo);
      const no = params.applicationNo;
      const projected = async () => (await prisma.registration.findUnique({ where: { applicationNo: no }, select: { seq: true } }))?.seq;
      if (!wantsEventStream(req)) {
        const seq = await projected();
        if (seq === undefined) throw new AppError(ErrorCode.REGISTRATION_NOT_FOUND, `No registration ${no}.`);
        return { seq } as never;
      }
      const changes = feed();
      const release = place(who, req, res);
      let sent = lastEventId(req) ?? -1;
      let stream: ReturnType<typeof openEventStream> | undefined;
      const sendIfNewer = (seq: number | undefined) => {
        if (!stream || seq === undefined || seq <= sent) return;
        sent = seq;
        stream.send({ id: seq, type: 'change', data: { seq } });
      };
      // Listen before reading the current number, so a change committed in between is not missed.
      const unsubscribe = await changes.subscribe((notice) => {
        if (notice === 'closed') stream?.end();
        else if (notice === 'resync') void projected().then(sendIfNewer, () => undefined);
        else if (notice.applicationNo === no) sendIfNewer(notice.seq);
      });
      try {
        const seq = await projected();
        if (seq === undefined) throw new AppError(ErrorCode.REGISTRATION_NOT_FOUND, `No registration ${no}.`);
        stream = openEventStream(req, res);
        stream.onClose(unsubscribe);
        stream.onClose(release);
        sendIfNewer(seq);
      } catch (e) {
        unsubscribe();
        release();
        throw e;
      }
      return SENT;
    },
  );

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/events',
      tags: ['live'],
      summary: 'Event stream of every registration’s changes (staff pages)',
      description:
        'With `Accept: text/event-stream`: a `change` event `{ applicationNo, seq, cohortId, status, late? }` per projected change (narrowed to `cohortId` if given); the event id is the global change number. ' +
        'A reconnection with `Last-Event-ID` behind the latest gets one `change` event `{ resync: true }` (re-read everything). Otherwise one JSON answer with the latest change number. Staff (API key or `stream_token`).',
      access: 'public',
      query: StreamQuery.extend({ cohortId: filledText({ multiline: true }).max(100).optional() }),
      responseContent: streamContent(z.object({ changeNo: z.number().int() }), 'Server-Sent Events: `change` per change, id = change number.'),
      errors: [ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.RATE_LIMITED, ErrorCode.NOT_READY],
    },
    async ({ query, principal, req, res }) => {
      const who = await reader(req, principal, query.stream_token, 'staff');
      if (!wantsEventStream(req)) return { changeNo: await latestChangeNo(prisma) } as never;
      const changes = feed();
      const release = place(who, req, res);
      let stream: ReturnType<typeof openEventStream> | undefined;
      const resync = async () => {
        const latest = await latestChangeNo(prisma);
        stream?.send({ id: latest, type: 'change', data: { resync: true } });
      };
      const unsubscribe = await changes.subscribe((notice) => {
        if (!stream) return;
        if (notice === 'closed') stream.end();
        else if (notice === 'resync') void resync().catch(() => undefined);
        else if (!query.cohortId || notice.cohortId === query.cohortId) stream.send({ id: notice.changeNo, type: 'change', data: notice });
      });
      try {
        const latest = await latestChangeNo(prisma);
        const last = lastEventId(req);
        stream = openEventStream(req, res);
        stream.onClose(unsubscribe);
        stream.onClose(release);
        if (last !== undefined && latest > last) stream.send({ id: latest, type: 'change', data: { resync: true } });
        else stream.mark(latest);
      } catch (e) {
        unsubscribe();
        release();
        throw e;
      }
      return SENT;
    },
  );

  return router;
}
