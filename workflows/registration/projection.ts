/**
 * The projection activity's contract with the workflow: the failure type it
 * raises, non-retryably, for a change the read model can never store
 * (PostgreSQL refuses the data). The registry has been alerted by then; the
 * workflow carries on without that row update rather than stalling on it.
 */
export const PROJECTION_UNWRITABLE_FAILURE = 'ProjectionUnwritable';
