/**
 * `npm run bench:replay`: what the worker pays to replay a registration, which is what a status query costs when the
 * registration is out of the worker's cache (most of a large cohort, at WORKER_CACHED_WORKFLOWS). No Temporal server:
 * the SDK's replayer (Worker.runReplayHistories) replays a recorded completed journey (the fixture of the production
 * path, test/fixtures/histories) with the production workflow bundle, its interceptors and sinks, --replays times,
 * beside the baseline in the same run: the trivial workflow of bench/trivial-workflow.ts replayed from a history of
 * its start alone (creating a workflow and running its first task, what any replay pays).
 *
 * Besides the time per replay: the CPU time of this process per replay (all its threads), the calls into the workflow
 * sandbox per replay (each runs under Node's vm watchdog, a thread started and joined per call: docs/operations.md,
 * "Workflow stack traces"), and the promises the workflow code creates per replay (counted with node:v8's promise
 * hooks on the promises of the workflow sandbox's realm; the SDK captured a stack trace for each while its stack
 * traces were on). The registration is replayed a second time without the watchdog's timeout, to show what the
 * watchdog costs: a measurement only, the worker keeps it.
 *
 * The fixture `first-idle` is a registration at its first idle state (invitation sent, projection written): what a
 * worker replays when a student's first action finds the registration out of its cache (docs/operations.md, "A
 * registration out of the cache").
 *
 *   npm run bench:replay -- [--replays 200] [--fixture patch-generation-3-completed-on-time | first-idle]
 */
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { parseArgs } from 'node:util';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode, type ReplayWorkerOptions } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { projectRoot } from '../src/paths';
import { dataConverter } from '../src/temporal/data-converter';
import { workerTracing, workflowBundleOptions } from '../src/temporal/worker-options';
import { machine, printTable } from './table';
// As the built worker runs: workflow stack traces off unless WORKFLOW_STACK_TRACES=on (the replayer runs in this thread).
import '../src/temporal/workflow-stack-traces';

const { values } = parseArgs({
  options: {
    replays: { type: 'string', default: '200' },
    fixture: { type: 'string', default: 'patch-generation-3-completed-on-time' },
  },
});
const REPLAYS = Number(values.replays);
/** Replays before the measured ones: the JIT warms up and the reused V8 context is made. */
const WARM_UP = Math.max(10, Math.round(REPLAYS / 10));

type History = temporal.api.history.v1.IHistory;
const History = temporal.api.history.v1.History;

/** A committed fixture, read as test/workflow/histories.ts reads it (@temporalio/proto's own History type). */
const fixture = (name: string): History =>
  History.fromObject(JSON.parse(fs.readFileSync(path.join(projectRoot, 'test', 'fixtures', 'histories', `${name}.json`), 'utf8')));

/** The history of a trivial workflow's start: started, and its first workflow task completed (no command). */
function trivialStart(): History {
  const EventType = temporal.api.enums.v1.EventType;
  const taskQueue = { name: 'bench-replay' };
  const eventTime = { seconds: 1_796_660_400 };
  return History.fromObject({
    events: [
      {
        eventId: 1,
        eventTime,
        eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        workflowExecutionStartedEventAttributes: {
          workflowType: { name: 'trivialWorkflow' },
          taskQueue,
          workflowTaskTimeout: { seconds: 10 },
          originalExecutionRunId: 'bench-replay-trivial',
          firstExecutionRunId: 'bench-replay-trivial',
          attempt: 1,
        },
      },
      { eventId: 2, eventTime, eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, workflowTaskScheduledEventAttributes: { taskQueue, attempt: 1 } },
      { eventId: 3, eventTime, eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, workflowTaskStartedEventAttributes: { scheduledEventId: 2 } },
      {
        eventId: 4,
        eventTime,
        eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
        workflowTaskCompletedEventAttributes: { scheduledEventId: 2, startedEventId: 3 },
      },
    ],
  });
}

interface Measured {
  msPerReplay: number;
  cpuMsPerReplay: number;
  callsPerReplay: number;
  promisesPerReplay: number;
}

/**
 * Every call into the sandbox, counted; with `timeout` false, run without the SDK's isolateExecutionTimeout (no
 * watchdog thread). The SDK's reused context calls in through a vm.Script's runInContext with that timeout.
 */
const sandboxCalls = { count: 0, timeout: true };
const runInContext = vm.Script.prototype.runInContext;
vm.Script.prototype.runInContext = function (this: vm.Script, context: vm.Context, options?: vm.RunningScriptOptions) {
  sandboxCalls.count++;
  return runInContext.call(this, context, sandboxCalls.timeout || !options ? options : { ...options, timeout: undefined });
};

/** Replays `history` WARM_UP + REPLAYS times, one at a time (as the replayer does), and measures the last REPLAYS. */
async function measure(options: ReplayWorkerOptions, history: History, { watchdog = true } = {}): Promise<Measured> {
  sandboxCalls.timeout = watchdog;
  let promises = 0;
  let counting = false;
  // Promises of the workflow sandbox only: its realm has a Promise of its own (the replayer runs it in this thread).
  const hook = v8.promiseHooks.onInit((promise) => {
    if (counting && promise.constructor !== Promise) promises++;
  });
  let started = 0;
  let cpu = process.cpuUsage();
  let calls = 0;
  let replayed = 0;
  const histories = async function* () {
    for (let i = 0; i < WARM_UP + REPLAYS; i++) {
      if (i === WARM_UP) {
        counting = true;
        started = performance.now();
        cpu = process.cpuUsage();
        calls = sandboxCalls.count;
      }
      yield { workflowId: `bench-replay-${i}`, history };
    }
  };
  try {
    for await (const r of Worker.runReplayHistories(options, histories())) {
      if (r.error) throw new Error(`${r.workflowId}: ${r.error.message}`);
      replayed++;
    }
  } finally {
    hook();
  }
  const ms = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  calls = sandboxCalls.count - calls;
  sandboxCalls.timeout = true;
  if (replayed !== WARM_UP + REPLAYS) throw new Error(`replayed ${replayed} of ${WARM_UP + REPLAYS}`);
  return {
    msPerReplay: ms / REPLAYS,
    cpuMsPerReplay: (user + system) / 1000 / REPLAYS,
    callsPerReplay: calls / REPLAYS,
    promisesPerReplay: promises / REPLAYS,
  };
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const logger = new DefaultLogger('WARN');
  const converter = dataConverter(loadConfig({ NODE_ENV: 'test' }).payloadKeys);
  const production = await bundleWorkflowCode({ ...workflowBundleOptions(), logger });
  const trivial = await bundleWorkflowCode({ workflowsPath: require.resolve('./trivial-workflow'), logger });
  const journey = fixture(values.fixture);

  const base = await measure({ workflowBundle: trivial, dataConverter: converter }, trivialStart());
  const registrationOptions = { workflowBundle: production, dataConverter: converter, sinks: workerTracing().sinks };
  const registration = await measure(registrationOptions, journey);
  const unwatched = await measure(registrationOptions, journey, { watchdog: false });

  console.log(machine());
  console.log(`${REPLAYS} replays each (after ${WARM_UP} to warm up); ${values.fixture}: ${journey.events?.length} events`);
  const line = (name: string, m: Measured) => [
    name,
    m.msPerReplay.toFixed(2),
    (m.msPerReplay / base.msPerReplay).toFixed(1),
    m.cpuMsPerReplay.toFixed(2),
    m.callsPerReplay.toFixed(1),
    m.promisesPerReplay.toFixed(0),
  ];
  printTable([
    ['replay', 'ms per replay', 'ratio', 'CPU ms per replay', 'calls into the sandbox', 'promises per replay'],
    line('trivial workflow, its start (baseline)', base),
    line(`registration, ${values.fixture}`, registration),
    line(`the same without Node's vm watchdog (measurement only)`, unwatched),
  ]);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
