/**
 * Build step (`npm run build`): bundles the workflow code once into
 * dist/workflow-bundle.js, which built workers load with
 * `workflowBundle: { codePath }` instead of running webpack at every start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { prebuiltBundlePath, workflowBundleOptions } from '../src/temporal/worker-options';

async function main(): Promise<void> {
  const t0 = Date.now();
  const { code } = await bundleWorkflowCode({
    ...workflowBundleOptions(),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  fs.mkdirSync(path.dirname(prebuiltBundlePath), { recursive: true });
  fs.writeFileSync(prebuiltBundlePath, code);
  console.log(`bundle-workflows: ${path.relative(process.cwd(), prebuiltBundlePath)} (${Math.round(code.length / 1024)} KiB, ${Date.now() - t0} ms)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
