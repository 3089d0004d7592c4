/**
 * The registry's review work: the queue of submitted items (oldest first, with
 * their age in Hong Kong working days), and the verify / reject / waive
 * decisions on an item, one route each.
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
} from '../../../workflows/registration/api';
import { deadlineDate, workingDaysBetween } from '../../../workflows/registration/working-days';
import { OPEN_STATUSES } from '../../../workflows/registration/vocabulary';
import { holidaysBetween } from '../../calendar/holidays';
import { breachedItemWhere, isBreached } from '../../dashboard/figures';
import { actorOf } from '../auth/principal';
import type { RouterContext } from '../context';
import { ErrorCode } from '../errors';
import { IdempotencyHeaders, updateIdFor } from '../idempotency';
import { route } from '../route';
import { filledText, text } from '../../text';
import { ItemParams, ItemViewSchema, flag, pageOf, pageQuery, pageResult, pageWindow } from '../schemas';
import { inOneSnapshot } from '../../db/one-snapshot';

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
    expectedVerificationBy: z.string().nullable().meta({ description: 'The instant the service level is missed (the end of its last Hong Kong day).' }),
    expectedVerificationDate: z
      .string()
      .nullable()
      .meta({ description: 'The Hong Kong date by which verification is expected (the same date the student is shown).' }),
    slaBreached: z.boolean(),
    rejectionReason: z.string().nullable(),
    flag: z.string().nullable().meta({ description: "Something to look at before deciding, e.g. a payment that does not match the cohort's fee." }),
  })
  .meta({ id: 'ReviewQueueEntry' });

const decisionErrors = [
  ErrorCode.REGISTRATION_NOT_FOUND,
  ErrorCode.ITEM_NOT_FOUND,
  ErrorCode.INVALID_TRANSITION,
  ErrorCode.INVALID_INPUT,
  ErrorCode.WORKFLOW_UNAVAILABLE,
];

const staffNote = () => text({ multiline: true }).trim().max(2000);

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
        "a completed or withdrawn registration is nobody's work any more.",
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
      const breached = breachedItemWhere(new Date(now));
      const where = {
        state: query.state,
        ...(query.kind ? { kind: query.kind } : {}),
        ...(query.slaBreached === undefined ? {} : { AND: [query.slaBreached ? breached : { NOT: breached }] }),
        registration: {
          status: { in: [...OPEN_STATUSES] },
          ...(query.programCode ? { programCode: query.programCode } : {}),
          ...(query.cohortId ? { cohortId: query.cohortId } : {}),
          ...(query.studyLevel ? { studyLevel: query.studyLevel } : {}),
        },
      };
      const [total, rows] = await inOneSnapshot(prisma, [
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
          expectedVerificationDate: r.expectedVerificationBy ? deadlineDate(r.expectedVerificationBy.getTime()) : null,
          slaBreached: isBreached(r, new Date(now)),
          rejectionReason: r.rejectionReason,
          flag: r.flag,
        })),
        total,
        query,
      );
    },
  );

  /** What every decision on an item shares: staff only, the item named in the path, its answer and refusals. */
  const decisionRoute = {
    method: 'post' as const,
    tags: ['review'],
    access: 'staff' as const,
    params: ItemParams,
    headers: IdempotencyHeaders,
    response: ItemViewSchema,
    errors: decisionErrors,
  };

  route(
    kit,
    router,
    {
      ...decisionRoute,
      path: '/api/registrations/:applicationNo/items/:itemKey/verify',
      summary: 'Verify a submitted item',
      body: z.strictObject({ note: staffNote().optional() }),
    },
    async ({ params, body, principal, req }) => {
      const actor = actorOf(principal);
      const input = { actor, itemKey: params.itemKey as ItemKey, ...(body.note ? { note: body.note } : {}) };
      return registrations.update(params.applicationNo, verifyItemUpdate, input, updateIdFor(req, verifyItemUpdate.name, actor));
    },
  );

  route(
    kit,
    router,
    {
      ...decisionRoute,
      path: '/api/registrations/:applicationNo/items/:itemKey/reject',
      summary: 'Reject a submitted item (the student is emailed the reason)',
      body: z.strictObject({ reasonCode: z.enum(REJECTION_REASONS), note: filledText({ multiline: true }, 'tell the student what to fix').max(2000) }),
    },
    async ({ params, body, principal, req }) => {
      const actor = actorOf(principal);
      const input = { actor, itemKey: params.itemKey as ItemKey, reasonCode: body.reasonCode, note: body.note };
      return registrations.update(params.applicationNo, rejectItemUpdate, input, updateIdFor(req, rejectItemUpdate.name, actor));
    },
  );

  route(
    kit,
    router,
    {
      ...decisionRoute,
      path: '/api/registrations/:applicationNo/items/:itemKey/waive',
      summary: 'Waive an item (who and why are recorded)',
      body: z.strictObject({ reason: filledText({ multiline: true }, 'say why').max(2000) }),
    },
    async ({ params, body, principal, req }) => {
      const actor = actorOf(principal);
      const input = { actor, itemKey: params.itemKey as ItemKey, reason: body.reason };
      return registrations.update(params.applicationNo, waiveItemUpdate, input, updateIdFor(req, waiveItemUpdate.name, actor));
    },
  );

  return router;
}
