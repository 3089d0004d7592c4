/**
 * The workflow code a Worker of ours runs. Built workers (`npm run build`, then
 * `node dist/src/worker.js`) load the bundle `scripts/bundle-workflows.ts`
 * prebuilt into dist/ at build time: no webpack at start-up, and the worker's
 * memory stays that of the SDK and the bundle (docs/operations.md has the
 * figures). Run from the sources (tsx), the worker bundles once at start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths';
import { bundleWorkflowCode, Runtime, type WorkerOptions, type ActivityInterceptorsFactory, type BundleOptions } from '@temporalio/worker';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import { currentSpanProcessor, currentTracing } from '../observability/tracing';
import { failureConverterPath } from './data-converter';

/** The workflow module every Worker of ours bundles, shared by the worker process and the tests. */
const workflowsPath = (): string => require.resolve('../../workflows');

/**
 * How webpack builds every bundle of our workflow code, on top of the SDK's configuration (development
 * mode, a full inline source map). With a reused V8 context the SDK evaluates every module of the bundle
 * again for each workflow it caches, so what a module costs at evaluation is paid per cached registration:
 * - scope hoisting (`concatenateModules`) with `usedExports`, `sideEffects` and `innerGraph` joins the ES
 *   modules (OpenTelemetry's) into a few scopes without a getter per export: half the heap per cached
 *   workflow. Still development mode: no minification, module names kept.
 * - the source map keeps lines only and no copy of the sources (`inline-nosources-cheap-module-source-map`):
 *   the SDK keeps it parsed in the workflow thread to map workflow stack traces (to file and line of the
 *   TypeScript source, as before), and the bundle goes from 3.9 to 1.4 MB.
 * docs/operations.md, "Worker memory", has the figures.
 */
type WebpackConfiguration = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];
const leanWorkflowBundle = (config: WebpackConfiguration): WebpackConfiguration => ({
  ...config,
  devtool: 'inline-nosources-cheap-module-source-map',
  optimization: { ...config.optimization, concatenateModules: true, usedExports: true, sideEffects: true, innerGraph: true },
});

/**
 * What every bundle of our workflow code is built from: the workflows and the failure converter that
 * encodes failure messages in the sandbox (the worker's own dataConverter names the same module).
 */
export const workflowBundleOptions = (): Pick<BundleOptions, 'webpackConfigHook'> & {
  workflowsPath: string;
  failureConverterPath: string;
  workflowInterceptorModules: string[];
} => ({
  workflowsPath: workflowsPath(),
  failureConverterPath: failureConverterPath(),
  workflowInterceptorModules: [tracingWorkflowInterceptors],
  webpackConfigHook: leanWorkflowBundle,
});

/**
 * OpenTelemetry's workflow interceptors, behind a patch (workflows/tracing.ts). Always in the bundle; the
 * spans leave the sandbox through the `exporter` sink every worker registers (workerTracing), which drops
 * them while tracing is off.
 */
const tracingWorkflowInterceptors = require.resolve('../../workflows/tracing');

/**
 * What a Worker of ours adds for traces: the sink the workflows' spans leave the sandbox through, and the
 * activity interceptors (a span per activity attempt in the workflow's trace; trace_id in the activity's log lines).
 */
export function workerTracing(): Pick<WorkerOptions, 'sinks'> & { interceptors: { activity: ActivityInterceptorsFactory[] } } {
  return {
    // The processor of the tracing installed when the span ends (none: dropped), so a worker made before installTracing still traces.
    sinks: { exporter: makeWorkflowExporter(currentSpanProcessor, currentTracing().resource) },
    interceptors: {
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    },
  };
}

/** Where the build writes the prebuilt workflow bundle. */
export const prebuiltBundlePath = path.join(projectRoot, 'dist', 'workflow-bundle.js');

/** Only a worker that is itself built uses the prebuilt bundle, so sources and bundle cannot disagree. */
const runningFromDist = __filename.startsWith(path.join(projectRoot, 'dist') + path.sep);

/**
 * The workflow bundle of the worker process, loaded or built once for every Worker it runs: the prebuilt one
 * when built, else bundled from the sources now, with the options the build uses.
 */
export async function workflowCode(): Promise<{ workflowBundle: { codePath: string } | { code: string } }> {
  if (runningFromDist) {
    if (!fs.existsSync(prebuiltBundlePath)) throw new Error(`${prebuiltBundlePath} is missing: \`npm run build\` writes it`);
    return { workflowBundle: { codePath: prebuiltBundlePath } };
  }
  // Its lines go where the Worker's would have: the Runtime's logger the process installed.
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: Runtime.instance().logger });
  return { workflowBundle: { code } };
}
