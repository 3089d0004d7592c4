/**
 * What a student does on their own registration (staff may read it too): the
 * live status, the registration form, declining the offer. Each action is an
 * update: the workflow's validator accepts or refuses it, and the student is
 * told which.
 */
import { Router } from 'express';
import { z } from 'zod';
import { declineOfferUpdate, submitFormUpdate, type PhotoSpec } from '../../../workflows/registration/api';
import { contactsFor, defaultCohortPolicy } from '../../../workflows/registration/policy';
import { FORM_FIELD_RULES, isFileItem, type FormFieldName } from '../../../workflows/registration/vocabulary';
import { actorOf } from '../auth/principal';
import type { RouterContext } from '../context';
import { ErrorCode } from '../errors';
import { route, SENT } from '../route';
import { ItemViewSchema, RegistrationParams, StatusViewSchema } from '../schemas';
import { uploadRule } from '../../uploads/rules';
import { text } from '../../text';
import { IdempotencyHeaders, updateIdFor } from '../idempotency';

/** A text field of the form by its rule (vocabulary.ts): the required ones must not be blank. */
const field = (name: FormFieldName) => {
  const rule = FORM_FIELD_RULES[name];
  const t = text({ multiline: rule.multiline }).trim();
  return (rule.required ? t.min(1, 'required') : t).max(rule.maxLength!);
};
const phone = (name: 'phone' | 'emergencyContact.phone') => text().trim().regex(new RegExp(FORM_FIELD_RULES[name].pattern!), 'a phone number, e.g. +852 2358 6000');

export const RegistrationFormSchema = z
  .object({
    legalName: field('legalName'),
    preferredName: field('preferredName').optional(),
    chineseName: field('chineseName').optional(),
    dateOfBirth: z.iso.date('a date, YYYY-MM-DD'),
    nationality: field('nationality'),
    phone: phone('phone'),
    correspondenceAddress: field('correspondenceAddress'),
    emergencyContact: z.object({ name: field('emergencyContact.name'), relationship: field('emergencyContact.relationship'), phone: phone('emergencyContact.phone') }),
    picsConsent: z.literal(true, 'you must consent to the personal information collection statement'),
  })
  .meta({ id: 'RegistrationForm' });

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

/** The cohort's photo specification from the read model, else the default. */
async function photoSpecOf(ctx: Pick<RouterContext, 'prisma'>, cohortId: string): Promise<PhotoSpec> {
  const cohort = await ctx.prisma.cohort.findUnique({ where: { id: cohortId }, select: { policy: true } });
  const policy = cohort?.policy as { photo?: PhotoSpec } | undefined;
  return policy?.photo ?? defaultCohortPolicy(new Date().toISOString()).photo;
}

export function studentRouter(ctx: RouterContext): Router {
  const { kit, registrations, config } = ctx;
  const router = Router();

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/registrations/:applicationNo',
      tags: ['registrations'],
      summary: 'Live status of a registration',
      description:
        'Asked of the workflow itself. Carries an ETag (the change sequence number): poll with If-None-Match and get 304 until something changes; a 304 is answered from the read model without asking the workflow.',
      access: 'ownerOrStaff',
      params: RegistrationParams,
      response: StatusResponseSchema,
      errors: [ErrorCode.REGISTRATION_NOT_FOUND, ErrorCode.WORKFLOW_UNAVAILABLE],
    },
    async ({ params, principal, req, res }) => {
      const etagOf = (seq: number) => `W/"${seq}-${principal.kind}"`;
      res.setHeader('Cache-Control', 'private, no-cache');
      const notModified = (etag: string): typeof SENT => {
        res.setHeader('ETag', etag);
        res.status(304).end();
        return SENT;
      };
      // Portals poll: a poll that is already current is answered from the read model's sequence number,
      // which the workflow projects before each change completes, so polling costs no workflow query.
      const polled = req.headers['if-none-match'];
      if (polled) {
        const projected = await ctx.prisma.registration.findUnique({ where: { applicationNo: params.applicationNo }, select: { seq: true } });
        if (projected && polled === etagOf(projected.seq)) return notModified(polled);
      }
      const view = await registrations.status(params.applicationNo);
      const etag = etagOf(view.seq);
      if (polled === etag) return notModified(etag);
      res.setHeader('ETag', etag);
      const photoSpec = await photoSpecOf(ctx, view.student.cohortId);
      const uploads = Object.fromEntries(
        view.items.filter((i) => isFileItem(i.kind)).map((i) => [i.key, { ...uploadRule(i.kind, photoSpec)! }]),
      ) as Record<string, { mediaTypes: string[]; maxBytes: number }>;
      const workflowUrl =
        principal.kind === 'staff'
          ? `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(view.workflowId)}`
          : undefined;
      return { ...view, contacts: contactsFor(view.student), uploads, photoSpec, ...(workflowUrl ? { workflowUrl } : {}) };
    },
  );

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/registrations/:applicationNo/form',
      tags: ['registrations'],
      summary: 'Submit the registration form (once)',
      description: 'Personal particulars, contacts and consent. Later changes go through the registry (409 after the first submission).',
      access: 'student',
      params: RegistrationParams,
      headers: IdempotencyHeaders,
      limit: ctx.limits.registrationAction,
      body: z.object({ form: RegistrationFormSchema }),
      response: ItemViewSchema,
      errors: [ErrorCode.REGISTRATION_NOT_FOUND, ErrorCode.INVALID_TRANSITION, ErrorCode.INVALID_INPUT, ErrorCode.WORKFLOW_UNAVAILABLE],
    },
    async ({ params, body, principal, req }) =>
      registrations.update(
        params.applicationNo,
        submitFormUpdate,
        { actor: actorOf(principal), form: body.form },
        updateIdFor(req, 'submitForm', actorOf(principal)),
      ),
  );

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/registrations/:applicationNo/decline',
      tags: ['registrations'],
      summary: 'Decline the offer (the registration is withdrawn)',
      access: 'student',
      params: RegistrationParams,
      headers: IdempotencyHeaders,
      limit: ctx.limits.registrationAction,
      body: z.object({ reason: text({ multiline: true }).trim().max(1000).optional() }),
      response: StatusViewSchema,
      errors: [ErrorCode.REGISTRATION_NOT_FOUND, ErrorCode.INVALID_TRANSITION, ErrorCode.WORKFLOW_UNAVAILABLE],
    },
    async ({ params, body, principal, req }) =>
      registrations.update(
        params.applicationNo,
        declineOfferUpdate,
        { actor: actorOf(principal), ...(body.reason ? { reason: body.reason } : {}) },
        updateIdFor(req, 'declineOffer', actorOf(principal)),
      ),
  );

  return router;
}
