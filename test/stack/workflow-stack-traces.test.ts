/**
 * The built worker's switch for the SDK's workflow stack traces (src/temporal/workflow-stack-traces.ts), in a process
 * of its own as the worker preloads it: each workflow is told whether the SDK installed its promise hook
 * (`promiseHookInstalled`), and answers the Stack Trace tab's queries only if it did. The query itself, on the real
 * cluster's built workers: test/cluster/cluster.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { projectRoot } from '../../src/paths';

/** Whether the SDK's promise hook is installed in a fresh process that preloads the switch, under `env`. */
function hookInstalled(env: Record<string, string>): boolean {
  const script = [
    "const { globalHandlers } = require('@temporalio/worker/lib/workflow/vm-shared');",
    'globalHandlers.install();',
    'process.stdout.write(String(globalHandlers.promiseHookInstalled));',
  ].join('\n');
  const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '--require', './src/temporal/worker-preload.ts', '-e', script], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  return out === 'true';
}

describe('workflow stack traces in the built worker (WORKFLOW_STACK_TRACES)', () => {
  it('are off by default: the SDK installs no promise hook, so no workflow captures a stack per promise', () => {
    assert.equal(hookInstalled({}), false);
  });

  it('WORKFLOW_STACK_TRACES=on keeps the SDK as it ships: the hook is installed', () => {
    assert.equal(hookInstalled({ WORKFLOW_STACK_TRACES: 'on' }), true);
  });
});
