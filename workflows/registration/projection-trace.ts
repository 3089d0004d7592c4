/**
 * Which trace a projection belongs to (docs/operations.md, Traces). The projector schedules the projection
 * activity from its own loop, after the update that caused it has answered, so the activity does not inherit the
 * update's trace context as an awaited call would. Each change remembers the context it was made in (an update's
 * or a signal's handling, or the run's own for a timer or an email), and the projection of a batch is scheduled in
 * the context of the newest request among its changes (else the run's): the request's trace shows the projection it
 * caused. Only the trace context moves; the commands are the same, so no history changes.
 */
import { context, type Context } from '@opentelemetry/api';

export class ProjectionTraces {
  /** The run's own context (its RunWorkflow span while traced): changes made outside any request. */
  private readonly run: Context = context.active();
  private causes: { through: number; context: Context }[] = [];

  /** The changes recorded up to `through` were made in the context active now. */
  record(through: number): void {
    this.causes.push({ through, context: context.active() });
  }

  /** Runs `schedule` (the projection of every change up to `through`) in the trace of the newest request among them. */
  within<T>(through: number, schedule: () => T): T {
    const batch = this.causes.filter((c) => c.through <= through);
    this.causes = this.causes.filter((c) => c.through > through);
    const requested = batch.filter((c) => c.context !== this.run);
    const chosen = (requested.length ? requested : batch)[(requested.length ? requested : batch).length - 1];
    return chosen ? context.with(chosen.context, schedule) : schedule();
  }
}
