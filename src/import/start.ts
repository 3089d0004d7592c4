/** The import's way to start a registration: the workflow engineer's start helper, on the configured task queue. */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { startRegistration } from '../client';
import type { StartRegistration } from './run';

export function startOnQueue(temporal: Client, config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>): StartRegistration {
  return async (input) => ((await startRegistration(temporal, input, { taskQueue: config.TEMPORAL_TASK_QUEUE })).started ? 'started' : 'existing');
}
