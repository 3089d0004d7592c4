/** The import's way to start a registration: the workflow engineer's start helper, on the configured task queue. */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { importedBy, startRegistration } from '../client';
import type { StartRegistration } from './run';

export function startOnQueue(temporal: Client, config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>): StartRegistration {
  return async (input, importId) => {
    const { started } = await startRegistration(temporal, input, { taskQueue: config.TEMPORAL_TASK_QUEUE, importId });
    if (started) return 'started';
    // Already there: started by this very import when an attempt that died after the start, before its heartbeat
    // covered the row, ran this page (count it as started), or before this import (existing).
    return (await importedBy(temporal, input.student.applicationNo)) === importId ? 'started' : 'existing';
  };
}
