/**
 * Idempotent actions end to end. Clients (the portal, API clients) send an
 * `Idempotency-Key` header with every state-changing action and reuse it when
 * they retry. The gateway turns it into the Temporal update id, so a retry of
 * an action the workflow already took (its answer was lost, or the gateway
 * answered 503 while the workflow finished it) gets the first answer, never a
 * refusal of its own earlier success ("the form can be submitted once only").
 *
 * The id also names the action and the actor: one key can never answer for
 * another action or another person. Temporal keeps update ids per run, and
 * the workflow carries its latest answers across continue-as-new, so a retry
 * that lands on the next run gets the first answer too.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { validationError } from './errors';

const IDEMPOTENCY_HEADER = 'idempotency-key';

const Key = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, '1–255 visible ASCII characters, e.g. a UUID (as for uploads)')
  .meta({
    description:
      'Optional. The same key again (a retry) gets the first answer instead of doing the action twice; use a new key (e.g. a UUID) per intended action.',
  });

/** For the OpenAPI description of the routes that take it. */
export const IdempotencyHeaders = z.object({ [IDEMPOTENCY_HEADER]: Key.optional() });

/** The Temporal update id for this request's action, or undefined when the client sent no key. */
export function updateIdFor(req: Request, action: string, actor: string): string | undefined {
  const raw = req.get(IDEMPOTENCY_HEADER);
  if (raw === undefined) return undefined;
  const parsed = IdempotencyHeaders.safeParse({ [IDEMPOTENCY_HEADER]: raw });
  if (!parsed.success) throw validationError('headers', parsed.error);
  return `${action}:${actor}:${raw}`;
}
