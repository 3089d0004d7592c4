/**
 * The registry's review work: the queue of submitted items (oldest first, with
 * their age in Hong Kong working days), and the verify / reject / waive
 * decisions: one table, one route each.
 */
import { Router } from 'express';
import { z } from 'zod';
import {
  ITEM_KINDS,
  ITEM_STATES,
  REJECTION_REASONS,
  STUDY_LEVELS,
  rejectItemUpdate,
  verifyItemUpdate,
  waiveItemUpdate,
  type ItemKey,
  type ItemUpdateResult,
} from '../../../workflows/registration/api';
import type { UpdateDefinition } from '@temporalio/common';
import { workingDaysBetween } from '../../../workflows/registration/working-days';
import { OPEN_STATUSES } from '../../../workflows/registration/vocabulary';
import { holidaysBetween } from '../../calendar/holidays';
import { actorOf } from '../auth/principal';
import type { RouterContext } from '../context';
import { ErrorCode } from '../errors';
import { IdempotencyHeaders, updateIdFor } from '../idempotency';
import { route } from '../route';
import { text } from '../../text';
import { ItemParams, ItemViewSchema, flag, pageOf, pageQuery, pageResult, pageWindow } from '../schemas';

const QueueEntrySchema = z
  .object({
    applicationNo: z.string(),
    name: z.string(),
    programCode: z.string(),
    cohortId: z.string(),
    studyLevel: z.string(),
    residency: z.string(),
    itemKey: z.string(),
    itemLabel: z.string(),
    kind: z.string(),
    state: z.enum(ITEM_STATES),
    submittedAt: z.string().nullable(),
    ageWorkingDays: z.number().int().nullable().meta({ description: 'Hong Kong working days since submission.' }),
    expectedVerificationBy: z.string().nullable(),
    slaBreached: z.boolean(),
    rejectionReason: z.string().nullable(),
    flag: z.string().nullable().meta({ description: 'Something to look at before deciding, e.g. a payment that does not match the cohort\'s fee.' }),
  })
  .meta({ id: 'ReviewQueueEntry' });

const decisionErrors = [
  ErrorCode.REGISTRATION_NOT_FOUND,
  ErrorCode.ITEM_NOT_FOUND,
  ErrorCode.INVALID_TRANSITION,
  ErrorCode.INVALID_INPUT,
  ErrorCode.WORKFLOW_UNAVAILABLE,
];

interface Decision<B extends z.ZodType, A extends { actor: string; itemKey: ItemKey }> {
  /** The last segment of its path: POST /api/registrations/{applicationNo}/items/{itemKey}/{action}. */
  action: string;
  summary: string;
  body: B;
  update: UpdateDefinition<ItemUpdateResult, [A]>;
  /** What the decision adds to the actor and item that every decision names. */
  input: (body: z.infer<B>) => Omit<A, 'actor' | 'itemKey'>;
}

/** Checks one row of the table against its update's input; the table then holds the rows as one type. */
const decision = <B extends z.ZodType, A extends { actor: string; itemKey: ItemKey }>(d: Decision<B, A>) =>
  d as unknown as Decision<z.ZodType<Record<string, unknown>>, { actor: string; itemKey: ItemKey }>;

const staffNote = () => text({ multiline: true }).trim().max(2000);

/** The decisions on an item, each an update naming the staff member who made it. */
const DECISIONS = [
  decision({
    action: 'verify',
    summary: 'Verify a submitted item',
    body: z.object({ note: staffNote().optional() }),
    update: verifyItemUpdate,
    input: (body) => (body.note ? { note: body.note } : {}),
  }),
  decision({
    action: 'reject',
    summary: 'Reject a submitted item (the student is emailed the reason)',
    body: z.object({ reasonCode: z.enum(REJECTION_REASONS), note: staffNote().min(1, 'tell the student what to fix') }),
    update: rejectItemUpdate,
    input: (body) => ({ reasonCode: body.reasonCode, note: body.note }),
  }),
  decision({
    action: 'waive',
    summary: 'Waive an item (who and why are recorded)',
    body: z.object({ reason: staffNote().min(1, 'say why') }),
    update: waiveItemUpdate,
    input: (body) => ({ reason: body.reason }),
  }),
];

export function reviewRouter(ctx: RouterContext): Router {
  const { kit, prisma, registrations } = ctx;
  const clock = ctx.now ?? Date.now;
  const router = Router();

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/review-queue',
      tags: ['review'],
      summary: 'Review queue: submitted items, oldest first',
      description:
        'Filter by program, cohort, study level, item kind and item state (default SUBMITTED); `slaBreached=true`: only items past their expected verification time. Only open registrations (in progress or incomplete): ' +
        'a completed or withdrawn registration is nobody\'s work any more.',
      access: 'staff',
      query: z.object({
        programCode: text().trim().toUpperCase().optional(),
        cohortId: text().trim().optional(),
        studyLevel: z.enum(STUDY_LEVELS).optional(),
        kind: z.enum(ITEM_KINDS).optional(),
        state: z.enum(ITEM_STATES).default('SUBMITTED'),
        slaBreached: flag,
        ...pageQuery,
      }),
      response: pageOf(QueueEntrySchema, 'ReviewQueuePage'),
    },
    async ({ query }) => {
      const now = clock();
      const where = {
        state: query.state,
        ...(query.kind ? { kind: query.kind } : {}),
        ...(query.slaBreached === true ? { expectedVerificationBy: { lt: new Date(now) } } : {}),
        ...(query.slaBreached === false ? { OR: [{ expectedVerificationBy: null }, { expectedVerificationBy: { gte: new Date(now) } }] } : {}),
        registration: {
          status: { in: [...OPEN_STATUSES] },
          ...(query.programCode ? { programCode: query.programCode } : {}),
          ...(query.cohortId ? { cohortId: query.cohortId } : {}),
          ...(query.studyLevel ? { studyLevel: query.studyLevel } : {}),
        },
      };
      const [total, rows] = await Promise.all([
        prisma.checklistItem.count({ where }),
        prisma.checklistItem.findMany({
          where,
          include: { registration: { select: { name: true, programCode: true, cohortId: true, studyLevel: true, residency: true } } },
          orderBy: [{ submittedAt: { sort: 'asc', nulls: 'last' } }, { registrationNo: 'asc' }, { key: 'asc' }],
          ...pageWindow(query),
        }),
      ]);
      const oldest = rows.find((r) => r.submittedAt)?.submittedAt?.getTime() ?? now;
      const days = await holidaysBetween(oldest, now);
      return pageResult(
        rows.map((r) => ({
          applicationNo: r.registrationNo,
          name: r.registration.name,
          programCode: r.registration.programCode,
          cohortId: r.registration.cohortId,
          studyLevel: r.registration.studyLevel,
          residency: r.registration.residency,
          itemKey: r.key,
          itemLabel: r.label,
          kind: r.kind,
          state: r.state as (typeof ITEM_STATES)[number],
          submittedAt: r.submittedAt?.toISOString() ?? null,
          ageWorkingDays: r.submittedAt ? workingDaysBetween(r.submittedAt.getTime(), now, days) : null,
          expectedVerificationBy: r.expectedVerificationBy?.toISOString() ?? null,
          slaBreached: r.state === 'SUBMITTED' && !!r.expectedVerificationBy && r.expectedVerificationBy.getTime() < now,
          rejectionReason: r.rejectionReason,
          flag: r.flag,
        })),
        total,
        query,
      );
    },
  );

  for (const d of DECISIONS) {
    route(
      kit,
      router,
      {
        method: 'post',
        path: `/api/registrations/:applicationNo/items/:itemKey/${d.action}`,
        tags: ['review'],
        summary: d.summary,
        access: 'staff',
        params: ItemParams,
        headers: IdempotencyHeaders,
        body: d.body,
        response: ItemViewSchema,
        errors: decisionErrors,
      },
      async ({ params, body, principal, req }) =>
        registrations.update(
          params.applicationNo,
          d.update,
          { actor: actorOf(principal), itemKey: params.itemKey as ItemKey, ...d.input(body) },
          updateIdFor(req, d.update.name, actorOf(principal)),
        ),
    );
  }

  return router;
}
