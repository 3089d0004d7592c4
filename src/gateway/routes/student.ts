/**
 * What a student does on their own registration: the registration form,
 * declining the offer. Each action is an update: the workflow's validator
 * accepts or refuses it, and the student is told which. (The live status they
 * read is in registrations.ts.)
 */
import { Router } from 'express';
import { z } from 'zod';
import { declineOfferUpdate, submitFormUpdate } from '../../../workflows/registration/api';
import { FORM_FIELD_RULES, type FormFieldName } from '../../../workflows/registration/vocabulary';
import { actorOf } from '../auth/principal';
import type { RouterContext } from '../context';
import { ErrorCode } from '../errors';
import { route } from '../route';
import { ItemViewSchema, RegistrationParams, StatusViewSchema } from '../schemas';
import { filledText, text } from '../../text';
import { IdempotencyHeaders, updateIdFor } from '../idempotency';
import { itemFor, statusFor } from '../student-view';

/** A text field of the form by its rule (vocabulary.ts): the required ones must not be blank. */
const field = (name: FormFieldName) => {
  const rule = FORM_FIELD_RULES[name];
  return (rule.required ? filledText({ multiline: rule.multiline }, 'required') : text({ multiline: rule.multiline }).trim()).max(rule.maxLength!);
};
const phone = (name: 'phone' | 'emergencyContact.phone') => {
  const pattern = FORM_FIELD_RULES[name].pattern!;
  return text().trim().regex(new RegExp(pattern), 'a phone number, e.g. +852 2358 6000').meta({ pattern });
};

export const RegistrationFormSchema = z
  .strictObject({
    legalName: field('legalName'),
    preferredName: field('preferredName').optional(),
    chineseName: field('chineseName').optional(),
    dateOfBirth: z.iso.date('a date, YYYY-MM-DD'),
    nationality: field('nationality'),
    phone: phone('phone'),
    correspondenceAddress: field('correspondenceAddress'),
    emergencyContact: z.strictObject({
      name: field('emergencyContact.name'),
      relationship: field('emergencyContact.relationship'),
      phone: phone('emergencyContact.phone'),
    }),
    picsConsent: z.literal(true, 'you must consent to the personal information collection statement'),
  })
  .meta({ id: 'RegistrationForm' });

export function studentRouter(ctx: RouterContext): Router {
  const { kit, registrations } = ctx;
  const router = Router();

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
      body: z.strictObject({ form: RegistrationFormSchema }),
      response: ItemViewSchema,
      errors: [ErrorCode.REGISTRATION_NOT_FOUND, ErrorCode.INVALID_TRANSITION, ErrorCode.INVALID_INPUT, ErrorCode.WORKFLOW_UNAVAILABLE],
    },
    async ({ params, body, principal, req }) =>
      itemFor(
        principal,
        await registrations.update(
          params.applicationNo,
          submitFormUpdate,
          { actor: actorOf(principal), form: body.form },
          updateIdFor(req, 'submitForm', actorOf(principal)),
        ),
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
      body: z.strictObject({ reason: text({ multiline: true }).trim().max(1000).optional() }),
      response: StatusViewSchema,
      errors: [ErrorCode.REGISTRATION_NOT_FOUND, ErrorCode.INVALID_TRANSITION, ErrorCode.WORKFLOW_UNAVAILABLE],
    },
    async ({ params, body, principal, req }) =>
      statusFor(
        principal,
        await registrations.update(
          params.applicationNo,
          declineOfferUpdate,
          { actor: actorOf(principal), ...(body.reason ? { reason: body.reason } : {}) },
          updateIdFor(req, 'declineOffer', actorOf(principal)),
        ),
      ),
  );

  return router;
}
