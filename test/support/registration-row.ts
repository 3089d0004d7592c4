/**
 * A Registration row written straight into the read model, for tests that need one without running its
 * workflow. The test names what it is about and the cohort (which must exist: the row's foreign key); the
 * other required fields are the kit's sample student (a local taught postgraduate), in progress.
 */
import type { Prisma, Registration } from '@prisma/client';
import type { PrismaClient } from '../../src/db/prisma';
import { registrationWorkflowId } from '../../workflows/registration/api';
import { aStudent, uniq } from '../kit/samples';

type RegistrationFields = Partial<Prisma.RegistrationUncheckedCreateInput> & { cohortId: string };

export async function createRegistration(prisma: PrismaClient, fields: RegistrationFields): Promise<Registration> {
  const { applicationNo, name, personalEmail, programCode, studyLevel, residency } = aStudent({ applicationNo: fields.applicationNo ?? uniq('R') });
  return prisma.registration.create({
    data: {
      workflowId: registrationWorkflowId(applicationNo),
      name,
      personalEmail,
      programCode,
      studyLevel,
      residency,
      status: 'IN_PROGRESS',
      registrationDeadline: new Date('2026-08-15T15:59:59Z'),
      ...fields,
      applicationNo,
    },
  });
}
