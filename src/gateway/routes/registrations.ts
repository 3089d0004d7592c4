/**
 * Registrations: the registry's views over many, read from the PostgreSQL read
 * model (the workflows' projection): the filtered list and one registration's
 * audit trail; one registration's live status, asked of its workflow (the
 * student's and staff's); and the registry's changes, updates to the workflow:
 * the deadline extension and the form correction.
 */
import { Router } from 'express';
import type { Prisma } from '@prisma/client';
import { z } from 'zod';
import {
  ADMISSION_ROUTES,
  REGISTRATION_STATUSES,
  RESIDENCIES,
  STUDY_LEVELS,
  correctFormUpdate,
  correctPersonalEmailUpdate,
  extendDeadlineUpdate,
  reclassifyUpdate,
} from '../../../workflows/registration/api';
import { contactsFor } from '../../../workflows/registration/policy';
import { actorOf } from '../auth/principal';
import type { RouterContext } from '../context';
import { AppError, ErrorCode } from '../errors';
import { projectedSeqOf, projectedUpTo, refuseUnmadeChange } from '../projected';
import { storedStatus } from '../stored-status';
import { IdempotencyHeaders, updateIdFor } from '../idempotency';
import { route, SENT } from '../route';
import { filledText, text } from '../../text';
import { OPEN_STATUSES, isFileItem } from '../../../workflows/registration/vocabulary';
import { breachedItemWhere } from '../../dashboard/figures';
import { uploadRule } from '../../uploads/rules';
import { RegistrationFormSchema } from './student';

/**
 * How long an audit trail read waits for the read model to reach the change its caller names (`seq`). A projection
 * lands within milliseconds of the action's answer; one retrying after a database error may take longer, and then the
 * trail is 503 with Retry-After rather than a trail without the change the caller asked for.
 */
const AUDIT_CATCH_UP_MS = 5_000;

/** A correction names at least one field (the OpenAPI document says so with minProperties). */
const atLeastOne = z.refine<object>((v) => Object.keys(v).length > 0, 'name at least one field to correct');

/** A staff correction: any form field but consent (the student's own), the emergency contact in part. */
const FormCorrectionSchema = z
  .strictObject({
    changes: RegistrationFormSchema.omit({ picsConsent: true, emergencyContact: true })
      .partial()
      .extend({ emergencyContact: RegistrationFormSchema.shape.emergencyContact.partial().check(atLeastOne).meta({ minProperties: 1 }).optional() })
      .strict()
      .check(atLeastOne)
      .meta({ minProperties: 1 }),
    reason: filledText({ multiline: true }, 'say why').max(2000),
  })
  .meta({ id: 'FormCorrection' });

/** A reclassification: only the facts that change, and why (docs/domain.md, Reclassification). */
const ReclassificationSchema = z
  .strictObject({
    changes: z
      .object({
        residency: z.enum(RESIDENCIES).optional(),
        admissionRoute: z.enum(ADMISSION_ROUTES).optional().meta({ description: 'Undergraduates only; a student who stops being UG loses it.' }),
        studyLevel: z.enum(STUDY_LEVELS).optional(),
        programCode: text()
          .trim()
          .toUpperCase()
          .regex(/^[A-Z0-9-]{2,20}$/, '2–20 letters, digits or "-"')
          // The check above runs on the trimmed, upper-cased value; this is what a client sends.
          .meta({ pattern: '^[A-Za-z0-9-]{2,20}$', description: 'Stored upper case.' })
          .optional(),
      })
      .strict()
      .refine((c) => Object.keys(c).length > 0, 'name at least one of residency, admissionRoute, studyLevel, programCode')
      .meta({ minProperties: 1 }),
    reason: filledText({ multiline: true }, 'say why').max(2000),
  })
  .meta({ id: 'Reclassification' });
import { ItemKeyParam, RegistrationParams, SeenChangeQuery, StatusViewSchema, flag, pageOf, pageQuery, pageResult, pageWindow } from '../schemas';
import { statusFor } from '../student-view';
import { inOneSnapshot } from '../../db/one-snapshot';

const SummarySchema = z
  .object({
    applicationNo: z.string(),
    name: z.string(),
    personalEmail: z.string(),
    universityEmail: z.string().nullable(),
    personalEmailProblem: z
      .enum(['BOUNCED', 'COMPLAINED'])
      .nullable()
      .meta({ description: 'Mail to the personal email bounced for good or was marked as spam.' }),
    programCode: z.string(),
    studyLevel: z.string(),
    admissionRoute: z.string().nullable(),
    residency: z.string(),
    cohortId: z.string(),
    status: z.enum(REGISTRATION_STATUSES),
    outcomeReason: z.string().nullable(),
    outstandingItems: z.array(z.string()),
    cardReady: z.boolean(),
    registrationDeadline: z.string(),
    paymentDeadline: z.string().nullable(),
    updatedAt: z.string(),
  })
  .meta({ id: 'RegistrationSummary' });

const AuditEntrySchema = z.object({ seq: z.number().int(), type: z.string(), actor: z.string(), at: z.string(), data: z.unknown() }).meta({ id: 'AuditEntry' });

const UploadRuleSchema = z.object({ mediaTypes: z.array(z.string()), maxBytes: z.number().int() });
const PhotoSpecSchema = z
  .object({
    mediaTypes: z.array(z.string()),
    minBytes: z.number(),
    maxBytes: z.number(),
    minWidth: z.number(),
    maxWidth: z.number(),
    minHeight: z.number(),
    maxHeight: z.number(),
    portrait: z.boolean(),
  })
  .meta({ id: 'PhotoSpec' });

const StatusResponseSchema = StatusViewSchema.extend({
  contacts: z.object({ registration: z.string(), activation: z.string(), visa: z.string() }),
  uploads: z.record(z.string(), UploadRuleSchema).meta({ description: 'What each file item accepts (by item key): for hints before uploading.' }),
  photoSpec: PhotoSpecSchema,
  workflowUrl: z.string().optional().meta({ description: 'The workflow in the Temporal UI (staff only).' }),
}).meta({ id: 'RegistrationStatusResponse' });

export function registrationsRouter(ctx: RouterContext): Router {
  const { kit, prisma, registrations, config } = ctx;
  const router = Router();

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/registrations',
      tags: ['registrations'],
      summary: 'List registrations, filtered and paginated',
      description:
        '`outstanding`: registrations that still owe this item. `overdue`: the registration deadline has passed and items are still outstanding. ' +
        '`slaBreached`: a submitted item is past its verification service level. `q`: part of the name, application number or email. ' +
        "`emailProblem`: mail to the personal email bounced for good or was marked as spam (and it is not corrected yet). `open`: IN_PROGRESS or INCOMPLETE. `missingCompulsory`: a compulsory item is not handed in (pending or rejected), students who declined their offer left out (the dashboard's burn-down counts the same).",
      access: 'staff',
      query: z.object({
        status: z.enum(REGISTRATION_STATUSES).optional(),
        programCode: text().trim().toUpperCase().optional(),
        cohortId: text().trim().optional(),
        studyLevel: z.enum(STUDY_LEVELS).optional(),
        residency: z.enum(RESIDENCIES).optional(),
        admissionRoute: z.enum(ADMISSION_ROUTES).optional(),
        outstanding: ItemKeyParam.optional(),
        open: flag,
        missingCompulsory: flag,
        overdue: flag,
        slaBreached: flag,
        emailProblem: flag,
        q: text().trim().max(100).optional(),
        ...pageQuery,
      }),
      response: pageOf(SummarySchema, 'RegistrationPage'),
    },
    async ({ query }) => {
      const now = new Date((ctx.now ?? Date.now)());
      const and: Prisma.RegistrationWhereInput[] = [];
      if (query.status) and.push({ status: query.status });
      if (query.programCode) and.push({ programCode: query.programCode });
      if (query.cohortId) and.push({ cohortId: query.cohortId });
      if (query.studyLevel) and.push({ studyLevel: query.studyLevel });
      if (query.residency) and.push({ residency: query.residency });
      if (query.admissionRoute) and.push({ admissionRoute: query.admissionRoute });
      if (query.outstanding) and.push({ outstandingItems: { has: query.outstanding } });
      if (query.open !== undefined) {
        const open = { status: { in: [...OPEN_STATUSES] } };
        and.push(query.open ? open : { NOT: open });
      }
      if (query.missingCompulsory !== undefined) {
        const missing: Prisma.RegistrationWhereInput = {
          items: { some: { compulsory: true, state: { in: ['PENDING', 'REJECTED'] } } },
          OR: [{ outcomeReason: null }, { outcomeReason: { not: 'DECLINED' } }],
        };
        and.push(query.missingCompulsory ? missing : { NOT: missing });
      }
      if (query.overdue !== undefined) {
        const overdue: Prisma.RegistrationWhereInput = {
          registrationDeadline: { lt: now },
          status: { in: [...OPEN_STATUSES] },
          NOT: { outstandingItems: { isEmpty: true } },
        };
        and.push(query.overdue ? overdue : { NOT: overdue });
      }
      if (query.slaBreached !== undefined) {
        // Closed registrations are nobody's work any more: they never count as breaching the service level.
        const breached: Prisma.RegistrationWhereInput = {
          status: { in: [...OPEN_STATUSES] },
          items: { some: breachedItemWhere(now) },
        };
        and.push(query.slaBreached ? breached : { NOT: breached });
      }
      if (query.emailProblem !== undefined) and.push({ personalEmailProblem: query.emailProblem ? { not: null } : null });
      if (query.q) {
        const q = { contains: query.q, mode: 'insensitive' as const };
        and.push({ OR: [{ name: q }, { applicationNo: q }, { personalEmail: q }, { universityEmail: q }] });
      }
      const where = { AND: and };
      const [total, rows] = await inOneSnapshot(prisma, [
        prisma.registration.count({ where }),
        prisma.registration.findMany({
          where,
          orderBy: [{ registrationDeadline: 'asc' }, { applicationNo: 'asc' }],
          ...pageWindow(query),
        }),
      ]);
      return pageResult(
        rows.map((r) => ({
          applicationNo: r.applicationNo,
          name: r.name,
          personalEmail: r.personalEmail,
          universityEmail: r.universityEmail,
          personalEmailProblem: r.personalEmailProblem as 'BOUNCED' | 'COMPLAINED' | null,
          programCode: r.programCode,
          studyLevel: r.studyLevel,
          admissionRoute: r.admissionRoute,
          residency: r.residency,
          cohortId: r.cohortId,
          status: r.status as (typeof REGISTRATION_STATUSES)[number],
          outcomeReason: r.outcomeReason,
          outstandingItems: r.outstandingItems,
          cardReady: r.cardReady,
          registrationDeadline: r.registrationDeadline.toISOString(),
          paymentDeadline: r.paymentDeadline?.toISOString() ?? null,
          updatedAt: r.updatedAt.toISOString(),
        })),
        total,
        query,
      );
    },
  );

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/registrations/:applicationNo',
      tags: ['registrations'],
      summary: 'Live status of a registration',
      description:
        'The whole status, as the workflow answers it. From the read model, which keeps it at each change while the registration is within the bounds of an ' +
        "action's answer (one submission and one review per item, five emails); otherwise asked of the workflow itself, as it is while the read model holds an older change than the `seq` named. " +
        "The read model follows an action's answer by a moment (the workflow answers, then projects): to read your own change right after it, name the action's `seq`. " +
        'Carries an ETag (the change sequence number): poll with If-None-Match and get 304 until something changes.',
      access: 'ownerOrStaff',
      params: RegistrationParams,
      query: SeenChangeQuery,
      response: StatusResponseSchema,
      errors: [ErrorCode.REGISTRATION_NOT_FOUND, ErrorCode.WORKFLOW_UNAVAILABLE],
      // A read on every poll: the session's revocation check runs alongside the workflow query, not before it.
      checkRevocationAlongside: true,
    },
    async ({ params, query, principal, req, res, confirmed }) => {
      const etagOf = (seq: number) => `W/"${seq}-${principal.kind}"`;
      res.setHeader('Cache-Control', 'private, no-cache');
      const notModified = async (etag: string): Promise<typeof SENT> => {
        await confirmed;
        res.setHeader('ETag', etag);
        res.status(304).end();
        return SENT;
      };
      // Portals poll: a poll that is already current is answered from the read model's sequence number, so polling
      // costs no workflow query. The workflow projects a change just after answering it, so this can say 304 for that
      // moment: the portal reads its own change without If-None-Match (docs/architecture.md, "Reading one's own change").
      const polled = req.headers['if-none-match'];
      if (polled) {
        const projectedSeq = await projectedSeqOf(ctx.prisma, params.applicationNo);
        if (projectedSeq >= 0 && polled === etagOf(projectedSeq)) return notModified(polled);
      }
      const seen = query.seq ?? 0;
      let view = await storedStatus(ctx.prisma, params.applicationNo, seen);
      if (!view) {
        view = await registrations.status(params.applicationNo);
        refuseUnmadeChange(seen, view.seq);
      }
      const etag = etagOf(view.seq);
      if (polled === etag) return notModified(etag);
      await confirmed;
      res.setHeader('ETag', etag);
      const photoSpec = await ctx.photoSpecs.of(view.student.cohortId);
      const uploads = Object.fromEntries(view.items.filter((i) => isFileItem(i.kind)).map((i) => [i.key, { ...uploadRule(i.kind, photoSpec)! }])) as Record<
        string,
        { mediaTypes: string[]; maxBytes: number }
      >;
      const workflowUrl =
        principal.kind === 'staff'
          ? `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(view.workflowId)}`
          : undefined;
      return { ...statusFor(principal, view), contacts: contactsFor(view.student), uploads, photoSpec, ...(workflowUrl ? { workflowUrl } : {}) };
    },
  );

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/registrations/:applicationNo/audit',
      tags: ['registrations'],
      summary: 'Audit trail of a registration: every change, who made it and when',
      description:
        'Read from the read model, which follows each change by a moment; without `seq` the workflow is not asked. To read the trail with your own change in, ' +
        "pass `seq` (the action's answer's `seq`): while the read model has not reached it, the answer waits for its projection " +
        `(woken when it lands, usually within a tenth of a second), at most ${AUDIT_CATCH_UP_MS / 1000} s, then 503 \`NOT_READY\` with Retry-After.`,
      access: 'staff',
      params: RegistrationParams,
      query: SeenChangeQuery,
      response: z.object({ items: z.array(AuditEntrySchema) }),
      errors: [ErrorCode.REGISTRATION_NOT_FOUND, ErrorCode.NOT_READY],
    },
    async ({ params, query }) => {
      // The trail is the read model's alone, and the workflow answers an action before it projects it: a trail that must
      // hold the caller's change waits for its projection (docs/architecture.md, "Reading one's own change").
      if (query.seq !== undefined && (await projectedSeqOf(prisma, params.applicationNo)) < query.seq) {
        // Behind: a change the workflow has not made either is a client's mistake (400), not the 503 of a projection
        // late. The workflow is asked only here, right after an action, while the registration is in the worker's cache.
        refuseUnmadeChange(query.seq, (await registrations.status(params.applicationNo)).seq);
        const reached = await projectedUpTo(ctx, params.applicationNo, query.seq, AUDIT_CATCH_UP_MS);
        if (reached < query.seq) {
          throw new AppError(
            ErrorCode.NOT_READY,
            `The audit trail does not hold change ${query.seq} yet (it holds up to ${Math.max(reached, 0)}); retry shortly.`,
            { seq: query.seq, projectedSeq: Math.max(reached, 0) },
          );
        }
      }
      const events = await prisma.auditEvent.findMany({ where: { registrationNo: params.applicationNo }, orderBy: { seq: 'asc' } });
      if (events.length === 0 && (await projectedSeqOf(prisma, params.applicationNo)) < 0) {
        // Not projected yet, or no such registration: the workflow knows which.
        await registrations.status(params.applicationNo);
      }
      return { items: events.map((e) => ({ seq: e.seq, type: e.type, actor: e.actor, at: e.at.toISOString(), data: e.data })) };
    },
  );

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/registrations/:applicationNo/deadline',
      tags: ['registrations'],
      summary: 'Extend the registration or payment deadline (admin)',
      description: 'Only later, and only before the current deadline passes; every timer and reminder follows the new date.',
      access: 'admin',
      params: RegistrationParams,
      headers: IdempotencyHeaders,
      body: z.strictObject({
        deadline: z.enum(['REGISTRATION', 'PAYMENT']),
        until: z.iso.datetime({ offset: true }),
        reason: filledText({ multiline: true }, 'say why').max(2000),
      }),
      response: StatusViewSchema,
      errors: [ErrorCode.REGISTRATION_NOT_FOUND, ErrorCode.INVALID_TRANSITION, ErrorCode.INVALID_INPUT, ErrorCode.WORKFLOW_UNAVAILABLE],
    },
    async ({ params, body, principal, req }) =>
      registrations.update(
        params.applicationNo,
        extendDeadlineUpdate,
        { actor: actorOf(principal), deadline: body.deadline, until: new Date(body.until).toISOString(), reason: body.reason },
        updateIdFor(req, 'extendDeadline', actorOf(principal)),
      ),
  );

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/registrations/:applicationNo/form/correction',
      tags: ['registrations'],
      summary: 'Correct the submitted form (registry staff)',
      description:
        'The form is submitted once by the student; later changes go through staff. Validated like the form; the audit trail keeps the before and after values, the reason and who made the change.',
      access: 'staff',
      params: RegistrationParams,
      body: FormCorrectionSchema,
      response: StatusViewSchema,
      errors: [ErrorCode.REGISTRATION_NOT_FOUND, ErrorCode.INVALID_TRANSITION, ErrorCode.INVALID_INPUT, ErrorCode.WORKFLOW_UNAVAILABLE],
    },
    async ({ params, body, principal }) =>
      registrations.update(params.applicationNo, correctFormUpdate, { actor: actorOf(principal), changes: body.changes, reason: body.reason }),
  );

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/registrations/:applicationNo/reclassification',
      tags: ['registrations'],
      summary: 'Reclassify a student: residency, admission route, study level or program (registry staff)',
      description:
        'The checklist is recomputed from the new facts: items now owed start PENDING, due by their deadline (reminders follow it); items no longer owed become ' +
        'NOT_REQUIRED; the audit trail keeps RECLASSIFIED with the before and after values, the reason, who, and the items added and no longer required. ' +
        'The search attributes (ProgramCode, StudyLevel, StudentCategory) and the read model follow. 409 once the registration is closed, or when a newly owed ' +
        "compulsory item's deadline has passed; 422 when the result is not a valid student (an undergraduate without an admission route), would owe the fee in a cohort with no fee set, or changes nothing.",
      access: 'staff',
      params: RegistrationParams,
      headers: IdempotencyHeaders,
      body: ReclassificationSchema,
      response: StatusViewSchema,
      errors: [ErrorCode.REGISTRATION_NOT_FOUND, ErrorCode.INVALID_TRANSITION, ErrorCode.INVALID_INPUT, ErrorCode.WORKFLOW_UNAVAILABLE],
    },
    async ({ params, body, principal, req }) =>
      registrations.update(
        params.applicationNo,
        reclassifyUpdate,
        { actor: actorOf(principal), changes: body.changes, reason: body.reason },
        updateIdFor(req, 'reclassify', actorOf(principal)),
      ),
  );

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/registrations/:applicationNo/personal-email',
      tags: ['registrations'],
      summary: 'Correct the personal email (registry staff)',
      description:
        'For an address that bounced, was marked as spam, or was simply mistyped. A fresh invitation goes to the new address; the flag is cleared; the audit trail keeps both addresses, the reason and who made the change.',
      access: 'staff',
      params: RegistrationParams,
      headers: IdempotencyHeaders,
      body: z
        .strictObject({
          personalEmail: z
            .email()
            .max(320)
            // The address zod's check takes, which is narrower than what JSON Schema's "email" format allows.
            .meta({ pattern: z.regexes.email.source })
            .transform((v) => v.trim().toLowerCase()),
          reason: filledText({ multiline: true }, 'say why').max(2000),
        })
        .meta({ id: 'PersonalEmailCorrection' }),
      response: StatusViewSchema,
      errors: [ErrorCode.REGISTRATION_NOT_FOUND, ErrorCode.INVALID_TRANSITION, ErrorCode.INVALID_INPUT, ErrorCode.WORKFLOW_UNAVAILABLE],
    },
    async ({ params, body, principal, req }) =>
      registrations.update(
        params.applicationNo,
        correctPersonalEmailUpdate,
        { actor: actorOf(principal), personalEmail: body.personalEmail, reason: body.reason },
        updateIdFor(req, 'correctPersonalEmail', actorOf(principal)),
      ),
  );

  return router;
}
