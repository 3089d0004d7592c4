/**
 * A cohort's deadlines and policy are fixed once imported: a re-import with
 * other values is refused (409 COHORT_POLICY_CONFLICT, with how to extend a
 * deadline instead), and the cohort row keeps its values. Before, the row was
 * silently overwritten while the running workflows kept the old values.
 */
import assert from 'node:assert/strict';
import { uniq } from '../kit/servers';
import { fetchJson, startStack, type TestStack } from './support';

describe('gateway: cohort policy on re-import', function () {
  this.timeout(120_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  const DEADLINE = '2027-08-31T15:59:59.999Z';
  const students = (prefix: string, cohortId: string, registrationDeadline = DEADLINE, n = 2) =>
    Array.from({ length: n }, (_, i) => ({
      applicationNo: `${prefix}${i}`,
      name: `Student ${i}`,
      personalEmail: `${prefix.toLowerCase()}${i}@example.com`,
      programCode: 'MSC-IT',
      studyLevel: 'TPG',
      residency: 'LOCAL',
      cohortId,
      registrationDeadline,
    }));
  const post = (json: unknown) => fetchJson(`${stack.url}/api/imports?wait=true`, { method: 'POST', bearer: stack.adminKey, json });

  it('the same settings import again (more students); another deadline or another policy is a 409 that says how to extend instead', async () => {
    const cohortId = uniq('cp-');
    const prefix = uniq('CP').toUpperCase();
    const first = await post({ students: students(prefix, cohortId), policy: { verificationSlaWorkingDays: 5 } });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const more = await post({ students: students(`${prefix}M`, cohortId), policy: { verificationSlaWorkingDays: 5 } });
    assert.equal(more.status, 200, JSON.stringify(more.body));
    const jobs = await stack.prisma.importJob.count({ where: { cohortId } });

    const later = await post({ students: students(`${prefix}L`, cohortId, '2027-09-30T15:59:59.999Z') });
    assert.equal(later.status, 409, JSON.stringify(later.body));
    assert.equal(later.body.code, 'COHORT_POLICY_CONFLICT');
    assert.equal(later.body.details.cohortId, cohortId);
    assert.match(later.body.details.differences.join(' '), /registration deadline 2027-08-31T15:59:59.999Z, the import says 2027-09-30T15:59:59.999Z/);
    assert.match(later.body.message, /extend the deadline of each registration/);
    assert.match(later.body.message, /\/api\/registrations\/\{applicationNo\}\/deadline/);

    const policy = await post({ students: students(`${prefix}P`, cohortId), policy: { verificationSlaWorkingDays: 3 } });
    assert.equal(policy.status, 409);
    assert.match(policy.body.details.differences.join(' '), /verificationSlaWorkingDays 5, the import says 3/);

    const row = await stack.prisma.cohort.findUniqueOrThrow({ where: { id: cohortId } });
    assert.equal(row.registrationDeadline.toISOString(), DEADLINE);
    assert.equal((row.policy as { verificationSlaWorkingDays: number }).verificationSlaWorkingDays, 5);
    assert.equal(await stack.prisma.importJob.count({ where: { cohortId } }), jobs, 'a refused import records no job');
    assert.equal(await stack.prisma.registration.count({ where: { applicationNo: { startsWith: `${prefix}L` } } }), 0);
  });
});
