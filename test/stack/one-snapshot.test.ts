import assert from 'node:assert/strict';
import { inOneSnapshot } from '../../src/db/one-snapshot';
import { database, uniq } from '../kit/servers';
import { createRegistration } from '../support/registration-row';

/**
 * A list answers a page and its total. Read side by side on two pooled connections, a commit between the two reads
 * gave "total 1" with no items (CI, 7 Dec: the bounced-invitation list). Here a writer commits registrations one by one
 * while the list is read again and again: every read must count exactly the rows it returns.
 */
describe('a page and its total come from one snapshot', () => {
  it('while registrations are committed one by one, every read of the list counts exactly the rows it returns', async function () {
    this.timeout(60_000);
    const { prisma } = await database();
    const cohortId = uniq('cohort-snapshot');
    await prisma.cohort.create({ data: { id: cohortId, registrationDeadline: new Date('2026-08-15T15:59:59Z'), policy: {} } });
    const where = { cohortId };
    let writing = true;
    const writer = (async () => {
      try {
        for (let i = 0; i < 300; i++) await createRegistration(prisma, { cohortId });
      } finally {
        writing = false;
      }
    })();
    const torn: string[] = [];
    let reads = 0;
    while (writing) {
      const [total, rows] = await inOneSnapshot(prisma, [prisma.registration.count({ where }), prisma.registration.findMany({ where, take: 1000 })]);
      reads++;
      if (rows.length !== total) torn.push(`total ${total}, ${rows.length} rows`);
    }
    await writer;
    assert.ok(reads >= 20, `read ${reads} times while the writer committed`);
    assert.deepEqual(torn, [], `${torn.length} of ${reads} reads were torn`);
    const [total, rows] = await inOneSnapshot(prisma, [prisma.registration.count({ where }), prisma.registration.findMany({ where, take: 1000 })]);
    assert.deepEqual([total, rows.length], [300, 300]);
  });
});
