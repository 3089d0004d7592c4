/**
 * Events from other systems, as signed webhooks: the identity provider says a
 * student's university account is active, the payment service says the
 * tuition fee is paid. Each becomes a signal to the student's workflow. A
 * delivery id is accepted once (WebhookDelivery table); the claim is dropped
 * again if the signal fails, so the sender's retry still gets through.
 *
 * An event for a registration that already reached its outcome is never
 * dropped: the workflow records it while it is open, and once it has closed
 * lateEventWorkflow does (routes/late-events.ts). Either way the answer is
 * 202 with `recordedLate: true` and the delivery stays claimed, so the same
 * delivery sent again is a replay (409), never recorded twice.
 */
import { Router } from 'express';
import { Prisma } from '@prisma/client';
import { z } from 'zod';
import { accountActivatedSignal, paymentConfirmedSignal } from '../../../workflows/registration/api';
import type { RouterContext } from '../context';
import { AppError, ErrorCode } from '../errors';
import type { LateEventKind } from '../../../workflows/registration/types';
import { recordLateAfterClose } from './late-events';
import { route, type RawBodyRequest } from '../route';
import { ApplicationNo } from '../schemas';
import { text } from '../../text';
import { SIGNATURE_HEADER, verifyWebhook } from '../webhooks/signature';

const DeliveryId = text().min(1).max(200).meta({ description: 'Unique per delivery; a second delivery with the same id is refused (409).' });
const iso = z.iso.datetime({ offset: true });

const IdentityEventSchema = z
  .object({
    id: DeliveryId,
    type: z.literal('account.activated'),
    applicationNo: ApplicationNo,
    universityEmail: z.email(),
    activatedAt: iso.optional(),
  })
  .meta({ id: 'IdentityEvent' });

const PaymentEventSchema = z
  .object({
    id: DeliveryId,
    type: z.literal('payment.confirmed'),
    applicationNo: ApplicationNo,
    paymentRef: text().min(1).max(200),
    amount: z.number().nonnegative().optional(),
    currency: z.string().regex(/^[A-Z]{3}$/).optional(),
    paidAt: iso.optional(),
  })
  .meta({ id: 'PaymentEvent' });

const Accepted = z
  .object({
    accepted: z.literal(true),
    deliveryId: z.string(),
    recordedLate: z.boolean().optional().meta({
      description:
        'true: the registration had already reached its outcome (COMPLETED or WITHDRAWN). The event changed nothing; it is recorded in the audit trail and the late-events list, and the registry was emailed. Not a replay.',
    }),
  })
  .meta({ id: 'WebhookAccepted' });

const CONCLUDED = ['COMPLETED', 'WITHDRAWN'];

const WEBHOOK_SOURCES = { identity: 'system:idp', payments: 'system:payment' } as const;

export function webhookRouter({ kit, config, prisma, limits, registrations, temporal }: RouterContext): Router {
  const router = Router();
  const guard = (req: RawBodyRequest) =>
    verifyWebhook({ secret: config.WEBHOOK_SECRET, toleranceSeconds: config.WEBHOOK_TOLERANCE_SECONDS }, req.get(SIGNATURE_HEADER), req.rawBody);
  const errors = [ErrorCode.BAD_SIGNATURE, ErrorCode.STALE_WEBHOOK, ErrorCode.WEBHOOK_REPLAYED, ErrorCode.REGISTRATION_NOT_FOUND, ErrorCode.INVALID_TRANSITION, ErrorCode.RATE_LIMITED, ErrorCode.WORKFLOW_UNAVAILABLE];

  /**
   * Claims the delivery id, runs `deliver`, and gives the claim back if delivering failed. A registration
   * whose workflow has closed gets the event recorded as late instead, and the claim is kept.
   */
  const once = async (
    source: string,
    id: string,
    late: { applicationNo: string; event: LateEventKind; actor: string; data: Record<string, unknown> },
    deliver: () => Promise<void>,
  ) => {
    const key = `${source}:${id}`;
    try {
      await prisma.webhookDelivery.create({ data: { id: key, source } });
    } catch (e) {
      if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') {
        throw new AppError(ErrorCode.WEBHOOK_REPLAYED, `Delivery ${id} was already accepted.`, { deliveryId: id });
      }
      throw e;
    }
    try {
      // The read model's status tells whether the workflow will take this as a late event (it records it either way).
      const row = await prisma.registration.findUnique({ where: { applicationNo: late.applicationNo }, select: { status: true } });
      try {
        await deliver();
      } catch (e) {
        if (!(e instanceof AppError && e.details.reason === 'Closed')) throw e;
        await recordLateAfterClose(temporal, config.TEMPORAL_TASK_QUEUE, { ...late, deliveryKey: key });
        return { accepted: true as const, deliveryId: id, recordedLate: true };
      }
      return { accepted: true as const, deliveryId: id, ...(row && CONCLUDED.includes(row.status) ? { recordedLate: true } : {}) };
    } catch (e) {
      await prisma.webhookDelivery.delete({ where: { id: key } }).catch(() => {});
      throw e;
    }
  };

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/webhooks/identity',
      tags: ['webhooks'],
      summary: 'Identity provider: a student activated their university account',
      access: 'webhook',
      body: IdentityEventSchema,
      status: 202,
      response: Accepted,
      errors,
      before: [limits.webhook],
      guard,
    },
    async ({ body }) =>
      once('identity', body.id, { applicationNo: body.applicationNo, event: 'ACTIVATION', actor: WEBHOOK_SOURCES.identity, data: { universityEmail: body.universityEmail, ...(body.activatedAt ? { activatedAt: body.activatedAt } : {}) } }, () =>
        registrations.signal(body.applicationNo, accountActivatedSignal, {
          actor: WEBHOOK_SOURCES.identity,
          universityEmail: body.universityEmail,
          ...(body.activatedAt ? { activatedAt: new Date(body.activatedAt).toISOString() } : {}),
        }),
      ),
  );

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/webhooks/payments',
      tags: ['webhooks'],
      summary: 'Payment service: a student\'s tuition fee is paid',
      access: 'webhook',
      body: PaymentEventSchema,
      status: 202,
      response: Accepted,
      errors,
      before: [limits.webhook],
      guard,
    },
    async ({ body }) => {
      const { id: _id, type: _type, applicationNo: _no, ...payment } = body;
      return once('payments', body.id, { applicationNo: body.applicationNo, event: 'PAYMENT', actor: WEBHOOK_SOURCES.payments, data: payment }, () =>
        registrations.signal(body.applicationNo, paymentConfirmedSignal, {
          actor: WEBHOOK_SOURCES.payments,
          paymentRef: body.paymentRef,
          ...(body.amount !== undefined ? { amount: body.amount } : {}),
          ...(body.currency ? { currency: body.currency } : {}),
          ...(body.paidAt ? { paidAt: new Date(body.paidAt).toISOString() } : {}),
        }),
      );
    },
  );

  return router;
}
