/** The workflow module every Worker of ours bundles, shared by the worker process and the tests. */
export const workflowsPath = (): string => require.resolve('../../workflows');
