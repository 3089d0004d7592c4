/**
 * Preloaded into every thread of the built worker (src/temporal/worker-preload.ts), before the SDK runs: the SDK's
 * collection of workflow stack traces stays off unless `WORKFLOW_STACK_TRACES=on`.
 *
 * For the stack-trace queries (the Temporal UI's "Stack Trace" tab), the SDK installs a `node:v8` promise hook in the
 * workflow thread that captures the creation stack of every promise a workflow makes (`new Error().stack`, mapped
 * through the bundle's source map) and keeps it while the promise is pending. That was the largest cost of running
 * workflow code: measured with `npm run bench:replay`, a third of a replay's time, and most of it once Node's
 * per-call watchdog is set aside (docs/operations.md, "Workflow stack traces"). Every replay pays it, and a status
 * query on a registration out of the cache is a replay.
 *
 * Off, the SDK goes as on a runtime without promise hooks (`promiseHookInstalled` stays false): it refuses a stack-trace query
 * ("Workflow stack traces are not enabled on this worker"; sealed like every failure message), and nothing else changes
 * (an error's own stack trace is still mapped to the TypeScript source). `npm start` runs the worker from the
 * sources, without this preload: development keeps the tab.
 */
import { globalHandlers } from '@temporalio/worker/lib/workflow/vm-shared';

/** The variable's one home is src/config/variables.ts (read here before any configuration is loaded). */
const stackTracesOn = (env: NodeJS.ProcessEnv = process.env): boolean => env.WORKFLOW_STACK_TRACES === 'on';

if (!stackTracesOn()) {
  // GlobalHandlers.setPromiseHook is private in the SDK's types; install() calls it once per thread, and each workflow
  // is told whether it installed the hook.
  (globalHandlers as unknown as { setPromiseHook: () => void }).setPromiseHook = () => {};
}
