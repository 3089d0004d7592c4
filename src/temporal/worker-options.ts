/** What every Worker of ours is made of: the workflow module path, shared by the worker process and the tests. */
export const workflowsPath = require.resolve('../../workflows');
