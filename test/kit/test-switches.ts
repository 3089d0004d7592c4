/**
 * The client half of the test switches (test-switches-workflow.ts has the workflow half): a client whose starts
 * carry one registration's switches in a header. With search attributes off, the start sets none either.
 */
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { TEST_SWITCHES_HEADER, type TestSwitches } from './test-switches-workflow';

export type { TestSwitches } from './test-switches-workflow';

function switchesInterceptor(switches: TestSwitches): WorkflowClientInterceptor {
  return {
    startWithDetails(input, next) {
      const options = switches.searchAttributes === false ? { ...input.options, typedSearchAttributes: undefined, searchAttributes: undefined } : input.options;
      return next({ ...input, options, headers: { ...input.headers, [TEST_SWITCHES_HEADER]: defaultPayloadConverter.toPayload(switches) } });
    },
  };
}

/** The environment's client, starting workflows with these switches. */
export const clientWithSwitches = (env: TestWorkflowEnvironment, switches: TestSwitches): Client =>
  new Client({ connection: env.connection, namespace: env.namespace, interceptors: { workflow: [switchesInterceptor(switches)] } });
