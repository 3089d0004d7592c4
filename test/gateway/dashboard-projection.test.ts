/**
 * The dashboard's item figures read what the projection keeps for them: copies
 * of the registration's cohort, program, study level and status on every
 * checklist item (the review backlog, no join with the registrations), and
 * counters of outstanding items (OutstandingItemCount). These tests move a
 * registration between cohorts, programs and statuses through the real
 * projection and check the figures by hand: a copy left behind or a counter
 * not moved would count an item in the wrong cohort or keep a closed
 * registration's items outstanding. The counters are also checked against a
 * fresh count of the items.
 */
import assert from 'node:assert/strict';
import { createProjectRegistration } from '../../activities/projection';
import { outstanding, reviewBacklog, type DashboardFilter } from '../../src/dashboard/figures';
import type { PrismaClient } from '../../src/db/prisma';
import { setHolidays, startRegistration, type ProjectionSnapshot } from '../../workflows/registration/state';
import { registerDocument, declineOffer } from '../../workflows/registration/student-actions';
import { takeSnapshot } from '../../workflows/registration/views';
import { database, uniq } from '../kit/servers';
import { countersOf } from '../kit/outstanding-counts';
import { DAY, HOUR, aStudent, policyDue, upload } from '../workflow/support';

const T0 = Date.parse('2027-06-01T02:00:00Z');
const NOW = new Date(T0 + 2 * DAY);

describe('dashboard counts follow the registration through the projection', function () {
  this.timeout(60_000);
  let db: { prisma: PrismaClient; project: ReturnType<typeof createProjectRegistration> };
  before(async () => {
    const { prisma } = await database();
    db = { prisma, project: createProjectRegistration({ prisma }) };
  });
  const project = (s: ProjectionSnapshot) => db.project(s);

  /** Outstanding counts as `KEY pending/rejected/submitted`, in the chart's order. */
  const counts = async (f: DashboardFilter) => (await outstanding(db.prisma, f)).items.map((i) => `${i.itemKey} ${i.pending}/${i.rejected}/${i.submitted}`);
  const backlog = async (f: DashboardFilter) => (await reviewBacklog(db.prisma, f, NOW, async () => new Set(), 5)).total;

  /** A later snapshot of the same registration, as if its student record had been changed. */
  const moved = (s: ProjectionSnapshot, student: Partial<ProjectionSnapshot['view']['student']>, seq: number): ProjectionSnapshot => ({
    ...s,
    seq,
    events: [],
    view: { ...s.view, student: { ...s.view.student, ...student } },
  });

  it('moving cohort and program, then withdrawing, moves and then removes its items from the counts', async () => {
    const cohortA = uniq('cohort-a-');
    const cohortB = uniq('cohort-b-');
    // A taught postgraduate, local: ACTIVATION, FORM, ID_DOCUMENT (compulsory) and PHOTO; no visa, no fee receipt.
    const x = startRegistration(
      { student: aStudent({ applicationNo: uniq('X'), cohortId: cohortA, programCode: 'MSC-IT' }), policy: policyDue(T0 + 30 * DAY) },
      T0,
    );
    const y = startRegistration(
      { student: aStudent({ applicationNo: uniq('Y'), cohortId: cohortB, programCode: 'MSC-IT' }), policy: policyDue(T0 + 30 * DAY) },
      T0,
    );
    setHolidays(x, []);
    setHolidays(y, []);
    await project(takeSnapshot(x));
    await project(takeSnapshot(y));

    assert.deepEqual(await counts({ cohortId: cohortA }), ['ACTIVATION 1/0/0', 'FORM 1/0/0', 'ID_DOCUMENT 1/0/0', 'PHOTO 1/0/0']);
    assert.deepEqual(await counts({ cohortId: cohortB }), ['ACTIVATION 1/0/0', 'FORM 1/0/0', 'ID_DOCUMENT 1/0/0', 'PHOTO 1/0/0']);

    // X hands in the identification document: awaiting review in cohort A.
    registerDocument(x, upload('ID_DOCUMENT'), T0 + HOUR);
    const submitted = takeSnapshot(x);
    await project(submitted);
    assert.deepEqual(await counts({ cohortId: cohortA }), ['ACTIVATION 1/0/0', 'FORM 1/0/0', 'ID_DOCUMENT 0/0/1', 'PHOTO 1/0/0']);
    assert.equal(await backlog({ cohortId: cohortA }), 1);
    assert.equal(await backlog({ cohortId: cohortB }), 0);

    // X's record moves to cohort B and another program: all four items go with it.
    await project(moved(submitted, { cohortId: cohortB, programCode: 'MSC-DS' }, submitted.seq + 1));
    assert.deepEqual(await counts({ cohortId: cohortA }), []);
    assert.equal(await backlog({ cohortId: cohortA }), 0);
    assert.deepEqual(await counts({ cohortId: cohortB }), ['ACTIVATION 2/0/0', 'FORM 2/0/0', 'ID_DOCUMENT 1/0/1', 'PHOTO 2/0/0']);
    assert.equal(await backlog({ cohortId: cohortB }), 1);
    assert.deepEqual(await counts({ cohortId: cohortB, programCode: 'MSC-IT' }), ['ACTIVATION 1/0/0', 'FORM 1/0/0', 'ID_DOCUMENT 1/0/0', 'PHOTO 1/0/0']);
    assert.deepEqual(await counts({ cohortId: cohortB, programCode: 'MSC-DS' }), ['ACTIVATION 1/0/0', 'FORM 1/0/0', 'ID_DOCUMENT 0/0/1', 'PHOTO 1/0/0']);
    assert.equal(await backlog({ cohortId: cohortB, programCode: 'MSC-IT' }), 0);

    // An older snapshot arriving late changes nothing (the projection ignores it, copies included).
    assert.deepEqual(await project(submitted), { applied: false });
    assert.deepEqual(await counts({ cohortId: cohortA }), []);

    // X withdraws (declines the offer): a closed registration owes nothing and waits for no review.
    declineOffer(x, { actor: 'student', reason: 'another offer' }, T0 + DAY);
    const declined = takeSnapshot(x);
    assert.equal(declined.view.status, 'WITHDRAWN');
    await project(moved(declined, { cohortId: cohortB, programCode: 'MSC-DS' }, declined.seq + 1));
    assert.deepEqual(await counts({ cohortId: cohortB }), ['ACTIVATION 1/0/0', 'FORM 1/0/0', 'ID_DOCUMENT 1/0/0', 'PHOTO 1/0/0']);
    assert.equal(await backlog({ cohortId: cohortB }), 0);
    assert.deepEqual(await counts({ cohortId: cohortB, programCode: 'MSC-DS' }), []);
    for (const cohort of [cohortA, cohortB]) {
      const { counted, kept } = await countersOf(db.prisma, cohort);
      assert.deepEqual(kept, counted, cohort);
    }
  });

  it('a study level filter counts the items by the registration’s current level', async () => {
    const cohort = uniq('cohort-l-');
    const s = startRegistration({ student: aStudent({ applicationNo: uniq('L'), cohortId: cohort, studyLevel: 'TPG' }), policy: policyDue(T0 + 30 * DAY) }, T0);
    setHolidays(s, []);
    const first = takeSnapshot(s);
    await project(first);
    assert.deepEqual(await counts({ cohortId: cohort, studyLevel: 'TPG' }), ['ACTIVATION 1/0/0', 'FORM 1/0/0', 'ID_DOCUMENT 1/0/0', 'PHOTO 1/0/0']);
    await project(moved(first, { studyLevel: 'RPG' }, first.seq + 1));
    assert.deepEqual(await counts({ cohortId: cohort, studyLevel: 'TPG' }), []);
    assert.deepEqual(await counts({ cohortId: cohort, studyLevel: 'RPG' }), ['ACTIVATION 1/0/0', 'FORM 1/0/0', 'ID_DOCUMENT 1/0/0', 'PHOTO 1/0/0']);
    const { counted, kept } = await countersOf(db.prisma, cohort);
    assert.deepEqual(kept, counted);
  });

  it('snapshots applied concurrently and repeated keep the counters equal to the items', async () => {
    const cohort = uniq('cohort-c-');
    const r = startRegistration(
      { student: aStudent({ applicationNo: uniq('C'), cohortId: cohort, residency: 'NON_LOCAL' }), policy: policyDue(T0 + 30 * DAY) },
      T0,
    );
    setHolidays(r, []);
    const snaps = [takeSnapshot(r)];
    registerDocument(r, upload('ID_DOCUMENT'), T0 + HOUR);
    snaps.push(takeSnapshot(r));
    registerDocument(r, upload('VISA'), T0 + 2 * HOUR);
    snaps.push(takeSnapshot(r));
    await Promise.all([...snaps, ...snaps].reverse().map((s) => project(s)));
    // Non-local taught postgraduate: ACTIVATION, FORM, ID_DOCUMENT, VISA and PHOTO; two handed in.
    assert.deepEqual(await counts({ cohortId: cohort }), ['ACTIVATION 1/0/0', 'FORM 1/0/0', 'ID_DOCUMENT 0/0/1', 'VISA 0/0/1', 'PHOTO 1/0/0']);
    const { counted, kept } = await countersOf(db.prisma, cohort);
    assert.deepEqual(kept, counted);
  });
});
