/**
 * How a change is published (docs/registration-workflow.md, "How a change is published"), through
 * Temporal's time-skipping server with the real projection on PostgreSQL: an update costs one workflow
 * task (its projection a local activity in that task, no timer moved while the next moment stays), a local
 * projection that gives up hands the change to the projection activity, and a change PostgreSQL refuses
 * for good does not stall the registration.
 */
import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RegistrationActivities } from '../../activities';
import { accountActivatedSignal, registerDocumentUpdate, submitFormUpdate } from '../../workflows/registration/api';
import { PROJECTION_UNWRITABLE_FAILURE } from '../../workflows/registration/projection';
import { database } from '../kit/servers';
import { validForm } from '../kit/samples';
import { DAY, aStudent, eventually, policyDue, universityEmailOf, upload, useTimeSkipping, withWorker } from './support';

const EventType = temporal.api.enums.v1.EventType;

type Projection = RegistrationActivities['projectRegistration'];
type Snapshot = Parameters<Projection>[0];

const formSubmitted = (s: Snapshot) => s.events.some((e) => e.type === 'FORM_SUBMITTED');

/** The projection, with each call noted (local or not, and its seq) and a chosen failure for the local ones. */
function watchedProjection(failLocal: (snapshot: Snapshot) => ApplicationFailure | undefined) {
  const calls: { seq: number; local: boolean; form: boolean; applied?: boolean }[] = [];
  const wrap = (a: RegistrationActivities): RegistrationActivities => ({
    ...a,
    async projectRegistration(snapshot) {
      const local = Context.current().info.isLocal;
      const call: (typeof calls)[number] = { seq: snapshot.seq, local, form: formSubmitted(snapshot) };
      calls.push(call);
      const failure = local ? failLocal(snapshot) : undefined;
      if (failure) throw failure;
      const result = await a.projectRegistration(snapshot);
      call.applied = result.applied;
      return result;
    },
  });
  return { calls, wrap };
}

describe('publishing a change (time-skipping server, PostgreSQL)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  useTimeSkipping((e) => (env = e));

  it('an update is accepted and answered in one workflow task, its projection inside it; a timer moves only with its moment', async () => {
    const watched = watchedProjection(() => undefined);
    await withWorker(
      env,
      async (h) => {
        const student = aStudent();
        const handle = await h.start(student, policyDue((await env.currentTimeMs()) + 30 * DAY));
        await handle.signal(accountActivatedSignal, { actor: 'system:idp', universityEmail: universityEmailOf(student) });
        // Handled before the window below opens (a signal's own workflow task would fall inside it).
        await eventually(handle, (s) => assert.equal(s.items.find((i) => i.key === 'ACTIVATION')?.state, 'VERIFIED'));
        /** The events the action adds to history, by type. */
        const added = async (action: () => Promise<unknown>) => {
          const before = (await handle.fetchHistory()).events?.length ?? 0;
          await action();
          return ((await handle.fetchHistory()).events ?? []).slice(before).map((e) => EventType[e.eventType!]);
        };
        // The form leaves the next wake-up (the reminder before the deadline) where it was.
        const form = await added(() => handle.executeUpdate(submitFormUpdate, { args: [{ actor: 'student', form: validForm }] }));
        const accepted = form.indexOf('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
        const completed = form.indexOf('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED');
        assert.ok(accepted >= 0 && completed > accepted, form.join(', '));
        const between = form.slice(accepted + 1, completed);
        assert.ok(!between.includes('EVENT_TYPE_WORKFLOW_TASK_COMPLETED'), `the update spans workflow tasks: ${form.join(', ')}`);
        assert.ok(!between.includes('EVENT_TYPE_ACTIVITY_TASK_SCHEDULED'), `the update waited on an activity: ${form.join(', ')}`);
        assert.ok(between.includes('EVENT_TYPE_MARKER_RECORDED'), `no local projection: ${form.join(', ')}`);
        assert.deepEqual(
          form.filter((t) => t.startsWith('EVENT_TYPE_TIMER_')),
          [],
        );
        // Answered only once projected: the read model already shows the form.
        const { prisma } = await database();
        const row = await prisma.checklistItem.findUnique({ where: { registrationNo_key: { registrationNo: student.applicationNo, key: 'FORM' } } });
        assert.equal(row?.state, 'VERIFIED');
        // A document brings an earlier moment (its verification's service level): a timer for it, the reminder's kept.
        const document = await added(() => handle.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT')] }));
        assert.deepEqual(
          document.filter((t) => t.startsWith('EVENT_TYPE_TIMER_')),
          ['EVENT_TYPE_TIMER_STARTED'],
        );
        assert.ok(
          watched.calls.every((c) => c.local),
          'every projection ran as a local activity',
        );
      },
      { wrapActivities: watched.wrap },
    );
  });

  it('a local projection that gives up hands the change to the projection activity, and the update answers once the read model has it', async () => {
    const watched = watchedProjection((s) => (formSubmitted(s) ? ApplicationFailure.nonRetryable('the read model did not answer (test)') : undefined));
    await withWorker(
      env,
      async (h) => {
        const student = aStudent();
        const handle = await h.start(student, policyDue((await env.currentTimeMs()) + 30 * DAY));
        const item = await handle.executeUpdate(submitFormUpdate, { args: [{ actor: 'student', form: validForm }] });
        assert.equal(item.state, 'VERIFIED');
        const { prisma } = await database();
        const row = await prisma.checklistItem.findUnique({ where: { registrationNo_key: { registrationNo: student.applicationNo, key: 'FORM' } } });
        assert.equal(row?.state, 'VERIFIED', 'the read model had the form when the update answered');
        assert.deepEqual(
          watched.calls.filter((c) => c.form).map((c) => [c.local, c.applied]),
          [
            [true, undefined],
            [false, true],
          ],
          'tried locally, then written by the activity',
        );
      },
      { wrapActivities: watched.wrap },
    );
  });

  it('a change PostgreSQL refuses for good is logged and skipped: the update answers and the registration goes on', async () => {
    const watched = watchedProjection((s) =>
      formSubmitted(s) ? ApplicationFailure.create({ type: PROJECTION_UNWRITABLE_FAILURE, message: 'refused (test)', nonRetryable: true }) : undefined,
    );
    await withWorker(
      env,
      async (h) => {
        const student = aStudent();
        const handle = await h.start(student, policyDue((await env.currentTimeMs()) + 30 * DAY));
        const item = await handle.executeUpdate(submitFormUpdate, { args: [{ actor: 'student', form: validForm }] });
        assert.equal(item.state, 'VERIFIED');
        const { seq } = watched.calls.find((c) => c.form)!;
        assert.deepEqual(
          watched.calls.filter((c) => c.form).map((c) => c.local),
          [true],
          'refused for good: not handed to the activity',
        );
        // The next change is projected as usual.
        await handle.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT')] });
        await eventually(handle, (s) => assert.equal(s.items.find((i) => i.key === 'ID_DOCUMENT')?.state, 'SUBMITTED'));
        assert.ok(watched.calls.some((c) => c.seq > seq && c.applied));
      },
      { wrapActivities: watched.wrap },
    );
  });
});
