/**
 * The gateway's only way to a registration workflow: query its status, signal
 * it, or send it an update and wait for the answer. Errors come back as
 * AppErrors; a closed registration (completed or withdrawn workflow) refuses
 * further actions with 409 rather than pretending not to exist.
 *
 * Updates take an optional update id (the request's Idempotency-Key, see
 * idempotency.ts): Temporal answers a repeated id with the first attempt's
 * outcome, so a client retrying after a lost answer or a 503 gets its own
 * success back instead of a refusal of it.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { getStatusQuery, registrationWorkflowId, type RegistrationStatusView } from '../../workflows/registration/api';
import { AppError, ErrorCode } from './errors';
import { fromTemporal } from './temporal-errors';

/** A student waits on this at most; past it the answer is "not confirmed, retry" (503), never "done". */
const UPDATE_TIMEOUT_MS = 20_000;
const QUERY_TIMEOUT_MS = 10_000;

export class Registrations {
  private readonly updateTimeoutMs: number;

  constructor(
    private readonly temporal: Client,
    options: { updateTimeoutMs?: number } = {},
  ) {
    this.updateTimeoutMs = options.updateTimeoutMs ?? UPDATE_TIMEOUT_MS;
  }

  private handle(applicationNo: string) {
    return this.temporal.workflow.getHandle(registrationWorkflowId(applicationNo));
  }

  async status(applicationNo: string): Promise<RegistrationStatusView> {
    return this.query(applicationNo, getStatusQuery);
  }

  async query<R>(applicationNo: string, def: QueryDefinition<R, []>): Promise<R> {
    return this.call(applicationNo, QUERY_TIMEOUT_MS, () => this.handle(applicationNo).query(def));
  }

  /** `updateId`: the same id twice gets the first attempt's answer (Temporal deduplicates updates by id). */
  async update<R, A>(applicationNo: string, def: UpdateDefinition<R, [A]>, arg: A, updateId?: string): Promise<R> {
    return this.call(applicationNo, this.updateTimeoutMs, () => this.handle(applicationNo).executeUpdate(def, { args: [arg], updateId }), true);
  }

  async signal<A>(applicationNo: string, def: SignalDefinition<[A]>, arg: A): Promise<void> {
    await this.call(applicationNo, QUERY_TIMEOUT_MS, () => this.handle(applicationNo).signal(def, arg), true);
  }

  private async call<R>(applicationNo: string, timeoutMs: number, fn: () => Promise<R>, changes = false): Promise<R> {
    try {
      return await this.temporal.connection.withDeadline(Date.now() + timeoutMs, fn);
    } catch (e) {
      if (changes && e instanceof WorkflowNotFoundError) throw await this.closedOrMissing(applicationNo, e);
      throw fromTemporal(e) ?? e;
    }
  }

  /** Signals and updates to a closed workflow fail as "not found"; tell the cases apart (closed, missing, still running). */
  private async closedOrMissing(applicationNo: string, cause: Error): Promise<AppError> {
    try {
      const d = await this.handle(applicationNo).describe();
      // Still running: an update answered by a run that has since continued as new can be reported "not found"
      // to the client polling for its outcome. It is not closed: the same update id again reaches the current
      // run, which answers it from the answers it carried (never applied twice).
      if (d.status.name === 'RUNNING') {
        return new AppError(
          ErrorCode.WORKFLOW_UNAVAILABLE,
          'The registration did not confirm the answer in time; please retry with the same Idempotency-Key.',
          {},
          { cause },
        );
      }
      return new AppError(
        ErrorCode.INVALID_TRANSITION,
        `This registration is closed (${d.status.name.toLowerCase()}); nothing more can change.`,
        { reason: 'Closed' },
        { cause },
      );
    } catch {
      return new AppError(ErrorCode.REGISTRATION_NOT_FOUND, `No registration ${applicationNo}.`, {}, { cause });
    }
  }
}
