/**
 * The worker process: runs registration workflows and their activities, and,
 * in a second Worker on a task queue of its own, the cohort import workflow and
 * its activities (docs/operations.md, Cohort import); WORKER_ROLE keeps it to one of the two. Production entry (`npm run worker`); `npm start` runs it too, against the
 * embedded stack. Connects only to the configured Temporal and PostgreSQL.
 */
import v8 from 'node:v8';
import { NativeConnection, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { activityDepsFromConfig, createActivities } from '../activities';
import { createImportActivities, IMPORT_ACTIVITY_SLOTS, importWorkerOptions } from '../activities/import';
import { IMPORT_WORKER_OPTIONS } from './import/run';
import { ConfigError, loadConfig, requireDatabaseUrl } from './config';
import { createPrisma } from './db/prisma';
import { createLogger } from './logger';
import { connectClient, temporalAddress, temporalTransport } from './temporal/client';
import { dataConverter } from './temporal/data-converter';
import { workerTracing, workflowCode } from './temporal/worker-options';
import { workflowCacheProblem } from './temporal/workflow-cache';
import { installTracing } from './observability/tracing';
import { workerMetrics } from './observability/worker-metrics';

const ACTIVITY_SLOTS = 20;

async function main(): Promise<void> {
  const config = loadConfig();
  // In every mode: a cache the heap cannot hold ends in an out-of-memory crash under load, not at start.
  const cacheProblem =
    config.WORKER_ROLE !== 'imports' ? workflowCacheProblem(config.WORKER_CACHED_WORKFLOWS, v8.getHeapStatistics().heap_size_limit) : undefined;
  if (cacheProblem) throw new ConfigError([cacheProblem]);
  const log = createLogger(config, 'worker');
  const metrics = workerMetrics(config);
  const tracing = installTracing(config, 'progreg-worker');
  // Once per process and before any connection: the Runtime carries the SDK's logging and its metrics exporter.
  await metrics.installRuntime({
    logger: {
      log: (level, message, meta) => log[level === 'TRACE' ? 'trace' : (level.toLowerCase() as 'info')]({ ...meta }, message),
      trace: (m, meta) => log.trace(meta ?? {}, m),
      debug: (m, meta) => log.debug(meta ?? {}, m),
      info: (m, meta) => log.info(meta ?? {}, m),
      warn: (m, meta) => log.warn(meta ?? {}, m),
      error: (m, meta) => log.error(meta ?? {}, m),
    },
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) },
    },
  });
  const metricsEndpoint = await metrics.serve(log);
  // Until the worker polls, a stop signal has nothing to drain: exit at once rather than after
  // bundling the workflow code (tens of seconds on a busy machine). From then on the SDK's own
  // handlers shut the worker down, finishing its in-flight tasks.
  const stopBeforeStart = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'worker stopped before it started');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stopBeforeStart);
  const role = config.WORKER_ROLE;
  const pollsRegistrations = role !== 'imports';
  const pollsImports = role !== 'registrations';
  // Activities all touch PostgreSQL: no more run at once than the pool has connections.
  const prisma = createPrisma(requireDatabaseUrl(config), (pollsRegistrations ? ACTIVITY_SLOTS : 0) + (pollsImports ? IMPORT_ACTIVITY_SLOTS : 0));
  const connection = await NativeConnection.connect({ address: temporalAddress(config), ...temporalTransport(config) });
  // The import activities start registrations: a client of their own.
  const temporal = await connectClient(config);
  try {
    const shared = {
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      // Loaded (or bundled) once: both Workers run the same workflow code.
      ...(await workflowCode()),
      ...workerTracing(),
      dataConverter: dataConverter(config.payloadKeys),
    };
    const workers: Worker[] = [];
    if (pollsRegistrations)
      workers.push(
        await Worker.create({
          ...shared,
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          activities: {
            ...createActivities(activityDepsFromConfig(config, prisma)),
            // An import started before the import worker existed runs here, on this queue, to its end.
            ...createImportActivities({ prisma, temporal, config }),
          },
          maxConcurrentActivityTaskExecutions: ACTIVITY_SLOTS,
          // The SDK's default sizes the cache from the V8 heap limit (thousands on a large machine), so a worker would
          // keep every open registration of a cohort in memory; most of them wait days between events.
          maxCachedWorkflows: config.WORKER_CACHED_WORKFLOWS,
          ...IMPORT_WORKER_OPTIONS,
        }),
      );
    if (pollsImports) workers.push(await Worker.create({ ...shared, ...importWorkerOptions({ prisma, temporal, config }) }));
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, stopBeforeStart);
    log.info(
      {
        role,
        ...(pollsRegistrations ? { taskQueue: config.TEMPORAL_TASK_QUEUE } : {}),
        ...(pollsImports ? { importTaskQueue: config.importTaskQueue } : {}),
        namespace: config.TEMPORAL_NAMESPACE,
        workflows: 'codePath' in shared.workflowBundle ? 'prebuilt bundle' : 'bundled at start',
      },
      'worker started',
    );
    // Each run() resolves after SIGINT/SIGTERM, once its in-flight tasks are done. One that fails stops the
    // other (which drains its tasks first), so the process exits and its supervisor restarts both.
    const runs = await Promise.allSettled(
      workers.map((w) =>
        w.run().catch((e: unknown) => {
          for (const other of workers) if (other.getState() === 'RUNNING') other.shutdown();
          throw e;
        }),
      ),
    );
    for (const run of runs) if (run.status === 'rejected') throw run.reason;
  } finally {
    await temporal.connection.close();
    await connection.close();
    await prisma.$disconnect();
    await metricsEndpoint?.close();
    await tracing.shutdown();
  }
  log.info('worker stopped');
}

main().catch((err) => {
  // A configuration mistake gets its message, not a stack trace.
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
