/**
 * How the gateway reads Temporal's refusals of an update. "Not found": a closed registration (409), one that never
 * existed (404), and one still running whose update answer was reported "not found" because the run that
 * answered it continued as new (503: retry with the same Idempotency-Key; never "closed"). The time-skipping
 * server reports exactly this in test/workflow/continue-as-new.test.ts; here the client is a stand-in so
 * each case is certain. And a server that refuses for a while (a failed workflow task, too many updates) is
 * 503 retry, not 500.
 */
import assert from 'node:assert/strict';
import { ServiceError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { ErrorCode, type AppError } from '../../src/gateway/errors';
import { fromTemporal } from '../../src/gateway/temporal-errors';
import { Registrations } from '../../src/gateway/workflow';
import { verifyItemUpdate } from '../../workflows/registration/api';

function clientWhere(status: string | undefined): Client {
  const handle = {
    executeUpdate: async () => {
      throw new WorkflowNotFoundError('update 8d0c… not found', 'registration-A1', undefined);
    },
    describe: async () => {
      if (!status) throw new WorkflowNotFoundError('workflow not found', 'registration-A1', undefined);
      return { status: { name: status } };
    },
  };
  return { workflow: { getHandle: () => handle }, connection: { withDeadline: <T>(_d: number, fn: () => Promise<T>) => fn() } } as unknown as Client;
}

async function codeOf(status: string | undefined): Promise<ErrorCode> {
  const registrations = new Registrations(clientWhere(status));
  const e = await registrations.update('A1', verifyItemUpdate, { actor: 'staff:x', itemKey: 'PHOTO' }, 'key-1').then(
    () => assert.fail('expected a refusal'),
    (err: AppError) => err,
  );
  return e.code;
}

describe('an update reported "not found"', () => {
  it('on a running registration is "retry" (503), not "closed"', async () => {
    assert.equal(await codeOf('RUNNING'), ErrorCode.WORKFLOW_UNAVAILABLE);
  });
  it('on a closed registration is 409, and on a missing one 404', async () => {
    assert.equal(await codeOf('COMPLETED'), ErrorCode.INVALID_TRANSITION);
    assert.equal(await codeOf(undefined), ErrorCode.REGISTRATION_NOT_FOUND);
  });
});

describe('Temporal refusing an update for a while', () => {
  /** A gRPC error as @grpc/grpc-js makes it, wrapped the way the Temporal client rethrows it. */
  const grpcError = (code: number, details: string) =>
    new ServiceError('Workflow Update failed', { cause: Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} }) });

  it('a workflow task in failed state (the worker will retry it) is 503 retry, not 500', () => {
    // What the postgres-freeze drill met on a loaded machine (two 500s before this mapping).
    const e = fromTemporal(grpcError(9, 'Unable to perform workflow execution update due to Workflow Task in failed state.'));
    assert.equal(e?.code, ErrorCode.WORKFLOW_UNAVAILABLE);
    assert.equal(fromTemporal(grpcError(8, 'Too many outstanding updates'))?.code, ErrorCode.WORKFLOW_UNAVAILABLE);
  });

  it('the task carrying the update failed (the run continued as new as it arrived) is 503 retry, not 500', () => {
    // What the dev server answered in the continue-as-new test, an extension arriving as the run continued.
    const e = fromTemporal(grpcError(9, 'Unable to perform workflow execution update due to unexpected workflow task failure.'));
    assert.equal(e?.code, ErrorCode.WORKFLOW_UNAVAILABLE);
  });

  it('another failed precondition is not taken for a transient one', () => {
    assert.equal(fromTemporal(grpcError(9, 'something else entirely')), undefined);
  });
});
