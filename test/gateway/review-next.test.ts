import assert from 'node:assert/strict';
import { uniq } from '../kit/servers';
import { seedDashboardCohort, type SeededCohort } from '../support/dashboard-cohort';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { fetchJson, startGateway, type TestGateway } from './support';

/*
 * The seeded cohort's submitted items, oldest first (test/support/dashboard-cohort.ts):
 *   S2 ID_DOCUMENT (Tue 10 Aug), S4 ID_DOCUMENT (Fri 13), S3 ID_DOCUMENT (Mon 16), S3 PHOTO (Wed 18).
 */
describe('gateway: Review next', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  let seeded: SeededCohort;
  let keys: string[];

  before(async () => {
    gw = await startGateway();
    seeded = await seedDashboardCohort(
      gw.prisma,
      uniq('next-'),
      uniq('N')
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .slice(0, 12),
    );
    keys = await Promise.all([1, 2, 3, 4, 5].map(async (i) => (await createStaffKey(gw.prisma, { name: uniq(`officer${i}.`), role: 'officer' })).key));
  });
  after(async () => gw?.close());

  const next = (key: string, filter: Record<string, string> = {}) =>
    fetchJson(`${gw.url}/api/review/next`, { method: 'POST', bearer: key, json: { cohortId: seeded.cohortId, ...filter } });
  const held = (res: { body: any }) => (res.body.item ? `${res.body.item.applicationNo}/${res.body.item.itemKey}` : null);
  const [s2, s3, s4] = [1, 2, 3].map((i) => () => seeded.no[i]!);

  it('two officers pressing at once get different items: the two oldest', async () => {
    const [a, b] = await Promise.all([next(keys[0]!), next(keys[1]!)]);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(b.status, 200, JSON.stringify(b.body));
    assert.deepEqual(new Set([held(a), held(b)]), new Set([`${s2()}/ID_DOCUMENT`, `${s4()}/ID_DOCUMENT`]));
    const claim = a.body.item;
    const minutes = (Date.parse(claim.claimedUntil) - Date.now()) / 60_000;
    assert.ok(minutes > 4 && minutes <= 5, `claimed for the configured 5 minutes, got ${minutes.toFixed(2)}`);
  });

  it('a third officer gets the next one; asking again frees what you held; nothing left is null', async () => {
    const c = await next(keys[2]!);
    assert.equal(held(c), `${s3()}/ID_DOCUMENT`);
    // The third officer skips: they get the photo, and S3's identification goes back to the others.
    const c2 = await next(keys[2]!);
    assert.equal(held(c2), `${s3()}/PHOTO`);
    const d = await next(keys[3]!);
    assert.equal(held(d), `${s3()}/ID_DOCUMENT`);
    const e = await next(keys[4]!);
    assert.equal(e.status, 200);
    assert.equal(e.body.item, null);
  });

  it('a claim lapses by itself: once expired, the item goes to the next officer who asks', async () => {
    await gw.prisma.reviewClaim.update({
      where: { registrationNo_itemKey: { registrationNo: s2(), itemKey: 'ID_DOCUMENT' } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const e = await next(keys[4]!);
    assert.equal(held(e), `${s2()}/ID_DOCUMENT`);
  });

  it('many officers at once in a fresh cohort: every item to exactly one of them', async () => {
    const fresh = await seedDashboardCohort(
      gw.prisma,
      uniq('next-'),
      uniq('M')
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .slice(0, 12),
    );
    const results = await Promise.all(
      keys.map((k) => fetchJson(`${gw.url}/api/review/next`, { method: 'POST', bearer: k, json: { cohortId: fresh.cohortId } })),
    );
    const items = results.map(held);
    assert.deepEqual(
      items.filter(Boolean).sort(),
      [`${fresh.no[1]}/ID_DOCUMENT`, `${fresh.no[2]}/ID_DOCUMENT`, `${fresh.no[2]}/PHOTO`, `${fresh.no[3]}/ID_DOCUMENT`].sort(),
    );
    assert.equal(items.filter((x) => x === null).length, 1);
  });

  it('filters like the queue; students may not ask', async () => {
    const photos = await next(keys[0]!, { kind: 'VISA' });
    assert.equal(photos.body.item, null, "no visa is waiting for review (S3's was rejected)");
    const student = await fetchJson(`${gw.url}/api/review/next`, { method: 'POST', json: {} });
    assert.equal(student.status, 401);
  });
});
