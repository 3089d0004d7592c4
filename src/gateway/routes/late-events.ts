/**
 * Late events: a payment or an account activation that arrived after a
 * registration reached its outcome. They change nothing in the registration,
 * but they are never dropped: the registration workflow records them while it
 * is open, and `recordLateAfterClose` hands them to lateEventWorkflow once it
 * has closed. Staff list them here (read model, LateEvent table).
 */
import { createHash } from 'node:crypto';
import { Router } from 'express';
import type { Prisma } from '@prisma/client';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { z } from 'zod';
import { text } from '../../text';
import { LATE_EVENT_KINDS, REGISTRATION_STATUSES } from '../../../workflows/registration/api';
import { LATE_EVENT_WORKFLOW_TYPE, lateEventWorkflowId, type LateEventWorkflowInput, type lateEventWorkflow } from '../../../workflows/late-event/workflow';
import type { RouterContext } from '../context';
import { route } from '../route';
import { pageOf, pageQuery, pageResult, pageWindow } from '../schemas';
import { inOneSnapshot } from '../../db/one-snapshot';

/**
 * Starts lateEventWorkflow for one webhook delivery against a closed registration.
 * One workflow per delivery (its id is derived from the delivery), so a repeat is a no-op.
 */
export async function recordLateAfterClose(temporal: Client, taskQueue: string, input: Omit<LateEventWorkflowInput, 'ref' | 'receivedAt'>): Promise<void> {
  const ref = createHash('sha256').update(input.deliveryKey).digest('hex').slice(0, 24);
  try {
    await temporal.workflow.start<typeof lateEventWorkflow>(LATE_EVENT_WORKFLOW_TYPE, {
      workflowId: lateEventWorkflowId(input.applicationNo, ref),
      taskQueue,
      args: [{ ...input, ref, receivedAt: new Date().toISOString() }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: `late ${input.event.toLowerCase()} for ${input.applicationNo}`,
    });
  } catch (e) {
    if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
  }
}

const LateEventSchema = z
  .object({
    applicationNo: z.string(),
    name: z.string(),
    programCode: z.string(),
    cohortId: z.string(),
    seq: z.number().int(),
    kind: z.enum(LATE_EVENT_KINDS),
    actor: z.string(),
    at: z.string(),
    registrationStatus: z.enum(REGISTRATION_STATUSES),
    outcomeReason: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'LateEvent' });

export function lateEventsRouter(ctx: RouterContext): Router {
  const { kit, prisma } = ctx;
  const router = Router();

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/late-events',
      tags: ['registrations'],
      summary: "Payments and activations that arrived after a registration's outcome, newest first",
      description:
        'Recorded, never applied: each one was also mailed to the registry (email kind LATE_EVENT). Filter by kind, cohort, program or application number.',
      access: 'staff',
      query: z.object({
        kind: z.enum(LATE_EVENT_KINDS).optional(),
        cohortId: text({ multiline: true }).trim().optional(),
        programCode: text({ multiline: true }).trim().toUpperCase().optional(),
        applicationNo: text({ multiline: true }).trim().optional(),
        ...pageQuery,
      }),
      response: pageOf(LateEventSchema, 'LateEventPage'),
    },
    async ({ query }) => {
      const where: Prisma.LateEventWhereInput = {
        ...(query.kind ? { kind: query.kind } : {}),
        ...(query.applicationNo ? { registrationNo: query.applicationNo } : {}),
        registration: {
          ...(query.cohortId ? { cohortId: query.cohortId } : {}),
          ...(query.programCode ? { programCode: query.programCode } : {}),
        },
      };
      const [total, rows] = await inOneSnapshot(prisma, [
        prisma.lateEvent.count({ where }),
        prisma.lateEvent.findMany({
          where,
          include: { registration: { select: { name: true, programCode: true, cohortId: true } } },
          orderBy: [{ at: 'desc' }, { registrationNo: 'asc' }, { seq: 'desc' }],
          ...pageWindow(query),
        }),
      ]);
      return pageResult(
        rows.map((r) => ({
          applicationNo: r.registrationNo,
          name: r.registration.name,
          programCode: r.registration.programCode,
          cohortId: r.registration.cohortId,
          seq: r.seq,
          kind: r.kind as (typeof LATE_EVENT_KINDS)[number],
          actor: r.actor,
          at: r.at.toISOString(),
          registrationStatus: r.registrationStatus as (typeof REGISTRATION_STATUSES)[number],
          outcomeReason: r.outcomeReason,
          data: r.data as Record<string, unknown>,
        })),
        total,
        query,
      );
    },
  );

  return router;
}
