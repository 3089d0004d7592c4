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
    universityEmail: z
      .email()
      .toLowerCase()
      .meta({ description: 'Stored in lower case; one registration per university account (409 UNIVERSITY_EMAIL_IN_USE otherwise).' }),
    activatedAt: iso.optional(),
  })
  .meta({ id: 'IdentityEvent' });

const PaymentEventSchema = z
  .object({
    id: DeliveryId,
    type: z.literal('payment.confirmed'),
    applicationNo: ApplicationNo,
    paymentRef: text().min(1).max(200),
    amount: z.number().positive().optional().meta({ description: 'What the student paid; more than zero (a payment of nothing settles nothing).' }),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional(),
    paidAt: iso.optional().meta({
      description:
        'When the student paid, as the provider records it: it decides whether the payment was on time (docs/domain.md). Never later than the delivery.',
    }),
  })
  // A payment dated after its own arrival would be backdated the other way: refused, and never seen by the workflow.
  .refine((e) => e.paidAt === undefined || Date.parse(e.paidAt) <= Date.now(), {
    path: ['paidAt'],
    message: 'paidAt is later than the delivery: a payment cannot be made in the future',
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

const isoOrOmitted = <K extends string>(key: K, at: string | undefined) => (at ? { [key]: new Date(at).toISOString() } : {}) as Partial<Record<K, string>>;

interface AccountClaim {
  universityEmail: string;
  applicationNo: string;
}

/**
 * Single sign-on finds the registration by its university account, so an account belongs to one registration:
 * the first activation naming it claims it, in the delivery's transaction; another registration's is refused.
 * A claim racing this one waits on its row and then reads it (insert-if-absent, then read).
 */
async function claimAccount(tx: Prisma.TransactionClient, deliveryId: string, { universityEmail, applicationNo }: AccountClaim): Promise<void> {
  await tx.universityAccountClaim.createMany({ data: [{ universityEmail, applicationNo, deliveryId }], skipDuplicates: true });
  const claim = await tx.universityAccountClaim.findUniqueOrThrow({ where: { universityEmail }, select: { applicationNo: true } });
  if (claim.applicationNo !== applicationNo) {
    throw new AppError(ErrorCode.UNIVERSITY_EMAIL_IN_USE, 'This university account is already activated for another registration.', { universityEmail });
  }
}

export function webhookRouter({ kit, config, prisma, limits, registrations, temporal }: RouterContext): Router {
  const router = Router();
  const guard = (req: RawBodyRequest) =>
    verifyWebhook({ secret: config.WEBHOOK_SECRET, toleranceSeconds: config.WEBHOOK_TOLERANCE_SECONDS }, req.get(SIGNATURE_HEADER), req.rawBody);
  const errors = [
    ErrorCode.BAD_SIGNATURE,
    ErrorCode.STALE_WEBHOOK,
    ErrorCode.WEBHOOK_REPLAYED,
    ErrorCode.REGISTRATION_NOT_FOUND,
    ErrorCode.INVALID_TRANSITION,
    ErrorCode.RATE_LIMITED,
    ErrorCode.WORKFLOW_UNAVAILABLE,
  ];

  /**
   * Claims the delivery id (and the university account an activation names), runs `deliver`, and gives the
   * claims back if delivering failed. A registration
   * whose workflow has closed gets the event recorded as late instead, and the claim is kept.
   */
  const once = async (
    source: string,
    id: string,
    late: { applicationNo: string; event: LateEventKind; actor: string; data: Record<string, unknown> },
    deliver: () => Promise<void>,
    account?: AccountClaim,
  ) => {
    const key = `${source}:${id}`;
    try {
      await prisma.$transaction(async (tx) => {
        await tx.webhookDelivery.create({ data: { id: key, source } });
        if (account) await claimAccount(tx, key, account);
      });
    } catch (e) {
      if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') {
        throw new AppError(ErrorCode.WEBHOOK_REPLAYED, `Delivery ${id} was already accepted.`, { deliveryId: id });
      }
      throw e;
    }
    try {
      // The workflow's status tells whether it will take this as a late event (it records it either way). Asked of the
      // workflow, not the read model: an outcome answered a moment ago (a declined offer) may not be projected yet.
      const row = await registrations.status(late.applicationNo).catch(() => undefined);
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

  /** What every webhook shares: signed, rate-limited, answered 202 once its event is recorded. */
  const webhookRoute = {
    method: 'post' as const,
    tags: ['webhooks'],
    access: 'webhook' as const,
    status: 202,
    response: Accepted,
    errors,
    before: [limits.webhook],
    guard,
  };

  route(
    kit,
    router,
    {
      ...webhookRoute,
      path: '/api/webhooks/identity',
      summary: 'Identity provider: a student activated their university account',
      body: IdentityEventSchema,
      errors: [...errors, ErrorCode.UNIVERSITY_EMAIL_IN_USE],
    },
    async ({ body: e }) => {
      const actor = 'system:idp';
      const late = { universityEmail: e.universityEmail, ...(e.activatedAt ? { activatedAt: e.activatedAt } : {}) };
      return once(
        'identity',
        e.id,
        { applicationNo: e.applicationNo, event: 'ACTIVATION', actor, data: late },
        () =>
          registrations.signal(e.applicationNo, accountActivatedSignal, {
            actor,
            universityEmail: e.universityEmail,
            ...isoOrOmitted('activatedAt', e.activatedAt),
          }),
        { universityEmail: e.universityEmail, applicationNo: e.applicationNo },
      );
    },
  );

  route(
    kit,
    router,
    { ...webhookRoute, path: '/api/webhooks/payments', summary: "Payment service: a student's tuition fee is paid", body: PaymentEventSchema },
    async ({ body: e }) => {
      const actor = 'system:payment';
      const { id: _id, type: _type, applicationNo: _no, ...late } = e;
      return once('payments', e.id, { applicationNo: e.applicationNo, event: 'PAYMENT', actor, data: late }, () =>
        registrations.signal(e.applicationNo, paymentConfirmedSignal, {
          actor,
          paymentRef: e.paymentRef,
          ...(e.amount !== undefined ? { amount: e.amount } : {}),
          ...(e.currency ? { currency: e.currency } : {}),
          ...isoOrOmitted('paidAt', e.paidAt),
          // The gateway's clock, once per delivery: the workflow's own clock may be far later (a worker that was down).
          receivedAt: new Date().toISOString(),
        }),
      );
    },
  );

  return router;
}
