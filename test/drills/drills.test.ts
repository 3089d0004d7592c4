/**
 * The fault drills, short: 30 students each and shorter outages (10 s of
 * PostgreSQL, 8 s of Resend), on the same separate-process stack as
 * `npm run drills`. Each drill must lose nothing, double no email, need no
 * manual step, recover, and see no 5xx other than 503. The full version (300
 * students, 30 s / 20 s outages) is `npm run drills`; docs/operations.md says
 * what each drill proves.
 */
import assert from 'node:assert/strict';
import { audit } from '../../drills/audit';
import { makeCohort } from '../../drills/cohort';
import { DRILLS, type DrillName } from '../../drills/drills';
import { importCohort, invitedCount, passed } from '../../drills/kit';
import { DrillSession, formatTable } from '../../drills/run';
import { waitFor } from '../../drills/stack';
import { Api, Ledger } from '../../drills/students';
import { SUBJECTS } from '../../activities/email/templates';

const STUDENTS = Number(process.env.DRILL_STUDENTS ?? 30);

describe('fault drills (short: npm run drills is the full version)', function () {
  this.timeout(600_000);
  let session: DrillSession;

  before(async () => {
    session = await new DrillSession({ students: STUDENTS, outageMs: { postgres: 10_000, resend: 8_000 }, recoveryTimeoutMs: 240_000, log: () => {} }).open();
  });

  after(async () => {
    await session?.close();
  });

  it('the audit counts a registration that is missing and an email sent twice (the harness can fail)', async () => {
    const { stack, adminKey } = await session.stack();
    const api = new Api(stack.gatewayUrl, new Ledger());
    const imported = makeCohort('selfcheck', 3);
    const never = makeCohort('never', 2);
    await importCohort(api, adminKey, imported, true);
    await waitFor('invitations', 120_000, async () => {
      if (invitedCount(session.fake, imported) < 3) throw new Error('not yet');
    });
    // A second invitation to one student, under a key of its own: what a re-sent invitation would look like.
    const first = imported.students[0]!;
    await session.fake
      .client()
      .emails.send(
        { from: 'x@example.com', to: [first.email], subject: SUBJECTS.INVITATION, text: 'again', html: '<p>again</p>' },
        { idempotencyKey: 'selfcheck-extra' },
      );
    const input = { temporal: stack.temporal, databaseUrl: stack.databaseUrl, fake: session.fake };
    const a = await audit({ ...input, cohort: imported });
    assert.equal(a.duplicateEmails, 1);
    assert.deepEqual(a.lost, []);
    const b = await audit({ ...input, cohort: never });
    assert.deepEqual(b.lost.sort(), never.students.map((s) => s.applicationNo).sort());
  });

  for (const name of Object.keys(DRILLS) as DrillName[]) {
    it(`${name}: nothing lost, no duplicate email, no manual step, no 5xx`, async () => {
      const row = await session.run(name);
      assert.ok(passed(row), `\n${formatTable([row])}`);
    });
  }
});
