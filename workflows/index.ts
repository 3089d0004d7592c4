/** The workflows the worker runs (bundled from this file: src/temporal/worker-options.ts). */
export { registrationWorkflow } from './registration/workflow';
export { cohortImportWorkflow } from './import/workflow';
