/**
 * What a replay does besides issuing its commands (docs/registration-workflow.md, "What a replay costs"): a
 * registration out of the worker's cache replays its history before it answers, so work whose only product is
 * thrown away in a replay is skipped there, and only there.
 *
 * - The projection's input of a replayed command is never sent (the history holds the one that was): a replayed
 *   projection takes its events and builds no view; the next live one builds its whole snapshot.
 * - A span that ends during the replay would be dropped by the worker: it is not handed to the exporter.
 *
 * The replays run the production bundle (with the test switches, as the replay guard's) and one more interceptor
 * that shows the activities scheduled (scheduled-activities-workflow.ts); the live run is a worker that caches no
 * workflow, so that each of its workflow tasks replays the history first.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ProjectionSnapshot } from '../../workflows/registration/views';
import { workerTracing, workflowBundleOptions } from '../../src/temporal/worker-options';
import { testDataConverter } from '../kit/servers';
import { historiesDir, readHistory } from './histories';
import { DAY, aStudent, activateAndSubmitForm, policyDue, projected, status, submit, useTimeSkipping, withWorker } from './support';

const TRACED_PROJECTOR_FIXTURE = 'patch-generation-3-completed-on-time';
/** Recorded before the projector and before traces: each change projected through `publishChange`. */
const OLD_PATH_FIXTURE = 'completed-on-time';

describe('what a replay skips', function () {
  this.timeout(180_000);

  let bundle: WorkflowBundleWithSourceMap;
  before(async function () {
    this.timeout(120_000);
    const options = workflowBundleOptions();
    bundle = await bundleWorkflowCode({
      ...options,
      workflowInterceptorModules: [
        ...options.workflowInterceptorModules,
        require.resolve('../kit/test-switches-workflow'),
        require.resolve('./scheduled-activities-workflow'),
      ],
      logger: new DefaultLogger('WARN'),
    });
  });

  /** Replays the fixture and answers what reached the sinks (every call, as if they were called during replay). */
  async function replay(fixture: string): Promise<{ projections: unknown[]; activities: string[]; spans: unknown[] }> {
    const projections: unknown[] = [];
    const activities: string[] = [];
    const spans: unknown[] = [];
    await Worker.runReplayHistory(
      {
        workflowBundle: bundle,
        dataConverter: testDataConverter(),
        sinks: {
          ...workerTracing().sinks,
          exporter: { export: { fn: (_info, exported: unknown[]) => void spans.push(...exported), callDuringReplay: true } },
          scheduled: {
            activity: {
              fn: (_info, activityType: string, args: unknown[]) => {
                activities.push(activityType);
                if (activityType === 'projectRegistration') projections.push(args[0]);
              },
              callDuringReplay: true,
            },
          },
        },
      },
      readHistory(path.join(historiesDir, `${fixture}.json`)),
      fixture,
    );
    return { projections, activities, spans };
  }

  for (const fixture of [TRACED_PROJECTOR_FIXTURE, OLD_PATH_FIXTURE]) {
    it(`a replayed projection takes its events and builds no view (${fixture})`, async () => {
      const { projections, activities } = await replay(fixture);
      assert.ok(activities.includes('sendEmail'), 'the replay schedules its other activities as recorded');
      assert.ok(projections.length >= 3, `${projections.length} projections replayed`);
      let next = 1;
      for (const p of projections) {
        const { seq, events, ...rest } = p as ProjectionSnapshot;
        assert.deepEqual(Object.keys(rest), ['replayed']);
        // Every change taken once, in seq order, as the recorded projections took them (Array.from: the sink's
        // arguments are arrays of the sandbox's realm).
        assert.deepEqual(
          Array.from(events, (e) => e.seq),
          Array.from({ length: seq - next + 1 }, (_, i) => next + i),
        );
        next = seq + 1;
      }
    });
  }

  it('a span that ends during the replay is not handed to the exporter', async () => {
    const { activities, spans } = await replay(TRACED_PROJECTOR_FIXTURE);
    assert.ok(activities.length > 0);
    assert.deepEqual(spans, []);
  });

  describe('a worker that caches no workflow (time-skipping)', () => {
    let env: TestWorkflowEnvironment;
    useTimeSkipping((e) => (env = e));

    it('every projection made live after a replay carries the whole view: the read model has every change', async () => {
      const snapshots: ProjectionSnapshot[] = [];
      await withWorker(
        env,
        async (w) => {
          const student = aStudent({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' });
          // The deadline from the server's clock: earlier tests on this time-skipping server moved it past today.
          const h = await w.start(student, policyDue((await env.currentTimeMs()) + 30 * DAY));
          await activateAndSubmitForm(h, student);
          await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
          const seq = await projected(h);
          const s = await status(h);
          assert.ok(snapshots.length >= 3, `${snapshots.length} projections`);
          for (const snapshot of snapshots) {
            assert.equal('replayed' in snapshot, false);
            assert.deepEqual(
              snapshot.view.items.map((i) => i.key),
              s.items.map((i) => i.key),
            );
          }
          assert.deepEqual(
            snapshots.flatMap((p) => p.events.map((e) => e.seq)),
            Array.from({ length: seq }, (_, i) => i + 1),
          );
          const last = snapshots.at(-1)!;
          assert.equal(last.seq, seq);
          assert.deepEqual(
            last.view.items.map((i) => [i.key, i.state]),
            s.items.map((i) => [i.key, i.state]),
          );
        },
        {
          cachesNoWorkflow: true,
          wrapActivities: (real) => ({
            ...real,
            async projectRegistration(snapshot) {
              snapshots.push(snapshot);
              return real.projectRegistration(snapshot);
            },
          }),
        },
      );
    });
  });
});
