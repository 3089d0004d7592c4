/**
 * The registration on the real Temporal server (dev server from the CLI
 * wheel): update validators and handlers (updates do not skip time on the
 * time-skipping server), search attributes and memo (which that server cannot
 * register), the id-conflict policy, and `temporal workflow query`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RegistrationActivities } from '../../activities';
import { registrationHandle, startRegistration } from '../../src/client';
import { temporalCliPath } from '../../src/temporal/binaries';
import {
  RegistrationFailure,
  declineOfferUpdate,
  extendDeadlineUpdate,
  reclassifyUpdate,
  registerDocumentUpdate,
  rejectItemUpdate,
  submitFormUpdate,
  verifyItemUpdate,
  waiveItemUpdate,
  type RegistrationStatusView,
} from '../../workflows/registration/api';
import * as SA from '../../workflows/registration/search-attributes';
import { database, devServerEnv, testDataConverter, uniq } from '../kit/servers';
import { DAY, STAFF, aStudent, activateAndSubmitForm, eventually, policyDue, projected, refusedWith, status, submit, upload, withWorker } from './support';
import { validForm } from '../kit/samples';
import { updateAndProjectionShape } from './histories';

describe('registration messages (dev server)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;

  before(async function () {
    this.timeout(180_000);
    env = await devServerEnv();
    await database();
  });

  describe('update validators refuse what the state does not allow, with a typed failure and nothing recorded', () => {
    it('verify or reject an item never submitted, submit the form twice → InvalidTransition', async () => {
      await withWorker(env, async (w) => {
        const student = aStudent();
        const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
        await refusedWith(
          RegistrationFailure.InvalidTransition,
          h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT' }] }),
          /PENDING/,
        );
        await refusedWith(
          RegistrationFailure.InvalidTransition,
          h.executeUpdate(rejectItemUpdate, { args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'x' }] }),
        );
        await activateAndSubmitForm(h, student);
        const before = await eventually(h, (s) => assert.equal(s.emails.length, 1)); // the invitation's delivery is an event too
        await refusedWith(
          RegistrationFailure.InvalidTransition,
          h.executeUpdate(submitFormUpdate, { args: [{ actor: 'student', form: validForm }] }),
          /once only/,
        );
        assert.equal((await status(h)).seq, before.seq, 'a refused update records nothing');
        const history = await h.fetchHistory();
        const accepted = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
        assert.equal(accepted, 1, 'only the valid form submission reached the history');
      });
    });

    it('unknown item → UnknownItem; malformed input (no note, photo outside the spec, earlier "extension") → InvalidInput', async () => {
      await withWorker(env, async (w) => {
        const h = await w.start(aStudent(), policyDue(Date.now() + 30 * DAY));
        await refusedWith(RegistrationFailure.UnknownItem, h.executeUpdate(registerDocumentUpdate, { args: [upload('VISA')] }));
        await refusedWith(
          RegistrationFailure.InvalidInput,
          h.executeUpdate(registerDocumentUpdate, { args: [upload('PHOTO', { imageWidth: 1200, imageHeight: 800 })] }),
          /portrait/,
        );
        await h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT')] });
        await refusedWith(
          RegistrationFailure.InvalidInput,
          h.executeUpdate(rejectItemUpdate, { args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: '' }] }),
          /note/,
        );
        await refusedWith(
          RegistrationFailure.InvalidInput,
          h.executeUpdate(extendDeadlineUpdate, {
            args: [{ actor: STAFF, deadline: 'REGISTRATION', until: new Date(Date.now() + DAY).toISOString(), reason: 'x' }],
          }),
          /later/,
        );
        await refusedWith(
          RegistrationFailure.InvalidInput,
          h.executeUpdate(waiveItemUpdate, { args: [{ actor: STAFF, itemKey: 'PHOTO', reason: ' ' }] }),
          /reason/,
        );
      });
    });
  });

  describe('update handlers answer in the workflow task that accepted them; one projector brings the read model after them', () => {
    it('register, reject, resubmit, verify answer while a projection is held; the three changes behind it are projected together, in seq order', async () => {
      const { prisma } = await database();
      // The projection activity, held from hold() to release(), every snapshot it was given in the order it got them, and
      // how many it ran at once.
      let gate: Promise<void> | undefined;
      let release = () => {};
      const hold = () => {
        gate = new Promise<void>((resolve) => (release = resolve));
      };
      const snapshots: { seq: number; events: [number, string][] }[] = [];
      let running = 0;
      let mostAtOnce = 0;
      const wrapActivities = (a: RegistrationActivities): RegistrationActivities => ({
        ...a,
        async projectRegistration(snapshot) {
          snapshots.push({ seq: snapshot.seq, events: snapshot.events.map((e) => [e.seq, e.type]) });
          mostAtOnce = Math.max(mostAtOnce, ++running);
          try {
            await gate;
            return await a.projectRegistration(snapshot);
          } finally {
            running--;
          }
        },
      });
      await withWorker(
        env,
        async (w) => {
          const student = aStudent();
          const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
          const no = student.applicationNo;
          await eventually(h, (s) => assert.ok(s.emails.some((e) => e.kind === 'INVITATION')));
          const before = await projected(h);

          /** The four updates, sent while the first change's projection is held, and what the history shows of them. */
          const heldAnswers = async () => {
            // Each answer comes while the projection of the first change is held (on a path that waited for its
            // projection, the first update would not answer at all).
            const first = await answered(h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT')] }));
            assert.equal(first.state, 'SUBMITTED');
            assert.equal(first.submissions[0].version, 1);
            const rejected = await answered(
              h.executeUpdate(rejectItemUpdate, {
                args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'NAME_MISMATCH', note: 'Name differs from the passport.' }],
              }),
            );
            assert.equal(rejected.state, 'REJECTED');
            const second = await answered(h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT')] }));
            assert.deepEqual(
              second.submissions.map((s) => s.version),
              [1, 2],
            );
            const verified = await answered(h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT', note: 'ok' }] }));
            assert.equal(verified.state, 'VERIFIED');
            const { seq } = await status(h);
            const row = await prisma.registration.findUniqueOrThrow({ where: { applicationNo: no }, select: { seq: true } });
            assert.equal(row.seq, before, 'the read model has not moved: the first projection is still held');

            // From the history: each update accepted and completed in one workflow task (no task completed between).
            const { updates } = updateAndProjectionShape(await h.fetchHistory());
            assert.deepEqual(
              updates.map((u) => [u.update, u.waited]),
              [
                ['registerDocument', false],
                ['rejectItem', false],
                ['registerDocument', false],
                ['verifyItem', false],
              ],
            );

            return { second, seq };
          };
          hold();
          let answers: Awaited<ReturnType<typeof heldAnswers>>;
          try {
            answers = await heldAnswers();
          } finally {
            release(); // a failing check must not leave the worker's shutdown waiting on the held projection
          }
          const { second, seq } = answers;
          // The rejection's email is the last change (its EMAIL_SENT): then the read model catches up with all of it.
          await eventually(h, (s) => assert.ok(s.emails.some((e) => e.kind === 'REJECTION')));
          assert.ok((await projected(h)) >= seq);
          // One snapshot at a time, in seq order, each event once; the four changes: the first alone (held), the
          // three made meanwhile together in the next.
          const projectedEvents = snapshots.flatMap((x) => x.events);
          assert.deepEqual(
            projectedEvents.map(([n]) => n),
            projectedEvents.map((_, i) => i + 1),
            'every event projected once, in seq order',
          );
          assert.equal(mostAtOnce, 1, 'one projection at a time');
          const changes = (x: (typeof snapshots)[number]) =>
            x.events.map(([, type]) => type).filter((t) => ['DOCUMENT_REGISTERED', 'ITEM_REJECTED', 'ITEM_VERIFIED'].includes(t));
          const withChanges = snapshots.filter((x) => changes(x).length);
          assert.deepEqual(withChanges.map(changes), [['DOCUMENT_REGISTERED'], ['ITEM_REJECTED', 'DOCUMENT_REGISTERED', 'ITEM_VERIFIED']]);

          // The read model, as the four answers left it.
          const item = await prisma.checklistItem.findUniqueOrThrow({ where: { registrationNo_key: { registrationNo: no, key: 'ID_DOCUMENT' } } });
          assert.equal(item.state, 'VERIFIED');
          const documents = await prisma.document.findMany({ where: { registrationNo: no }, orderBy: { version: 'asc' } });
          assert.deepEqual(
            documents.map((d) => [d.itemKey, d.version, d.sha256]),
            second.submissions.map((x) => ['ID_DOCUMENT', x.version, x.sha256]),
          );
          const reviews = await prisma.review.findMany({ where: { registrationNo: no }, orderBy: { seq: 'asc' } });
          assert.deepEqual(
            reviews.map((r) => [r.itemKey, r.decision, r.actor]),
            [
              ['ID_DOCUMENT', 'REJECTED', STAFF],
              ['ID_DOCUMENT', 'VERIFIED', STAFF],
            ],
          );
          const audit = await prisma.auditEvent.findMany({ where: { registrationNo: no }, orderBy: { seq: 'asc' } });
          assert.deepEqual(
            audit.map((a) => [a.seq, a.type]),
            projectedEvents,
            'every event stored under its own seq with its own type',
          );
          assert.ok(audit.some((a) => a.type === 'ITEM_REJECTED' && a.actor === STAFF));
        },
        { wrapActivities },
      );
    });
  });

  describe('search attributes and memo, for staff in the Temporal UI', () => {
    const attrs = async (h: ReturnType<typeof registrationHandle>) => (await h.describe()).typedSearchAttributes;

    it('set at start, upserted when a value changes, and filterable: RegistrationStatus, OutstandingItems, ProgramCode…', async () => {
      await withWorker(
        env,
        async (w) => {
          const programCode = uniq('PROG').toUpperCase();
          const student = aStudent({ programCode, studyLevel: 'UG', admissionRoute: 'JUPAS', residency: 'NON_LOCAL' });
          const deadline = Date.now() + 30 * DAY;
          const h = await w.start(student, policyDue(deadline));
          const described = await h.describe();
          assert.equal(described.memo?.studentName, student.name);
          let sa = described.typedSearchAttributes;
          assert.equal(sa.get(SA.RegistrationStatus), 'IN_PROGRESS');
          assert.equal(sa.get(SA.ProgramCode), programCode);
          assert.equal(sa.get(SA.StudyLevel), 'UG');
          assert.equal(sa.get(SA.StudentCategory), 'UG-JUPAS-NON_LOCAL');
          assert.equal(sa.get(SA.CohortId), student.cohortId);
          assert.equal(sa.get(SA.RegistrationDeadline)?.getTime(), deadline);
          assert.deepEqual(sa.get(SA.OutstandingItems), ['ACTIVATION', 'FORM', 'ID_DOCUMENT', 'VISA', 'PHOTO']);
          await eventually(h, (s) => assert.ok(s.seq >= 1));

          await activateAndSubmitForm(h, student);
          sa = await attrs(h);
          assert.deepEqual(sa.get(SA.OutstandingItems), ['ID_DOCUMENT', 'VISA', 'PHOTO']);

          const extendedTo = deadline + 7 * DAY;
          await h.executeUpdate(extendDeadlineUpdate, {
            args: [{ actor: STAFF, deadline: 'REGISTRATION', until: new Date(extendedTo).toISOString(), reason: 'visa appointment' }],
          });
          assert.equal((await attrs(h)).get(SA.RegistrationDeadline)?.getTime(), extendedTo);

          await submit(h, ['ID_DOCUMENT', 'VISA', 'PHOTO'], { verify: true });
          await h.result();
          sa = await attrs(h);
          assert.equal(sa.get(SA.RegistrationStatus), 'COMPLETED');
          assert.deepEqual(sa.get(SA.OutstandingItems) ?? [], []);

          const query = `RegistrationStatus="COMPLETED" AND ProgramCode="${programCode}" AND StudentCategory="UG-JUPAS-NON_LOCAL"`;
          const found = await listIds(w.client, query);
          assert.deepEqual(found, [h.workflowId]);

          // Upserted when a value changes, never to repeat what the run already holds: after the start's attributes
          // (the whole checklist outstanding), OutstandingItems as items are done, the extended deadline, and
          // COMPLETED with nothing outstanding.
          const upserts = ownUpserts(await h.fetchHistory());
          assert.deepEqual(upserts.repeated, []);
          assert.deepEqual(upserts.changed, [
            'OutstandingItems=["FORM","ID_DOCUMENT","VISA","PHOTO"]',
            'OutstandingItems=["ID_DOCUMENT","VISA","PHOTO"]',
            `RegistrationDeadline=${extendedTo}`,
            'OutstandingItems=["VISA","PHOTO"]',
            'OutstandingItems=["PHOTO"]',
            'OutstandingItems=[]',
            'RegistrationStatus="COMPLETED"',
          ]);
        },
        { searchAttributes: true },
      );
    });

    it('a reclassification moves ProgramCode, StudyLevel, StudentCategory and OutstandingItems with the student', async () => {
      await withWorker(
        env,
        async (w) => {
          const programCode = uniq('PROG').toUpperCase();
          const newProgram = uniq('NEW').toUpperCase().slice(0, 20);
          const student = aStudent({ programCode, studyLevel: 'TPG', residency: 'NON_LOCAL' });
          const h = await w.start(student, policyDue(Date.now() + 30 * DAY, { tuitionFee: { amount: 44500, currency: 'HKD' } }));
          await eventually(h, (s) => assert.ok(s.seq >= 1));
          assert.equal((await attrs(h)).get(SA.StudentCategory), 'TPG-NON_LOCAL');
          await h.executeUpdate(reclassifyUpdate, {
            args: [
              {
                actor: STAFF,
                changes: { studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL', programCode: newProgram },
                reason: 'HKID card produced; admitted to the BEng',
              },
            ],
          });
          const sa = await attrs(h);
          assert.equal(sa.get(SA.ProgramCode), newProgram);
          assert.equal(sa.get(SA.StudyLevel), 'UG');
          assert.equal(sa.get(SA.StudentCategory), 'UG-NON_JUPAS-LOCAL');
          assert.deepEqual(sa.get(SA.OutstandingItems), ['ACTIVATION', 'FORM', 'ID_DOCUMENT', 'TUITION_RECEIPT', 'PHOTO']);
          assert.deepEqual(await listIds(w.client, `StudentCategory="UG-NON_JUPAS-LOCAL" AND ProgramCode="${newProgram}"`), [h.workflowId]);
          assert.deepEqual(await listIds(w.client, `ProgramCode="${programCode}"`), []);
        },
        { searchAttributes: true },
      );
    });

    it('INCOMPLETE and WITHDRAWN are filterable too (a deadline 5 s ahead: the dev server does not skip time)', async () => {
      await withWorker(
        env,
        async (w) => {
          const programCode = uniq('PROG').toUpperCase();
          const deadline = Date.now() + 5_000; // room for the submissions below, even on a busy machine
          const owing = aStudent({ programCode });
          const missing = aStudent({ programCode });
          const a = await w.start(owing, policyDue(deadline));
          const b = await w.start(missing, policyDue(deadline));
          await activateAndSubmitForm(a, owing);
          await submit(a, ['ID_DOCUMENT']);
          await eventually(a, (s) => assert.equal(s.status, 'INCOMPLETE'));
          assert.equal((await b.result()).status, 'WITHDRAWN');
          assert.equal((await attrs(a)).get(SA.RegistrationStatus), 'INCOMPLETE');
          assert.deepEqual((await attrs(a)).get(SA.OutstandingItems), ['ID_DOCUMENT', 'PHOTO']);
          assert.deepEqual(await listIds(w.client, `RegistrationStatus="INCOMPLETE" AND ProgramCode="${programCode}"`), [a.workflowId]);
          assert.deepEqual(await listIds(w.client, `RegistrationStatus="WITHDRAWN" AND ProgramCode="${programCode}"`), [b.workflowId]);
          assert.deepEqual(await listIds(w.client, `OutstandingItems="PHOTO" AND ProgramCode="${programCode}"`), [a.workflowId]);
        },
        { searchAttributes: true },
      );
    });
  });

  it('id-conflict policy: importing the same student twice never creates a second run, even after it closed', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent();
      const input = { student, policy: policyDue(Date.now() + 30 * DAY) };
      const first = await startRegistration(w.client, input, { taskQueue: w.taskQueue });
      const again = await startRegistration(w.client, input, { taskQueue: w.taskQueue });
      assert.deepEqual([first.started, again.started], [true, false]);
      assert.equal((await again.handle.describe()).runId, (await first.handle.describe()).runId);

      await first.handle.executeUpdate(declineOfferUpdate, { args: [{ actor: 'student' }] });
      await first.handle.result();
      const afterClose = await startRegistration(w.client, input, { taskQueue: w.taskQueue });
      assert.equal(afterClose.started, false);
      const runs = await listIds(w.client, `WorkflowId="${first.handle.workflowId}"`, 1);
      assert.equal(runs.length, 1);
      assert.equal((await registrationHandle(w.client, student.applicationNo).describe()).status.name, 'COMPLETED');
    });
  });

  it('`temporal workflow query` returns the status of a registration', async () => {
    // npm install puts the CLI in .tools/; without it this is a broken install, not a reason to skip.
    const cli = temporalCliPath();
    assert.ok(cli, 'the Temporal CLI is in .tools/ (npm install puts it there)');
    await withWorker(env, async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      await activateAndSubmitForm(h, student);
      const { stdout } = await promisify(execFile)(cli!, [
        'workflow',
        'query',
        '--address',
        env.address,
        '--namespace',
        'default',
        '--workflow-id',
        h.workflowId,
        '--name',
        'getStatus',
        '--output',
        'json',
      ]);
      // Without a codec endpoint the CLI prints the payload as Temporal holds it: sealed (docs/operations.md,
      // Personal data). test/gateway/codec.test.ts runs the CLI through the gateway's codec endpoint.
      const parsed = JSON.parse(stdout) as { queryResult: { payloads: Array<{ metadata: Record<string, string>; data: string }> } };
      const sealed = parsed.queryResult.payloads[0];
      assert.equal(Buffer.from(sealed.metadata.encoding, 'base64').toString(), 'binary/encrypted', stdout.slice(0, 500));
      assert.ok(!stdout.includes(student.name), 'no name in what the CLI shows without the codec');
      const [opened] = await testDataConverter().payloadCodecs[0].decode([
        {
          metadata: Object.fromEntries(Object.entries(sealed.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
          data: Buffer.from(sealed.data, 'base64'),
        },
      ]);
      const view = JSON.parse(Buffer.from(opened.data!).toString()) as RegistrationStatusView;
      assert.equal(view.applicationNo, student.applicationNo);
      assert.deepEqual(
        view.items.map((i) => `${i.key}:${i.state}`),
        ['ACTIVATION:VERIFIED', 'FORM:VERIFIED', 'ID_DOCUMENT:PENDING', 'PHOTO:PENDING'],
      );
    });
  });
});

/**
 * The run's own search-attribute upserts (not the SDK's TemporalChangeVersion), each attribute as `key=value`:
 * `changed` those that set a new value, `repeated` those that set the value the run already held (from its start
 * or an earlier upsert; unset, null and an empty list alike). Dates as epoch milliseconds.
 */
function ownUpserts(history: temporal.api.history.v1.IHistory): { changed: string[]; repeated: string[] } {
  const value = (key: string, p: temporal.api.common.v1.IPayload): string => {
    const v: unknown = JSON.parse(Buffer.from(p.data ?? []).toString());
    if (v === null || (Array.isArray(v) && v.length === 0)) return '[]';
    return key === 'RegistrationDeadline' ? String(Date.parse(v as string)) : JSON.stringify(v);
  };
  const held = new Map<string, string>();
  const changed: string[] = [];
  const repeated: string[] = [];
  for (const e of history.events ?? []) {
    const fields =
      e.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields ??
      e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    if (!fields) continue;
    const started = !!e.workflowExecutionStartedEventAttributes;
    for (const [key, p] of Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))) {
      if (key === 'TemporalChangeVersion') continue;
      const v = value(key, p);
      if (!started) ((held.get(key) ?? '[]') === v ? repeated : changed).push(`${key}=${v}`);
      held.set(key, v);
    }
  }
  return { changed, repeated };
}

/** Workflow ids matching a visibility query (retried briefly: visibility is eventually consistent). */
async function listIds(
  client: { workflow: { list(o: { query: string }): AsyncIterable<{ workflowId: string }> } },
  query: string,
  expected = 1,
): Promise<string[]> {
  const until = Date.now() + 10_000;
  for (;;) {
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
    if (ids.length >= expected || Date.now() > until) return ids;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** An update's answer, or a failure if it takes longer than an update needs when nothing holds it. */
async function answered<T>(update: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  try {
    return await Promise.race([update, late]);
  } finally {
    clearTimeout(timer);
  }
}
