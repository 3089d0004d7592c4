/**
 * How Temporal's answers become AppErrors: a refusal from an update validator
 * carries a RegistrationFailure type (workflows/registration/api.ts), which
 * decides the code; a missing workflow is an unknown registration; an
 * unreachable or slow server means nothing happened and the client may retry.
 */
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, ServiceError, isGrpcServiceError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { RegistrationFailure } from '../../workflows/registration/api';
import { AppError, ErrorCode } from './errors';

const byFailure: Record<RegistrationFailure, ErrorCode> = {
  [RegistrationFailure.InvalidTransition]: ErrorCode.INVALID_TRANSITION,
  [RegistrationFailure.InvalidInput]: ErrorCode.INVALID_INPUT,
  [RegistrationFailure.UnknownItem]: ErrorCode.ITEM_NOT_FOUND,
  [RegistrationFailure.SubmissionLimitReached]: ErrorCode.SUBMISSION_LIMIT_REACHED,
  [RegistrationFailure.PageLimitReached]: ErrorCode.PAGE_LIMIT_REACHED,
  [RegistrationFailure.PageNotFound]: ErrorCode.PAGE_NOT_FOUND,
  [RegistrationFailure.PagesChanged]: ErrorCode.PAGES_CHANGED,
};

/** gRPC status codes meaning "could not reach / no answer in time". */
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
/** "Too many updates in flight" and the like: the server sheds load; a retry later goes through. */
const RESOURCE_EXHAUSTED = 8;
/**
 * FAILED_PRECONDITION for an update while the workflow's last task failed (e.g. a worker starved of CPU past the
 * deadlock detector), or when the task that carried the update failed (the run continued as new as the update
 * arrived, and the server refused that task to deliver the update first): Temporal retries the task by itself, so
 * the action can be retried shortly, under the same update id. Seen as a 500 in the postgres-freeze drill on a
 * loaded machine, and in the continue-as-new test.
 */
const FAILED_PRECONDITION = 9;
const TASK_FAILED = /workflow task in failed state|unexpected workflow task failure/i;

export function fromTemporal(e: unknown): AppError | undefined {
  if (e instanceof WorkflowNotFoundError) {
    return new AppError(ErrorCode.REGISTRATION_NOT_FOUND, 'No such registration.', {}, { cause: e });
  }
  if (e instanceof WorkflowUpdateFailedError) {
    const cause = e.cause;
    if (cause instanceof ApplicationFailure && cause.type && cause.type in byFailure) {
      const details = cause.details?.[0];
      return new AppError(
        byFailure[cause.type as RegistrationFailure],
        cause.message,
        { reason: cause.type, ...(details && typeof details === 'object' ? (details as object) : {}) },
        { cause: e },
      );
    }
    return undefined;
  }
  if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new AppError(ErrorCode.WORKFLOW_UNAVAILABLE, 'The registration did not answer in time; please retry.', {}, { cause: e });
  }
  const grpc = e instanceof ServiceError ? e.cause : e;
  const retryable = (code: number, details: string) =>
    code === UNAVAILABLE || code === DEADLINE_EXCEEDED || code === RESOURCE_EXHAUSTED || (code === FAILED_PRECONDITION && TASK_FAILED.test(details));
  if (isGrpcServiceError(grpc) && retryable(grpc.code, grpc.details)) {
    return new AppError(ErrorCode.WORKFLOW_UNAVAILABLE, 'The workflow service is not reachable; please retry.', {}, { cause: e });
  }
  return undefined;
}
