/**
 * The limit the student actions are measured against in `npm run bench`: an update
 * and a query on a workflow that answers at once (bench/trivial-workflow.ts), on the
 * same Temporal server, from the same client, with the same data converter (the
 * encryption codec) as the registrations. It runs on a task queue of the bench's own,
 * polled by a small worker started in the bench's process and bundled from bench/, so
 * the production workers and their bundle never see it.
 *
 * With `evicted`, the same on a task queue and worker of its own whose cache holds fewer workflows than the calls go
 * round: each call finds its workflow out of the cache, as a student's first action after days finds a registration,
 * so the worker fetches the whole history and replays it first. What Temporal and the SDK need for an update that
 * misses the cache, beside the one that hits it.
 */
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { IllegalStateError } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Cluster } from '../src/cluster/cluster';
import { loadConfig } from '../src/config';
import { dataConverter } from '../src/temporal/data-converter';
import { trivialQuery, trivialUpdate, trivialWorkflow } from './trivial-workflow';

const TASK_QUEUE = 'bench-trivial';
/** The evicted worker's cache: fewer than the workflows its calls go round, so the next one is never cached. */
const EVICTED_CACHE = 2;

export interface Trivial {
  /** The update on the k-th of the trivial workflows (round robin). */
  update(k: number): Promise<void>;
  query(k: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the worker and `count` trivial workflows, and waits until each has answered a first update. */
export async function startTrivial(cluster: Cluster, temporal: Client, count: number, { evicted = false } = {}): Promise<Trivial> {
  if (evicted && count <= EVICTED_CACHE) throw new Error(`an evicted trivial worker needs more than ${EVICTED_CACHE} workflows to go round`);
  const taskQueue = evicted ? `${TASK_QUEUE}-evicted` : TASK_QUEUE;
  // The bench prints a table: the worker's start-up lines (webpack's summary among them) would bury it. Installed
  // once per process, before the first native connection; one already there (another harness's) is kept.
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch (e) {
    if (!(e instanceof IllegalStateError)) throw e;
  }
  const connection = await NativeConnection.connect({ address: cluster.temporalAddress, tls: cluster.temporalTls });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    ...(evicted ? { maxCachedWorkflows: EVICTED_CACHE } : {}),
    workflowsPath: require.resolve('./trivial-workflow'),
    dataConverter: dataConverter(loadConfig({ NODE_ENV: 'test' }).payloadKeys),
  });
  const running = worker.run();
  const handles: WorkflowHandle<typeof trivialWorkflow>[] = [];
  for (let i = 0; i < count; i++) {
    handles.push(await temporal.workflow.start(trivialWorkflow, { workflowId: `${taskQueue}-${randomUUID()}`, taskQueue }));
  }
  // The first task of each (its start) is not what the loops measure.
  await Promise.all(handles.map((h) => h.executeUpdate(trivialUpdate, { args: [0] })));
  const at = (k: number) => handles[k % handles.length]!;
  return {
    update: async (k) => void (await at(k).executeUpdate(trivialUpdate, { args: [1] })),
    query: async (k) => void (await at(k).query(trivialQuery)),
    async stop() {
      await Promise.all(handles.map((h) => h.terminate('bench over').catch(() => undefined)));
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
