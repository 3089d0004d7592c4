/**
 * The read-model projection on the real PostgreSQL: snapshots of a real
 * registration (the state machine the workflow runs) applied in order, out of
 * order, repeated and concurrently all end in the same rows.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createSendEmail, outboxPaths } from '../../activities/email/send-email';
import { compulsoryInAt, createProjectRegistration } from '../../activities/projection';
import { loadConfig } from '../../src/config';
import type { EmailRequest } from '../../workflows/registration/emails';
import type { RegistrationStatusView } from '../../workflows/registration/types';
import { createPrisma, type PrismaClient } from '../../src/db/prisma';
import { setHolidays, startRegistration, cameInAt, type ProjectionSnapshot } from '../../workflows/registration/state';
import { activateAccount } from '../../workflows/registration/event-actions';
import { submitForm, registerDocument } from '../../workflows/registration/student-actions';
import { verifyItem, rejectItem, waiveItem } from '../../workflows/registration/review-actions';
import { advance } from '../../workflows/registration/time-actions';
import { removePage, sendForReview } from '../../workflows/registration/document-pages';
import { takeSnapshot } from '../../workflows/registration/views';
import { database, uniq } from '../kit/servers';
import { DAY, HOUR, STAFF, aStudent, policyDue, upload } from '../workflow/support';
import { validForm } from '../kit/samples';

const T0 = Date.parse('2027-06-01T02:00:00Z');

/** Snapshots taken after each step of a registration that ends INCOMPLETE (photo owed). */
function snapshotsOfARegistration(applicationNo = uniq('P')): ProjectionSnapshot[] {
  const student = aStudent({ applicationNo, residency: 'NON_LOCAL' });
  const r = startRegistration({ student, policy: policyDue(T0 + 30 * DAY) }, T0);
  setHolidays(r, []);
  const snaps = [takeSnapshot(r)];
  const step = (fn: () => unknown) => {
    fn();
    snaps.push(takeSnapshot(r));
  };
  step(() => activateAccount(r, { actor: 'system:idp', universityEmail: `${applicationNo}@connect.ust.hk` }, T0 + HOUR));
  step(() => submitForm(r, { actor: 'student', form: validForm }, T0 + 2 * HOUR));
  step(() => registerDocument(r, upload('ID_DOCUMENT'), T0 + 3 * HOUR));
  step(() => rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred' }, T0 + DAY));
  step(() => registerDocument(r, upload('ID_DOCUMENT'), T0 + 2 * DAY));
  step(() => verifyItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT' }, T0 + 3 * DAY));
  step(() => registerDocument(r, upload('VISA'), T0 + 3 * DAY));
  step(() => waiveItem(r, { actor: STAFF, itemKey: 'VISA', reason: 'visa verified by the immigration office' }, T0 + 4 * DAY));
  step(() => advance(r, T0 + 30 * DAY));
  assert.equal(r.status, 'INCOMPLETE');
  return snaps;
}

/** Everything projected for one registration, without generated ids and timestamps. */
async function readModel(prisma: PrismaClient, no: string) {
  // changeNo counts writes across all registrations (the live streams' order), not what was projected.
  const { createdAt, updatedAt, changeNo, ...registration } = await prisma.registration.findUniqueOrThrow({ where: { applicationNo: no } });
  void createdAt;
  void updatedAt;
  void changeNo;
  const items = await prisma.checklistItem.findMany({ where: { registrationNo: no }, orderBy: { key: 'asc' } });
  const documents = (await prisma.document.findMany({ where: { registrationNo: no }, orderBy: [{ itemKey: 'asc' }, { version: 'asc' }] })).map(
    ({ id, ...d }) => (void id, d),
  );
  const reviews = (await prisma.review.findMany({ where: { registrationNo: no }, orderBy: { seq: 'asc' } })).map(({ id, ...r }) => (void id, r));
  const audit = await prisma.auditEvent.findMany({ where: { registrationNo: no }, orderBy: { seq: 'asc' } });
  return { registration, items, documents, reviews, audit };
}

describe('read-model projection', function () {
  this.timeout(60_000);
  let prisma: PrismaClient;
  let project: ReturnType<typeof createProjectRegistration>;

  before(async () => {
    prisma = (await database()).prisma;
    project = createProjectRegistration({ prisma });
  });

  it('in order: the registration, its items, document versions, reviews and the audit trail', async () => {
    const snaps = snapshotsOfARegistration();
    const no = snaps[0].view.applicationNo;
    for (const s of snaps) assert.deepEqual(await project(s), { applied: true });
    const m = await readModel(prisma, no);
    assert.deepEqual([m.registration.status, m.registration.outcomeReason, m.registration.seq], ['INCOMPLETE', 'SUPPLEMENTARY_OWED', snaps.at(-1)!.seq]);
    assert.deepEqual(m.registration.outstandingItems, ['PHOTO']);
    // The read model keeps university emails in lower case, the form they are unique in (docs/gateway.md).
    assert.equal(m.registration.universityEmail, `${no.toLowerCase()}@connect.ust.hk`);
    assert.deepEqual(
      m.items.map((i) => `${i.key}:${i.state}`),
      ['ACTIVATION:VERIFIED', 'FORM:VERIFIED', 'ID_DOCUMENT:VERIFIED', 'PHOTO:PENDING', 'VISA:WAIVED'],
    );
    assert.deepEqual(
      m.documents.map((d) => `${d.itemKey}#${d.version}`),
      ['ID_DOCUMENT#1', 'ID_DOCUMENT#2', 'VISA#1'],
    );
    assert.deepEqual(
      m.reviews.map((r) => `${r.itemKey}:${r.decision}:${r.actor}`),
      ['ACTIVATION:VERIFIED:system:idp', 'FORM:VERIFIED:student', `ID_DOCUMENT:REJECTED:${STAFF}`, `ID_DOCUMENT:VERIFIED:${STAFF}`, `VISA:WAIVED:${STAFF}`],
    );
    assert.deepEqual(
      m.audit.map((a) => a.seq),
      [...Array(snaps.at(-1)!.seq).keys()].map((i) => i + 1),
    );
    const cohort = await prisma.cohort.findUniqueOrThrow({ where: { id: snaps[0].view.student.cohortId } });
    assert.ok(cohort.registrationDeadline instanceof Date);
  });

  it("keeps the whole status for the status page while it is within an action's answer's bounds, and drops it past them", async () => {
    const snaps = snapshotsOfARegistration();
    const no = snaps[0].view.applicationNo;
    const kept: boolean[] = [];
    for (const s of snaps) {
      await project(s);
      const row = await prisma.statusSnapshot.findUnique({ where: { applicationNo: no } });
      kept.push(row !== null);
      if (row) assert.equal(row.seq, s.seq, 'the status of the change just projected');
      if (s === snaps[4]) {
        // After the ID document's rejection: one submission and one review of each item, no email yet.
        const view = JSON.parse(row!.view) as RegistrationStatusView;
        const id = view.items.find((i) => i.key === 'ID_DOCUMENT')!;
        assert.deepEqual(
          [id.state, id.submissions.map((f) => f.version), id.reviews.map((r) => [r.decision, r.reasonCode])],
          ['REJECTED', [1], [['REJECTED', 'UNREADABLE']]],
        );
        assert.equal(view.form?.legalName, validForm.legalName);
      }
    }
    // Started, activated, form, ID document sent, rejected: within bounds. Sent again (a second submission of the
    // item) and every change after: past them, the page asks the workflow.
    assert.deepEqual(kept, [true, true, true, true, true, false, false, false, false, false]);
    // A stale snapshot from within the bounds, arriving late, brings back nothing.
    await project(snaps[3]);
    assert.equal(await prisma.statusSnapshot.count({ where: { applicationNo: no } }), 0);
  });

  it('keeps when the compulsory items were all in, and when the outcome came (for the dashboard and the export)', async () => {
    const snaps = snapshotsOfARegistration();
    const no = snaps[0].view.applicationNo;
    const seen: Array<[number | null, number | null]> = [];
    for (const s of snaps) {
      await project(s);
      const r = await prisma.registration.findUniqueOrThrow({ where: { applicationNo: no } });
      seen.push([r.compulsoryInAt ? (r.compulsoryInAt.getTime() - T0) / HOUR : null, r.outcomeAt ? (r.outcomeAt.getTime() - T0) / DAY : null]);
    }
    // Hours after T0: the visa, the last compulsory item, came in at 3 days (72 h); its waiver a day later does not move that.
    // The outcome (INCOMPLETE) came at the deadline, 30 days after T0.
    assert.deepEqual(seen, [
      [null, null], // started
      [null, null], // activated
      [null, null], // form
      [null, null], // identification
      [null, null], // identification rejected
      [null, null], // identification again (visa still missing)
      [null, null], // identification verified
      [72, null], // visa handed in: everything compulsory is in
      [72, null], // visa waived
      [72, 30], // deadline: INCOMPLETE
    ]);
  });

  it('an item comes in at its first submission or waiver after its last rejection', () => {
    const at = (h: number) => new Date(T0 + h * HOUR).toISOString();
    const item = (key: string, extra: object) => {
      const full = { key, compulsory: true, submissions: [], reviews: [], ...extra } as never;
      return { ...(full as object), inAt: cameInAt(full) } as never;
    };
    const rejected = { decision: 'REJECTED', at: at(3) };
    assert.equal(
      compulsoryInAt([
        item('ACTIVATION', { state: 'VERIFIED', submittedAt: at(0) }),
        item('ID_DOCUMENT', { state: 'SUBMITTED', submittedAt: at(5), submissions: [{ at: at(1) }, { at: at(5) }, { at: at(6) }], reviews: [rejected] }),
        item('VISA', { state: 'WAIVED', reviewedAt: at(4), reviews: [{ decision: 'WAIVED', at: at(4) }] }),
        item('PHOTO', { state: 'PENDING', compulsory: false }),
      ])?.getTime(),
      T0 + 5 * HOUR,
    );
    assert.equal(
      compulsoryInAt([
        item('ID_DOCUMENT', { state: 'WAIVED', submissions: [{ at: at(1) }], reviews: [rejected, { decision: 'WAIVED', at: at(4) }] }),
      ])?.getTime(),
      T0 + 4 * HOUR,
    );
    assert.equal(compulsoryInAt([item('ID_DOCUMENT', { state: 'REJECTED', submissions: [{ at: at(1) }], reviews: [rejected] })]), null);
  });

  it('out of order and repeated: the same rows as in order; a stale snapshot changes nothing', async () => {
    const no = uniq('P');
    const snaps = snapshotsOfARegistration(no);
    const shuffled = [snaps[5], snaps[9], snaps[0], snaps[3], snaps[9], snaps[1], snaps[8], snaps[2], snaps[7], snaps[4], snaps[6], snaps[3]];
    const applied = [];
    for (const s of shuffled) applied.push((await project(s)).applied);
    assert.deepEqual(applied, [true, true, false, false, false, false, false, false, false, false, false, false]);
    const outOfOrder = await readModel(prisma, no);

    // The same history, in order, for another student: identical apart from the student's identity.
    const other = uniq('P');
    for (const s of snapshotsOfARegistration(other)) await project(s);
    const inOrder = await readModel(prisma, other);
    const normalise = (m: typeof inOrder, n: string) =>
      JSON.parse(
        JSON.stringify(m)
          .replace(new RegExp(n, 'gi'), 'NO')
          .replace(/"sha256":"[0-9a-f]{64}"/g, '"sha256":"X"'),
      ) as unknown;
    assert.deepEqual(normalise(outOfOrder, no), normalise(inOrder, other));
    assert.equal(outOfOrder.registration.status, 'INCOMPLETE');
  });

  it('pages: a removal projected before the page it removes leaves the same rows as in order (the removed page a tombstone)', async () => {
    const pagesOf = (no: string): ProjectionSnapshot[] => {
      const r = startRegistration({ student: aStudent({ applicationNo: no }), policy: policyDue(T0 + 30 * DAY) }, T0);
      setHolidays(r, []);
      const snaps = [takeSnapshot(r)];
      const page = (name: string, sha: string) => upload('ID_DOCUMENT', { keepDraft: true, originalName: name, sha256: sha.repeat(64) });
      registerDocument(r, page('front.jpg', 'a'), T0 + HOUR);
      snaps.push(takeSnapshot(r));
      registerDocument(r, page('back.jpg', 'b'), T0 + 2 * HOUR);
      snaps.push(takeSnapshot(r));
      removePage(r, { actor: 'student', itemKey: 'ID_DOCUMENT', page: 1 }, T0 + 3 * HOUR);
      snaps.push(takeSnapshot(r));
      sendForReview(r, { actor: 'student', itemKey: 'ID_DOCUMENT' }, T0 + 4 * HOUR);
      snaps.push(takeSnapshot(r));
      return snaps;
    };
    const documents = async (no: string) =>
      (await prisma.document.findMany({ where: { registrationNo: no }, orderBy: { page: 'asc' } })).map((d) => [
        d.version,
        d.page,
        d.originalName,
        d.removedAt?.toISOString() ?? null,
      ]);
    const expected = [
      [1, 1, 'front.jpg', new Date(T0 + 3 * HOUR).toISOString()],
      [1, 2, 'back.jpg', null],
    ];
    const inOrder = uniq('P');
    for (const snap of pagesOf(inOrder)) await project(snap);
    assert.deepEqual(await documents(inOrder), expected);
    const outOfOrder = uniq('P');
    const [s0, s1, s2, s3, s4] = pagesOf(outOfOrder);
    for (const snap of [s0!, s3!, s4!, s1!, s2!, s3!]) await project(snap);
    assert.deepEqual(await documents(outOfOrder), expected);
  });

  it('concurrent projections of the first snapshots race safely to the newest', async () => {
    const no = uniq('P');
    const snaps = snapshotsOfARegistration(no);
    // A separate pool, so the writes really run side by side.
    const { url } = await database();
    const other = createPrisma(url, 4);
    try {
      const projectElsewhere = createProjectRegistration({ prisma: other });
      await Promise.all(snaps.map((s, i) => (i % 2 ? project(s) : projectElsewhere(s))));
    } finally {
      await other.$disconnect();
    }
    const m = await readModel(prisma, no);
    assert.equal(m.registration.seq, snaps.at(-1)!.seq);
    assert.equal(m.registration.status, 'INCOMPLETE');
    assert.equal(m.audit.length, snaps.at(-1)!.seq);
  });

  it('links an email logged before its registration was projected', async () => {
    const snaps = snapshotsOfARegistration();
    const no = snaps[0].view.applicationNo;
    const key = `registration-${no}:INVITATION:1`;
    await prisma.emailLog.create({ data: { idempotencyKey: key, kind: 'INVITATION', recipients: ['x@example.com'], subject: 's', status: 'OUTBOX' } });
    const last = snaps.at(-1)!;
    last.emailKeys.push(key);
    await project(last);
    assert.equal((await prisma.emailLog.findUniqueOrThrow({ where: { idempotencyKey: key } })).registrationNo, no);
  });
  it("another registration's university account: every change is stored without it, the registry alerted once (never retried without end)", async () => {
    const outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-alert-'));
    const config = { ...loadConfig({ NODE_ENV: 'test' }), outboxDir, REGISTRY_ALERT_EMAIL: 'registry-alerts@ust.hk' };
    const sendEmail = createSendEmail({ prisma, config, invitationLinks: async () => ({ activationUrl: 'x', registrationUrl: 'x' }) });
    const alerts: EmailRequest[] = [];
    const guarded = createProjectRegistration({ prisma, alert: (r) => (alerts.push(r), sendEmail(r)) });
    const holder = snapshotsOfARegistration();
    for (const snap of holder) await project(snap);
    const account = holder.at(-1)!.view.universityEmail!.toLowerCase();
    const other = snapshotsOfARegistration().map((snap) => (snap.view.universityEmail ? { ...snap, view: { ...snap.view, universityEmail: account } } : snap));
    const env = new MockActivityEnvironment();
    for (const snap of other) assert.deepEqual(await env.run(guarded, snap), { applied: true }, `change ${snap.seq}`);

    const no = other[0]!.view.applicationNo;
    const row = await prisma.registration.findUniqueOrThrow({ where: { applicationNo: no } });
    assert.equal(row.universityEmail, null);
    assert.equal(row.status, 'INCOMPLETE', 'the rest of the last change is stored');
    assert.equal(row.seq, other.at(-1)!.seq);
    assert.equal((await prisma.registration.findUniqueOrThrow({ where: { universityEmail: account } })).applicationNo, holder[0]!.view.applicationNo);
    const activated = other.filter((snap) => snap.view.universityEmail).length;
    assert.equal(alerts.length, activated, 'each change with the account asks for the alert');
    const logged = await prisma.emailLog.findMany({ where: { registrationNo: no, kind: 'PROJECTION_ALERT' } });
    assert.equal(logged.length, 1, 'one alert email');
    assert.deepEqual(logged[0]!.recipients, ['registry-alerts@ust.hk']);
    const text = fs.readFileSync(outboxPaths(outboxDir, alerts[0]!).text, 'utf8');
    assert.match(text, /another registration holds it/);
    assert.ok(text.includes(`already that of registration ${holder[0]!.view.applicationNo}`), text);
    fs.rmSync(outboxDir, { recursive: true, force: true });
  });

  it('data PostgreSQL can never store fails non-retryably, once, with an alert to the registry (no retrying forever)', async () => {
    const outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-alert-'));
    const config = { ...loadConfig({ NODE_ENV: 'test' }), outboxDir, REGISTRY_ALERT_EMAIL: 'registry-alerts@ust.hk' };
    const sendEmail = createSendEmail({ prisma, config, invitationLinks: async () => ({ activationUrl: 'x', registrationUrl: 'x' }) });
    const alerts: EmailRequest[] = [];
    const guarded = createProjectRegistration({ prisma, alert: (r) => (alerts.push(r), sendEmail(r)) });
    const [first] = snapshotsOfARegistration();
    // A registration started with a NUL in the name (before the edges refused it): PostgreSQL answers 22021.
    const poisoned: ProjectionSnapshot = { ...first!, view: { ...first!.view, student: { ...first!.view.student, name: 'Chan\u0000Tai Man' } } };
    const env = new MockActivityEnvironment();
    const failure = await env.run(guarded, poisoned).then(
      () => assert.fail('the projection should have failed'),
      (e: unknown) => e,
    );
    assert.ok(failure instanceof ApplicationFailure, String(failure));
    assert.equal(failure.type, 'ProjectionUnwritable');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /invalid byte sequence/);
    assert.equal(alerts.length, 1);
    const alert = await prisma.emailLog.findUniqueOrThrow({ where: { idempotencyKey: `${first!.view.workflowId}:PROJECTION_ALERT:${first!.seq}` } });
    assert.equal(alert.status, 'OUTBOX');
    assert.deepEqual(alert.recipients, ['registry-alerts@ust.hk']);
    const text = fs.readFileSync(outboxPaths(outboxDir, alerts[0]!).text, 'utf8');
    assert.match(text, /Subject: Read model not updated: Program Registration/);
    assert.match(text, /Error: invalid byte sequence for encoding "UTF8": 0x00/);
    assert.equal(await prisma.registration.count({ where: { applicationNo: first!.view.applicationNo } }), 0, 'nothing half-written');

    // A transient failure (PostgreSQL unreachable) is not this: it throws as it is, for Temporal to retry.
    const down = createPrisma('postgresql://postgres:postgres@127.0.0.1:1/none');
    const unreachable = await env
      .run(createProjectRegistration({ prisma: down, alert: async () => assert.fail('no alert for an outage') }), first!)
      .catch((e: unknown) => e);
    assert.ok(!(unreachable instanceof ApplicationFailure), String(unreachable));
    await down.$disconnect();
    fs.rmSync(outboxDir, { recursive: true, force: true });
  });
});
