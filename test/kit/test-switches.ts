/**
 * The client half of the test switches (test-switches-workflow.ts has the workflow half): the test environments'
 * clients (servers.ts) carry the switches of `withSwitches` in a start header. With search attributes off, the start
 * sets none either. Outside `withSwitches` a start is as in production.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ClientOptionsForTestEnv } from '@temporalio/testing';
import { TEST_SWITCHES_HEADER, type TestSwitches } from './test-switches-workflow';

export type { TestSwitches } from './test-switches-workflow';

const current = new AsyncLocalStorage<TestSwitches>();

/** Runs `start`; the workflows it starts through a test environment's client get these switches. */
export const withSwitches = <T>(switches: TestSwitches, start: () => Promise<T>): Promise<T> => current.run(switches, start);

const switchesInterceptor: WorkflowClientInterceptor = {
  startWithDetails(input, next) {
    const switches = current.getStore();
    if (!switches) return next(input);
    const options = switches.searchAttributes === false ? { ...input.options, typedSearchAttributes: undefined, searchAttributes: undefined } : input.options;
    return next({ ...input, options, headers: { ...input.headers, [TEST_SWITCHES_HEADER]: defaultPayloadConverter.toPayload(switches) } });
  },
};

/** For TestWorkflowEnvironment's `client` option. */
export const testSwitchesClientOptions: ClientOptionsForTestEnv = { interceptors: { workflow: [switchesInterceptor] } };
