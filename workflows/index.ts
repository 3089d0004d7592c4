/** The workflows the worker runs (bundled from this file: src/temporal/worker-options.ts). */
export { registrationWorkflow } from './registration/workflow';
export { lateEventWorkflow } from './late-event/workflow';
export { cohortImportWorkflow } from './import/workflow';
