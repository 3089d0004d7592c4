/**
 * A workflow interceptor of replay-cost.test.ts's bundle only: every activity the run schedules, with its input,
 * handed to the `scheduled` sink, so a test sees the commands a replay makes (the replayer sends none).
 * Workflow-safe: runs in the sandbox, imports only the workflow SDK. It passes each call straight on (no await), so
 * the commands come as without it.
 */
import { proxySinks, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

interface ScheduledSinks extends Sinks {
  scheduled: { activity(activityType: string, args: unknown[]): void };
}

const { scheduled } = proxySinks<ScheduledSinks>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity(input, next) {
        scheduled.activity(input.activityType, input.args);
        return next(input);
      },
    },
  ],
});
