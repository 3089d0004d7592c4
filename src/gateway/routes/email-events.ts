/**
 * Resend's email events (POST /api/webhooks/email): delivered, delayed, bounced,
 * marked as spam. The signature is Resend's own (Svix headers, checked by the
 * SDK's `resend.webhooks.verify` with RESEND_WEBHOOK_SECRET); without that
 * secret every event is refused. Each `svix-id` is recorded once (EmailEvent):
 * Resend retries until it gets a 2xx, so a repeat is answered 200 and changes
 * nothing.
 *
 * Each event is matched to its email by Resend's email id (the email log's
 * provider id) or by the idempotency key the email carried as a tag, and its
 * delivery state is kept per email (EmailDelivery). An email we never sent is
 * recorded unmatched and answered 2xx too. A hard bounce or a spam complaint of
 * an email of a registration becomes the workflow's emailUndeliverable signal,
 * which flags the registration when the personal email was among its recipients
 * (docs/gateway.md, "Email events"). These two tables have this file as their
 * only writer.
 */
import { Router } from 'express';
import { Resend } from 'resend';
import { Prisma } from '@prisma/client';
import { z } from 'zod';
import { emailUndeliverableSignal, type EmailProblem } from '../../../workflows/registration/api';
import { EMAIL_KEY_TAG, decodeEmailKey } from '../../email/resend-events';
import type { PrismaClient } from '../../db/prisma';
import type { RouterContext } from '../context';
import { AppError, ErrorCode } from '../errors';
import { route, type RawBodyRequest } from '../route';

/** Who the workflow records the event as coming from. */
const ACTOR = 'system:resend';

const EmailEventBody = z
  .object({
    type: z.string().min(1).max(100),
    created_at: z.string().max(100),
    data: z
      .looseObject({
        email_id: z.string().max(200).optional(),
        to: z.array(z.string().max(320)).max(100).optional(),
        subject: z.string().max(1000).optional(),
        tags: z.record(z.string(), z.string().max(1000)).optional(),
        bounce: z
          .looseObject({ type: z.string().max(100).optional(), subType: z.string().max(100).optional(), message: z.string().max(2000).optional() })
          .optional(),
      })
      .meta({ description: "Resend's event data; only the fields read here are described." }),
  })
  .meta({ id: 'EmailEvent', description: 'An email event as Resend sends it (https://resend.com/docs/dashboard/webhooks/event-types).' });

const EmailEventAccepted = z
  .object({
    accepted: z.literal(true),
    eventId: z.string(),
    matched: z.boolean().meta({ description: 'false: no email of ours has this id or key (recorded, nothing else done).' }),
    duplicate: z.boolean().optional().meta({ description: 'true: this svix-id was accepted before; nothing changed.' }),
  })
  .meta({ id: 'EmailEventAccepted' });

/** Delivery states, in the order an email can move through them: a later event never moves an email back. */
const STATE_OF: Record<string, { state: string; rank: number } | undefined> = {
  'email.delivery_delayed': { state: 'DELAYED', rank: 1 },
  'email.delivered': { state: 'DELIVERED', rank: 2 },
  'email.bounced': { state: 'BOUNCED', rank: 3 },
  'email.complained': { state: 'COMPLAINED', rank: 3 },
};
const RANK: Record<string, number> = { DELAYED: 1, DELIVERED: 2, BOUNCED: 3, COMPLAINED: 3 };

/** A hard bounce (Resend's type Permanent) or a complaint: the address should not be mailed again. */
function problemOf(event: z.infer<typeof EmailEventBody>): EmailProblem | undefined {
  if (event.type === 'email.complained') return 'COMPLAINED';
  if (event.type === 'email.bounced' && (event.data.bounce?.type ?? 'Permanent') === 'Permanent') return 'BOUNCED';
  return undefined;
}

interface Match {
  idempotencyKey: string;
  registrationNo: string | null;
  kind: string;
}

/** The email log row of this event: by Resend's id, else by the key the email carried as a tag. */
async function matchEmail(prisma: PrismaClient, providerId: string | undefined, tag: string | undefined): Promise<Match | undefined> {
  const select = { idempotencyKey: true, registrationNo: true, kind: true } as const;
  if (providerId) {
    const byId = await prisma.emailLog.findFirst({ where: { providerId }, select });
    if (byId) return byId;
  }
  if (tag) {
    const key = decodeEmailKey(tag);
    const byKey = await prisma.emailLog.findUnique({ where: { idempotencyKey: key }, select });
    if (byKey) return byKey;
  }
  return undefined;
}

/** `registration-<applicationNo>:<KIND>:<n>` names its registration even before the log row has it. */
const applicationNoOf = (key: string): string | null => /^registration-([^:]+):/.exec(key)?.[1] ?? null;

export function emailEventsRouter({ kit, config, prisma, limits, registrations }: RouterContext): Router {
  const router = Router();
  // The SDK's verifier: the API key is not used for it (the outbox has none).
  const resend = new Resend(config.RESEND_API_KEY ?? 'webhook-verification-only');
  const guard = (req: RawBodyRequest) => {
    const secret = config.RESEND_WEBHOOK_SECRET;
    if (!secret) throw new AppError(ErrorCode.BAD_SIGNATURE, 'Email events are not accepted: RESEND_WEBHOOK_SECRET is not set.');
    const [id, timestamp, signature] = ['svix-id', 'svix-timestamp', 'svix-signature'].map((h) => req.get(h));
    if (!id || !timestamp || !signature) throw new AppError(ErrorCode.BAD_SIGNATURE, 'Missing svix-id, svix-timestamp or svix-signature header.');
    try {
      resend.webhooks.verify({ payload: req.rawBody?.toString('utf8') ?? '', headers: { id, timestamp, signature }, webhookSecret: secret });
    } catch (e) {
      const stale = /timestamp too (old|new)/i.test(String((e as Error).message));
      if (stale) throw new AppError(ErrorCode.STALE_WEBHOOK, 'The delivery is more than 5 minutes from now.', { toleranceSeconds: 300 });
      throw new AppError(ErrorCode.BAD_SIGNATURE, 'The signature does not match the body.');
    }
  };

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/webhooks/email',
      tags: ['webhooks'],
      summary: 'Resend: what became of an email (delivered, delayed, bounced, marked as spam)',
      description:
        'Signed by Resend (Svix headers). Every event is answered 2xx once its signature holds, matched or not; the same svix-id again is answered 200 with duplicate: true. A hard bounce or spam complaint of the personal email flags the registration and stops reminders to that address.',
      access: 'webhook',
      body: EmailEventBody,
      status: 200,
      response: EmailEventAccepted,
      errors: [ErrorCode.BAD_SIGNATURE, ErrorCode.STALE_WEBHOOK, ErrorCode.RATE_LIMITED, ErrorCode.WORKFLOW_UNAVAILABLE],
      before: [limits.webhook],
      guard,
    },
    async ({ body, req }) => {
      const eventId = req.get('svix-id')!;
      const providerId = body.data.email_id;
      const match = await matchEmail(prisma, providerId, body.data.tags?.[EMAIL_KEY_TAG]);
      const registrationNo = match ? (match.registrationNo ?? applicationNoOf(match.idempotencyKey)) : null;
      const at = Number.isNaN(Date.parse(body.created_at)) ? new Date() : new Date(body.created_at);
      try {
        await prisma.emailEvent.create({
          data: {
            id: eventId,
            type: body.type,
            providerId: providerId ?? null,
            idempotencyKey: match?.idempotencyKey ?? null,
            registrationNo,
            at,
            data: body as unknown as Prisma.InputJsonValue,
          },
        });
      } catch (e) {
        if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002')
          return { accepted: true as const, eventId, matched: !!match, duplicate: true };
        throw e;
      }
      try {
        const next = STATE_OF[body.type];
        if (providerId && next) await recordDelivery(prisma, providerId, next.state, body, match, registrationNo, at);
        const problem = problemOf(body);
        if (problem && match && registrationNo) {
          const bounce = body.data.bounce;
          await registrations
            .signal(registrationNo, emailUndeliverableSignal, {
              actor: ACTOR,
              problem,
              recipients: body.data.to ?? [],
              providerId: providerId ?? '',
              emailKey: match.idempotencyKey,
              ...(bounce ? { detail: [bounce.type, bounce.subType, bounce.message].filter(Boolean).join(': ') } : {}),
            })
            .catch((e: unknown) => {
              // A registration that has closed needs no flag: the delivery state above still says what happened.
              if (e instanceof AppError && (e.details.reason === 'Closed' || e.code === ErrorCode.REGISTRATION_NOT_FOUND)) return;
              throw e;
            });
        }
        return { accepted: true as const, eventId, matched: !!match };
      } catch (e) {
        // Not done: give the svix-id back so Resend's retry gets through.
        await prisma.emailEvent.delete({ where: { id: eventId } }).catch(() => {});
        throw e;
      }
    },
  );
  return router;
}

/** The email's delivery state, moved only forward (a late "delayed" never hides a delivery or a bounce). */
async function recordDelivery(
  prisma: PrismaClient,
  providerId: string,
  state: string,
  event: z.infer<typeof EmailEventBody>,
  match: Match | undefined,
  registrationNo: string | null,
  at: Date,
): Promise<void> {
  const bounce = event.data.bounce;
  const fields = {
    state,
    bounceType: bounce?.type ?? null,
    detail: bounce?.message ?? null,
    lastEventAt: at,
  };
  const identity = {
    idempotencyKey: match?.idempotencyKey ?? null,
    registrationNo,
    kind: match?.kind ?? null,
    recipients: event.data.to ?? [],
  };
  await prisma.emailDelivery.createMany({ data: [{ providerId, ...identity, ...fields }], skipDuplicates: true });
  const lower = Object.entries(RANK)
    .filter(([, rank]) => rank < RANK[state]!)
    .map(([s]) => s);
  // Created just now, or already there: move it forward when this state ranks higher.
  await prisma.emailDelivery.updateMany({ where: { providerId, state: { in: lower } }, data: { ...identity, ...fields } });
}
