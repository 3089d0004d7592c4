/**
 * Whether the worker's workflow cache fits the V8 heap limit it runs with
 * (docs/operations.md, "Worker memory"). The SDK runs the cached registrations in a
 * workflow thread whose heap has the same limit as the main thread's
 * (`--max-old-space-size` holds for each thread). A thread whose live data reaches
 * the limit dies out of memory, and the worker with it: so a cache too large for the
 * limit is refused at start, not found out under load.
 */

const MB = 2 ** 20;

/**
 * Live heap of one cached registration in the workflow thread, rounded up: 0.21 MB measured at its first idle state
 * with workflow stack traces off (docs/operations.md, "Worker memory"); a registration further on holds more.
 */
const CACHED_WORKFLOW_MB = 0.3;

/** Live heap of a workflow thread with nothing cached: the bundle's context and its parsed source map, rounded up. */
const WORKFLOW_THREAD_MB = 20;

/**
 * Live data may fill this share of the limit: V8 needs room above it to collect in, and a
 * thread at its limit spends its time collecting before it dies.
 */
const LIVE_SHARE = 0.5;

/** The most registrations a worker may cache under a heap limit of `heapLimitBytes` (v8.getHeapStatistics().heap_size_limit). */
const maxCachedWorkflows = (heapLimitBytes: number): number =>
  Math.max(0, Math.floor(((heapLimitBytes / MB) * LIVE_SHARE - WORKFLOW_THREAD_MB) / CACHED_WORKFLOW_MB));

/** A problem naming WORKER_CACHED_WORKFLOWS when `cached` does not fit the heap limit, else undefined. */
export function workflowCacheProblem(cached: number, heapLimitBytes: number): string | undefined {
  const max = maxCachedWorkflows(heapLimitBytes);
  if (cached <= max) return undefined;
  return (
    `WORKER_CACHED_WORKFLOWS=${cached}: does not fit the V8 heap limit of ${Math.round(heapLimitBytes / MB)} MB this worker runs with ` +
    `(at most ${max}, about ${CACHED_WORKFLOW_MB} MB each in the workflow thread); lower it, or raise --max-old-space-size in the worker's start`
  );
}
