import assert from 'node:assert/strict';
import { uniq } from '../kit/servers';
import { DASHBOARD_NOW, seedDashboardCohort, type SeededCohort } from '../support/dashboard-cohort';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { fetchJson, startGateway, type TestGateway } from './support';

// Expected figures are worked out by hand from the table in test/support/dashboard-cohort.ts.
describe('gateway: cohort dashboard figures', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  let key: string;
  let seeded: SeededCohort;

  before(async () => {
    gw = await startGateway({ now: () => DASHBOARD_NOW.getTime() });
    key = (await createStaffKey(gw.prisma, { name: uniq('officer.'), role: 'officer' })).key;
    seeded = await seedDashboardCohort(
      gw.prisma,
      uniq('dash-'),
      uniq('D')
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .slice(0, 12),
    );
  });
  after(async () => gw?.close());

  const get = async (chart: string, query: Record<string, string> = {}) => {
    const res = await fetchJson(`${gw.url}/api/dashboard/${chart}?${new URLSearchParams({ cohortId: seeded.cohortId, ...query })}`, { bearer: key });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };

  it('registrations by status, every status listed, and narrowed by program or study level', async () => {
    assert.deepEqual(await get('statuses'), {
      total: 6,
      statuses: [
        { status: 'IN_PROGRESS', count: 4 },
        { status: 'INCOMPLETE', count: 0 },
        { status: 'COMPLETED', count: 1 },
        { status: 'WITHDRAWN', count: 1 },
      ],
    });
    const comp = await get('statuses', { programCode: 'bsc-comp' });
    assert.deepEqual(
      comp.statuses.map((s: any) => s.count),
      [0, 0, 1, 1],
    );
    assert.equal((await get('statuses', { studyLevel: 'UG' })).total, 4);
  });

  it('registrations by student category, as the StudentCategory search attribute spells it', async () => {
    const { total, categories } = await get('categories');
    assert.equal(total, 6);
    assert.deepEqual(
      categories.map((c: any) => [c.category, c.count]),
      [
        ['RPG-LOCAL', 1],
        ['TPG-NON_LOCAL', 1],
        ['UG-JUPAS-LOCAL', 2],
        ['UG-NON_JUPAS-LOCAL', 1],
        ['UG-NON_JUPAS-NON_LOCAL', 1],
      ],
    );
    assert.deepEqual(
      categories.find((c: any) => c.category === 'UG-NON_JUPAS-NON_LOCAL'),
      {
        category: 'UG-NON_JUPAS-NON_LOCAL',
        studyLevel: 'UG',
        admissionRoute: 'NON_JUPAS',
        residency: 'NON_LOCAL',
        count: 1,
      },
    );
  });

  it('burn-down: per Hong Kong day, registrations still missing a compulsory item, to the deadline', async () => {
    const b = await get('burndown');
    assert.equal(b.today, '2027-08-18');
    assert.equal(b.registrationDeadline, '2027-08-20T15:59:59.999Z');
    assert.equal(b.paymentDeadline, '2027-08-19T15:59:59.999Z');
    assert.deepEqual(
      b.days.map((d: any) => [d.date.slice(5), d.missing, d.registrations]),
      [
        ['08-09', 5, 5], // S1–S5 admitted, nobody complete yet
        ['08-10', 5, 5],
        ['08-11', 5, 6], // S6 admitted; S1's identification came in
        ['08-12', 4, 5], // S5 declined and leaves the count
        ['08-13', 3, 5], // S4's identification came in
        ['08-14', 3, 5],
        ['08-15', 3, 5],
        ['08-16', 3, 5],
        ['08-17', 3, 5],
        ['08-18', 3, 5], // today: S2 (receipt), S3 (visa rejected), S6 (form, identification)
        ['08-19', null, null],
        ['08-20', null, null],
      ],
    );
    const noCohort = await fetchJson(`${gw.url}/api/dashboard/burndown`, { bearer: key });
    assert.equal(noCohort.status, 400);
    const unknown = await fetchJson(`${gw.url}/api/dashboard/burndown?cohortId=no-such-cohort`, { bearer: key });
    assert.equal(unknown.status, 404);
  });

  it('outstanding items by kind in open registrations, split by state', async () => {
    const { items } = await get('outstanding');
    assert.deepEqual(
      items.map((i: any) => [i.itemKey, i.pending, i.rejected, i.submitted]),
      [
        ['FORM', 1, 0, 0],
        ['ID_DOCUMENT', 1, 0, 3],
        ['VISA', 0, 1, 0],
        ['TUITION_RECEIPT', 1, 0, 0],
        ['PHOTO', 3, 0, 1],
        ['SUPPLEMENTARY:FINAL_TRANSCRIPT', 1, 0, 0],
      ],
    );
  });

  it('review backlog by age in working days, with the service level and one breach', async () => {
    const b = await get('review-backlog');
    assert.equal(b.serviceLevelDays, 5);
    assert.equal(b.total, 4);
    assert.equal(b.breached, 1);
    // S3 photo (today) 0; S3 identification (Mon 16) 2; S4 (Fri 13) 3; S2 (Tue 10) 6, past the service level.
    assert.deepEqual(
      b.ages.map((a: any) => [a.ageWorkingDays, a.count, a.breached]),
      [
        [0, 1, 0],
        [1, 0, 0],
        [2, 1, 0],
        [3, 1, 0],
        [4, 0, 0],
        [5, 0, 0],
        [6, 1, 1],
      ],
    );
  });

  it('late events by kind, with the registration status each came after, narrowed by program', async () => {
    // S5 (withdrawn) paid twice after declining; S1 (completed) activated again.
    assert.deepEqual(await get('late-events'), {
      total: 3,
      kinds: [
        { kind: 'PAYMENT', count: 2, statuses: [{ status: 'WITHDRAWN', count: 2 }] },
        { kind: 'ACTIVATION', count: 1, statuses: [{ status: 'COMPLETED', count: 1 }] },
      ],
    });
    // S1 and S5 are both BSC-COMP; nobody in PHD-CSE has a late event.
    assert.equal((await get('late-events', { programCode: 'BSC-COMP' })).total, 3);
    assert.deepEqual(await get('late-events', { programCode: 'PHD-CSE' }), {
      total: 0,
      kinds: [
        { kind: 'PAYMENT', count: 0, statuses: [] },
        { kind: 'ACTIVATION', count: 0, statuses: [] },
      ],
    });
  });

  it('the lists the charts link to hold the same students as the bars', async () => {
    const list = async (path: string, query: Record<string, string>) => {
      const res = await fetchJson(`${gw.url}${path}?${new URLSearchParams({ cohortId: seeded.cohortId, ...query })}`, { bearer: key });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.items.map((r: any) => (r.itemKey ? `${r.applicationNo}/${r.itemKey}` : r.applicationNo)).sort();
    };
    const [s1, s2, s3, s4, s5, s6] = seeded.no as [string, string, string, string, string, string];
    assert.deepEqual(await list('/api/registrations', { status: 'IN_PROGRESS' }), [s2, s3, s4, s6]);
    assert.deepEqual(await list('/api/registrations', { studyLevel: 'UG', admissionRoute: 'JUPAS', residency: 'LOCAL' }), [s1, s5]);
    // Burn-down today: still missing a compulsory item; S5 declined and is not counted.
    assert.deepEqual(await list('/api/registrations', { missingCompulsory: 'true' }), [s2, s3, s6]);
    assert.deepEqual(await list('/api/registrations', { outstanding: 'PHOTO', open: 'true' }), [s2, s3, s4, s6]);
    assert.deepEqual(await list('/api/review-queue', {}), [`${s2}/ID_DOCUMENT`, `${s3}/ID_DOCUMENT`, `${s3}/PHOTO`, `${s4}/ID_DOCUMENT`]);
    assert.deepEqual(await list('/api/review-queue', { slaBreached: 'true' }), [`${s2}/ID_DOCUMENT`]);
    assert.deepEqual(await list('/api/review-queue', { studyLevel: 'TPG' }), [`${s3}/ID_DOCUMENT`, `${s3}/PHOTO`]);
    const late = async (kind: string) =>
      (await fetchJson(`${gw.url}/api/late-events?${new URLSearchParams({ cohortId: seeded.cohortId, kind })}`, { bearer: key })).body.items
        .map((r: any) => r.applicationNo)
        .sort();
    assert.deepEqual(await late('PAYMENT'), [s5, s5]);
    assert.deepEqual(await late('ACTIVATION'), [s1]);
  });

  it('lists the cohorts to choose from; students cannot see the dashboard', async () => {
    const res = await fetchJson(`${gw.url}/api/dashboard/cohorts`, { bearer: key });
    assert.equal(res.status, 200);
    const mine = res.body.items.find((c: any) => c.id === seeded.cohortId);
    assert.deepEqual(mine, {
      id: seeded.cohortId,
      name: null,
      registrationDeadline: '2027-08-20T15:59:59.999Z',
      paymentDeadline: '2027-08-19T15:59:59.999Z',
      registrations: 6,
    });
    assert.equal((await fetchJson(`${gw.url}/api/dashboard/statuses`)).status, 401);
  });
});
