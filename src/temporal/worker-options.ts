/**
 * The workflow code a Worker of ours runs. Built workers (`npm run build`, then
 * `node dist/src/worker.js`) load the bundle `scripts/bundle-workflows.ts`
 * prebuilt into dist/ at build time: no webpack at start-up, and the worker's
 * memory stays that of the SDK and the bundle (docs/operations.md has the
 * figures). Run from the sources (tsx, tests), the SDK bundles at start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths';
import { failureConverterPath } from './data-converter';

/** The workflow module every Worker of ours bundles, shared by the worker process and the tests. */
const workflowsPath = (): string => require.resolve('../../workflows');

/**
 * What every bundle of our workflow code is built from: the workflows and the failure converter that
 * encodes failure messages in the sandbox (the worker's own dataConverter names the same module).
 */
export const workflowBundleOptions = (): { workflowsPath: string; failureConverterPath: string } => ({
  workflowsPath: workflowsPath(),
  failureConverterPath: failureConverterPath(),
});

/** Where the build writes the prebuilt workflow bundle. */
export const prebuiltBundlePath = path.join(projectRoot, 'dist', 'workflow-bundle.js');

/** Only a worker that is itself built uses the prebuilt bundle, so sources and bundle cannot disagree. */
const runningFromDist = __filename.startsWith(path.join(projectRoot, 'dist') + path.sep);

export function workflowCode(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  if (runningFromDist) {
    if (!fs.existsSync(prebuiltBundlePath)) throw new Error(`${prebuiltBundlePath} is missing: \`npm run build\` writes it`);
    return { workflowBundle: { codePath: prebuiltBundlePath } };
  }
  return { workflowsPath: workflowsPath() };
}
