/**
 * Each cohort's photo specification, read from the read model once per gateway.
 * A cohort's policy never changes once its row is written (an import that would
 * change it is refused, src/import/cohort-policy.ts; the projection only adds a
 * missing cohort), so the status, which the portal reads on every change, asks
 * the database only for a cohort this gateway has not seen. A cohort without a
 * row yet (a registration started outside an import, not projected) gets the
 * default specification and is asked for again next time.
 */
import type { PrismaClient } from '../db/prisma';
import { defaultCohortPolicy, type PhotoSpec } from '../../workflows/registration/api';

/** Far more cohorts than a university runs at once; past it the memory starts afresh rather than grow. */
const MAX_COHORTS = 10_000;

export class CohortPhotoSpecs {
  private readonly known = new Map<string, PhotoSpec>();

  constructor(private readonly prisma: PrismaClient) {}

  async of(cohortId: string): Promise<PhotoSpec> {
    const cached = this.known.get(cohortId);
    if (cached) return cached;
    const cohort = await this.prisma.cohort.findUnique({ where: { id: cohortId }, select: { policy: true } });
    const spec = (cohort?.policy as { photo?: PhotoSpec } | undefined)?.photo ?? defaultCohortPolicy(new Date().toISOString()).photo;
    if (cohort) {
      if (this.known.size >= MAX_COHORTS) this.known.clear();
      this.known.set(cohortId, spec);
    }
    return spec;
  }
}
