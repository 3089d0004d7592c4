import { Prisma } from '@prisma/client';
import { OPEN_STATUSES } from '../../workflows/registration/vocabulary';

/**
 * The vocabulary's open statuses as a parenthesised SQL list, `IN ${OPEN_STATUSES_SQL}`,
 * for the raw queries that count only registrations still open (the review
 * queue's claims, the dashboard). Bound parameters, not text spelled again.
 */
export const OPEN_STATUSES_SQL = Prisma.sql`(${Prisma.join([...OPEN_STATUSES])})`;
