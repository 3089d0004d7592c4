/**
 * The cohort dashboard (the staff pages' home): one read-only endpoint per
 * chart, each a PostgreSQL aggregate over the read model (src/dashboard/),
 * never a question to the workflows. Officers and admins.

 */
import { Router } from 'express';
import { z } from 'zod';
import { filledText, text } from '../../text';
import { REGISTRATION_STATUSES, STUDY_LEVELS, defaultCohortPolicy } from '../../../workflows/registration/api';
import { EMAIL_PROBLEMS, burnDown, byCategory, byStatus, cohorts, lateEvents, outstanding, reviewBacklog, undeliverableEmails } from '../../dashboard/figures';
import { LATE_EVENT_KINDS } from '../../../workflows/registration/types';
import type { RouterContext } from '../context';
import { AppError, ErrorCode } from '../errors';
import { route } from '../route';
import { holidaysBetween } from '../../calendar/holidays';

const filterQuery = z.object({
  cohortId: filledText({ multiline: true }).max(100).optional(),
  programCode: text({ multiline: true }).trim().toUpperCase().max(40).optional(),
  studyLevel: z.enum(STUDY_LEVELS).optional(),
});

const isoDate = z.string().meta({ description: 'Hong Kong calendar date, YYYY-MM-DD', example: '2027-08-20' });
const count = z.number().int().min(0);

const CohortsSchema = z
  .object({
    items: z.array(
      z.object({ id: z.string(), name: z.string().nullable(), registrationDeadline: z.string(), paymentDeadline: z.string().nullable(), registrations: count }),
    ),
  })
  .meta({ id: 'DashboardCohorts' });

const StatusesSchema = z
  .object({ total: count, statuses: z.array(z.object({ status: z.enum(REGISTRATION_STATUSES), count })) })
  .meta({ id: 'DashboardStatuses' });

const CategoriesSchema = z
  .object({
    total: count,
    categories: z.array(
      z.object({
        category: z.string().meta({ description: 'As the StudentCategory search attribute, e.g. UG-NON_JUPAS-LOCAL' }),
        studyLevel: z.string(),
        admissionRoute: z.string().nullable(),
        residency: z.string(),
        count,
      }),
    ),
  })
  .meta({ id: 'DashboardCategories' });

const BurnDownSchema = z
  .object({
    registrationDeadline: z.string().nullable(),
    paymentDeadline: z.string().nullable(),
    today: isoDate,
    days: z.array(
      z.object({
        date: isoDate,
        missing: count.nullable().meta({ description: 'Registrations still missing a compulsory item at the end of the day; null for days still to come.' }),
        registrations: count.nullable(),
      }),
    ),
  })
  .meta({ id: 'DashboardBurnDown' });

const OutstandingSchema = z
  .object({
    items: z.array(
      z.object({ itemKey: z.string(), kind: z.string(), label: z.string(), compulsory: z.boolean(), pending: count, rejected: count, submitted: count }),
    ),
  })
  .meta({ id: 'DashboardOutstanding' });

const BacklogSchema = z
  .object({
    serviceLevelDays: z.number().int(),
    total: count,
    breached: count.meta({ description: 'Submitted items past their expected verification time.' }),
    ages: z.array(z.object({ ageWorkingDays: count, count, breached: count })),
  })
  .meta({ id: 'DashboardReviewBacklog' });

const LateEventsSchema = z
  .object({
    total: count,
    kinds: z.array(
      z.object({
        kind: z.enum(LATE_EVENT_KINDS),
        count,
        statuses: z.array(z.object({ status: z.string().meta({ description: "The registration's status when the event came." }), count })),
      }),
    ),
  })
  .meta({ id: 'DashboardLateEvents' });

const UndeliverableEmailsSchema = z
  .object({ total: count, problems: z.array(z.object({ problem: z.enum(EMAIL_PROBLEMS), count })) })
  .meta({ id: 'DashboardUndeliverableEmails' });

const filterNote = 'Filter by cohort, program and study level (any combination).';

export function dashboardRouter(ctx: RouterContext): Router {
  const { kit, prisma } = ctx;
  const now = () => new Date(ctx.now?.() ?? Date.now());
  const router = Router();
  const common = { method: 'get' as const, tags: ['dashboard'], access: 'staff' as const };

  route(
    kit,
    router,
    {
      ...common,
      path: '/api/dashboard/cohorts',
      summary: 'Cohorts to choose from, newest deadline first, with their registration counts',
      response: CohortsSchema,
    },
    async () => ({
      items: await cohorts(prisma),
    }),
  );

  route(
    kit,
    router,
    { ...common, path: '/api/dashboard/statuses', summary: 'Registrations by status', description: filterNote, query: filterQuery, response: StatusesSchema },
    async ({ query }) => byStatus(prisma, query),
  );

  route(
    kit,
    router,
    {
      ...common,
      path: '/api/dashboard/categories',
      summary: 'Registrations by student category',
      description: filterNote,
      query: filterQuery,
      response: CategoriesSchema,
    },
    async ({ query }) => byCategory(prisma, query),
  );

  route(
    kit,
    router,
    {
      ...common,
      path: '/api/dashboard/burndown',
      summary: 'Burn-down to the deadline: per day, registrations still missing a compulsory item',
      description:
        'Rebuilt from the read model\'s item timestamps (see docs/gateway.md, "Cohort dashboard"). The cohort is required: its deadlines are the chart\'s marks.',
      query: filterQuery.extend({ cohortId: filledText({ multiline: true }).max(100) }),
      response: BurnDownSchema,
      errors: [ErrorCode.NOT_FOUND],
    },
    async ({ query }) => {
      const figures = await burnDown(prisma, query, now());
      if (!figures) throw new AppError(ErrorCode.NOT_FOUND, `No cohort ${query.cohortId}.`);
      return figures;
    },
  );

  route(
    kit,
    router,
    {
      ...common,
      path: '/api/dashboard/outstanding',
      summary: 'Outstanding items by kind, in open registrations',
      description: `Items not yet verified or waived, in registrations IN_PROGRESS or INCOMPLETE, by state. ${filterNote}`,
      query: filterQuery,
      response: OutstandingSchema,
    },
    async ({ query }) => outstanding(prisma, query),
  );

  route(
    kit,
    router,
    {
      ...common,
      path: '/api/dashboard/review-backlog',
      summary: 'Review backlog by age in Hong Kong working days, with the service level and its breaches',
      description: filterNote,
      query: filterQuery,
      response: BacklogSchema,
    },
    async ({ query }) => reviewBacklog(prisma, query, now(), holidaysBetween, defaultCohortPolicy(new Date().toISOString()).verificationSlaWorkingDays),
  );

  route(
    kit,
    router,
    {
      ...common,
      path: '/api/dashboard/late-events',
      summary: 'Late events (payments or account activations after the outcome) by kind',
      description: `Recorded, never applied; the list behind each bar is /staff/late-events?kind=… ${filterNote}`,
      query: filterQuery,
      response: LateEventsSchema,
    },
    async ({ query }) => lateEvents(prisma, query),
  );

  route(
    kit,
    router,
    {
      ...common,
      path: '/api/dashboard/undeliverable-emails',
      summary: 'Open registrations whose personal email bounced for good or was marked as spam (not corrected yet)',
      description: `The list behind it is /api/registrations?emailProblem=true. ${filterNote}`,
      query: filterQuery,
      response: UndeliverableEmailsSchema,
    },
    async ({ query }) => undeliverableEmails(prisma, query),
  );

  return router;
}
