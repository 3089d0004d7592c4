/**
 * Workflow interceptors of the test bundle (test/kit/servers.ts, `workflowBundle`): the switches a test sets for
 * one registration (test/kit/test-switches.ts) applied around the production workflow, which has none.
 * Workflow-safe: runs in the sandbox, imports only the workflow SDK.
 *
 * - `searchAttributes: false`: the run's search-attribute upserts are dropped from its commands, for a server
 *   that cannot register custom attributes (Temporal's time-skipping test server).
 * - `historyBudget`: the run is told to continue as new, as a server does with `continueAsNewSuggested`, once its
 *   history passes this budget, so a test reaches continue-as-new in a few dozen events.
 *
 * The switches come in a start header and go on to each continued run. Histories recorded before they left the
 * workflow's input carry them in the input instead; the replay guard reads them from there.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const TEST_SWITCHES_HEADER = 'progreg-test-switches';

export interface TestSwitches {
  searchAttributes?: boolean;
  historyBudget?: { events?: number; bytes?: number };
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  // One factory call per workflow run: these are this run's switches.
  let switches: TestSwitches = {};
  return {
    inbound: [
      {
        execute(input, next) {
          const header = input.headers[TEST_SWITCHES_HEADER];
          const legacy = (input.args[0] ?? {}) as TestSwitches;
          switches = header
            ? defaultPayloadConverter.fromPayload<TestSwitches>(header)
            : { searchAttributes: legacy.searchAttributes, historyBudget: legacy.historyBudget };
          return next(input);
        },
      },
    ],
    outbound: [
      {
        continueAsNew(input, next) {
          return next({ ...input, headers: { ...input.headers, [TEST_SWITCHES_HEADER]: defaultPayloadConverter.toPayload(switches) } });
        },
      },
    ],
    internals: [
      {
        activate(input, next) {
          const budget = switches.historyBudget;
          const info = workflowInfo();
          const over =
            !!budget &&
            ((budget.events !== undefined && info.historyLength > budget.events) || (budget.bytes !== undefined && info.historySize > budget.bytes));
          // The SDK refreshes the run's info from each activation just before this; the workflow reads it after.
          if (over) Object.assign(info, { continueAsNewSuggested: true });
          next(input);
        },
        concludeActivation(input, next) {
          const output = next(input);
          if (switches.searchAttributes !== false) return output;
          return { ...output, commands: output.commands.filter((c) => !c.upsertWorkflowSearchAttributes) };
        },
      },
    ],
  };
};
