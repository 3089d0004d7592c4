import assert from 'node:assert/strict';
import { database, uniq } from '../kit/servers';
import { createRegistration } from '../support/registration-row';

describe('read model on the real PostgreSQL', () => {
  it('has the committed migrations applied and writes and reads through Prisma', async () => {
    const { prisma } = await database();
    const cohortId = uniq('cohort');
    await prisma.cohort.create({
      data: { id: cohortId, registrationDeadline: new Date('2026-08-15T15:59:59Z'), policy: { reminderOffsetsDays: [7, 1] } },
    });
    const appNo = uniq('A');
    await createRegistration(prisma, { applicationNo: appNo, cohortId, outstandingItems: ['ACTIVATION', 'FORM'] });
    const row = await prisma.registration.findUniqueOrThrow({ where: { applicationNo: appNo }, include: { cohort: true } });
    assert.deepEqual(row.outstandingItems, ['ACTIVATION', 'FORM']);
    assert.deepEqual(row.cohort?.policy, { reminderOffsetsDays: [7, 1] });
    const migrations = await prisma.$queryRaw<{ migration_name: string }[]>`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL`;
    assert.ok(migrations.some((m) => m.migration_name.endsWith('_init')));
  });
});
