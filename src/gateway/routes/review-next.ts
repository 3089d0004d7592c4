/**
 * `POST /api/review/next`: the reviewer's "Review next" button. Takes the
 * oldest submitted item that no other reviewer holds, claims it for a few
 * minutes (REVIEW_CLAIM_MINUTES) and says which it is; the page opens it.
 * Deciding on the item is the ordinary verify / reject / waive (review.ts).
 */
import { Router } from 'express';
import { z } from 'zod';
import { filledText, text } from '../../text';
import { ITEM_KINDS, STUDY_LEVELS } from '../../../workflows/registration/api';
import type { RouterContext } from '../context';
import { route } from '../route';
import { claimNext } from '../review-claims';

const ClaimSchema = z
  .object({
    item: z
      .object({
        applicationNo: z.string(),
        itemKey: z.string(),
        label: z.string(),
        name: z.string(),
        submittedAt: z.string().nullable(),
        claimedUntil: z.string().meta({ description: 'Other reviewers are not given this item before this instant.' }),
      })
      .nullable()
      .meta({ description: 'null when every submitted item (matching the filters) is reviewed or held by another reviewer.' }),
  })
  .meta({ id: 'ReviewClaim' });

export function reviewNextRouter(ctx: RouterContext): Router {
  const { kit, prisma, config } = ctx;
  const router = Router();

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/review/next',
      tags: ['review'],
      summary: 'Review next: claim the oldest submitted item no other reviewer holds',
      description:
        'The claim lasts REVIEW_CLAIM_MINUTES and lapses by itself. A reviewer holds one item at a time: asking again gives the next item and frees the one held before. ' +
        "The body takes the review queue's filters.",
      access: 'staff',
      body: z.strictObject({
        cohortId: filledText({ multiline: true }).max(100).optional(),
        programCode: text({ multiline: true }).trim().toUpperCase().max(40).optional(),
        studyLevel: z.enum(STUDY_LEVELS).optional(),
        kind: z.enum(ITEM_KINDS).optional(),
      }),
      response: ClaimSchema,
    },
    async ({ body, principal }) => {
      // Staff-only route: the principal is a staff member.
      const who = principal.kind === 'staff' ? { id: principal.keyId, name: principal.name } : { id: principal.applicationNo, name: principal.applicationNo };
      return { item: await claimNext(prisma, who, body, config.REVIEW_CLAIM_MINUTES) };
    },
  );

  return router;
}
