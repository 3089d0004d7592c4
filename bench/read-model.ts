/**
 * A synthetic read model: the rows the projection activity would have written
 * for N students of test/kit/synthetic-students.ts, at every stage of their registration
 * (deterministic from a seed), written straight into PostgreSQL without
 * running N workflows. For the dashboard and export benchmarks.
 */
import type { Prisma } from '@prisma/client';
import type { PrismaClient } from '../src/db/prisma';
import { compulsoryInAt } from '../activities/projection';
import { defaultCohortPolicy } from '../workflows/registration/api';
import { seedOutstandingCounts } from '../test/kit/outstanding-counts';
import { syntheticStudents } from '../test/kit/synthetic-students';

export interface SeedOptions {
  count: number;
  cohortId: string;
  prefix: string;
  now: Date;
  seed?: number;
}

const DAY = 86_400_000;

function random(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export async function seedReadModel(prisma: PrismaClient, opts: SeedOptions): Promise<void> {
  const rnd = random(opts.seed ?? 7);
  const now = opts.now.getTime();
  const registrationDeadline = new Date(now + 10 * DAY);
  const paymentDeadline = new Date(now + 3 * DAY);
  await prisma.cohort.create({
    data: {
      id: opts.cohortId,
      registrationDeadline,
      paymentDeadline,
      policy: defaultCohortPolicy(registrationDeadline.toISOString(), { paymentDeadline: paymentDeadline.toISOString() }) as unknown as Prisma.InputJsonValue,
    },
  });
  const students = syntheticStudents({ count: opts.count, seed: opts.seed, cohortId: opts.cohortId, prefix: opts.prefix });
  const CHUNK = 2000;
  for (let start = 0; start < students.length; start += CHUNK) {
    const registrations: Prisma.RegistrationCreateManyInput[] = [];
    const items: Prisma.ChecklistItemCreateManyInput[] = [];
    const events: Prisma.AuditEventCreateManyInput[] = [];
    const late: Prisma.LateEventCreateManyInput[] = [];
    for (const s of students.slice(start, start + CHUNK)) {
      const createdAt = now - (5 + rnd() * 25) * DAY;
      // How far along this student is: 0 = nothing done … 1 = everything handed in.
      const progress = rnd();
      const declined = rnd() < 0.02;
      const keys: Array<[key: string, kind: string, compulsory: boolean]> = [
        ['ACTIVATION', 'ACTIVATION', true],
        ['FORM', 'FORM', true],
        ['ID_DOCUMENT', 'ID_DOCUMENT', true],
      ];
      if (s.residency === 'NON_LOCAL') keys.push(['VISA', 'VISA', true]);
      if (s.studyLevel === 'UG' && s.admissionRoute === 'NON_JUPAS' && s.residency === 'LOCAL') keys.push(['TUITION_RECEIPT', 'TUITION_RECEIPT', true]);
      keys.push(['PHOTO', 'PHOTO', false]);
      for (const code of s.supplementary ? s.supplementary.split(';') : []) keys.push([`SUPPLEMENTARY:${code}`, 'SUPPLEMENTARY', false]);
      const states = keys.map(([key, kind, compulsory], i) => {
        const inAt = createdAt + (i + 1) * rnd() * 4 * DAY;
        if (rnd() > progress + 0.15 || inAt > now)
          return { key, kind, compulsory, state: 'PENDING' as string, submittedAt: null as Date | null, reviewedAt: null as Date | null };
        if (kind === 'ACTIVATION' || kind === 'FORM')
          return { key, kind, compulsory, state: 'VERIFIED', submittedAt: new Date(inAt), reviewedAt: new Date(inAt) };
        const r = rnd();
        const reviewedAt = new Date(Math.min(now, inAt + rnd() * 6 * DAY));
        if (r < 0.45) return { key, kind, compulsory, state: 'SUBMITTED', submittedAt: new Date(inAt), reviewedAt: null };
        if (r < 0.9) return { key, kind, compulsory, state: 'VERIFIED', submittedAt: new Date(inAt), reviewedAt };
        if (r < 0.97) return { key, kind, compulsory, state: 'REJECTED', submittedAt: new Date(inAt), reviewedAt };
        return { key, kind, compulsory, state: 'WAIVED', submittedAt: null, reviewedAt };
      });
      const settled = states.every((x) => x.state === 'VERIFIED' || x.state === 'WAIVED');
      const status = declined ? 'WITHDRAWN' : settled ? 'COMPLETED' : 'IN_PROGRESS';
      const outstanding = states.filter((x) => x.state !== 'VERIFIED' && x.state !== 'WAIVED').map((x) => x.key);
      registrations.push({
        applicationNo: s.applicationNo,
        workflowId: `registration-${s.applicationNo}`,
        cohortId: s.cohortId,
        name: s.name,
        personalEmail: s.personalEmail,
        programCode: s.programCode,
        studyLevel: s.studyLevel,
        admissionRoute: s.admissionRoute || null,
        residency: s.residency,
        status,
        outcomeReason: declined ? 'DECLINED' : settled ? 'ALL_ITEMS_VERIFIED' : null,
        registrationDeadline,
        paymentDeadline,
        outstandingItems: outstanding,
        cardReady: states.some((x) => x.kind === 'PHOTO' && x.state === 'VERIFIED') && settled,
        outcomeAt: declined ? new Date(createdAt + DAY) : settled ? new Date(createdAt + 2 * DAY) : null,
        // The projection's own rule, over the same items.
        compulsoryInAt: compulsoryInAt(
          states.map((x) => ({
            ...x,
            submittedAt: x.submittedAt?.toISOString(),
            reviewedAt: x.reviewedAt?.toISOString(),
            submissions: [],
            reviews: [],
          })) as unknown as Parameters<typeof compulsoryInAt>[0],
        ),
        seq: 10,
        createdAt: new Date(createdAt),
      });
      for (const x of states) {
        items.push({
          registrationNo: s.applicationNo,
          key: x.key,
          kind: x.kind,
          label: x.key,
          compulsory: x.compulsory,
          state: x.state,
          submittedAt: x.submittedAt,
          reviewedAt: x.reviewedAt,
          expectedVerificationBy: x.state === 'SUBMITTED' && x.submittedAt ? new Date(x.submittedAt.getTime() + 7 * DAY) : null,
          // The registration's fields, as the projection copies them onto its items.
          cohortId: s.cohortId,
          programCode: s.programCode,
          studyLevel: s.studyLevel,
          registrationStatus: status,
        });
      }
      events.push({ registrationNo: s.applicationNo, seq: 1, type: 'REGISTRATION_STARTED', actor: 'system', at: new Date(createdAt), data: {} });
      if (declined)
        events.push({
          registrationNo: s.applicationNo,
          seq: 2,
          type: 'OFFER_DECLINED',
          actor: `student:${s.applicationNo}`,
          at: new Date(createdAt + DAY),
          data: {},
        });
      // One in five settled registrations later received a payment or an activation (a late event).
      if (status !== 'IN_PROGRESS' && rnd() < 0.2) {
        late.push({
          registrationNo: s.applicationNo,
          seq: 4,
          kind: rnd() < 0.7 ? 'PAYMENT' : 'ACTIVATION',
          actor: 'system',
          at: new Date(createdAt + 3 * DAY),
          registrationStatus: status,
          outcomeReason: declined ? 'DECLINED' : 'ALL_ITEMS_VERIFIED',
          deliveryKey: `bench:${s.applicationNo}`,
          data: {},
        });
      }
      if (status !== 'IN_PROGRESS')
        events.push({ registrationNo: s.applicationNo, seq: 3, type: 'STATUS_CHANGED', actor: 'system', at: new Date(createdAt + 2 * DAY), data: { status } });
    }
    // One statement per table and chunk: rows as JSON, expanded by PostgreSQL into the table's own row type
    // (createMany took twelve minutes for 60k students on a busy 2-core machine; this takes seconds).
    await insertJson(
      prisma,
      'Registration',
      registrations.map((r) => ({ updatedAt: r.createdAt, ...r })),
    );
    await insertJson(prisma, 'ChecklistItem', items);
    await insertJson(prisma, 'AuditEvent', events);
    await insertJson(prisma, 'LateEvent', late);
  }
  // The projection's counters, as it would have kept them.
  await seedOutstandingCounts(prisma, opts.cohortId);
}

async function insertJson(prisma: PrismaClient, table: 'Registration' | 'ChecklistItem' | 'AuditEvent' | 'LateEvent', rows: object[]): Promise<void> {
  if (!rows.length) return;
  // The columns the rows carry; the others take their defaults (Registration.changeNo its sequence).
  const columns = Object.keys(rows[0]!)
    .map((c) => `"${c}"`)
    .join(', ');
  await prisma.$executeRawUnsafe(
    `INSERT INTO "${table}" (${columns}) SELECT ${columns} FROM jsonb_populate_recordset(NULL::"${table}", $1::jsonb)`,
    JSON.stringify(rows),
  );
}
