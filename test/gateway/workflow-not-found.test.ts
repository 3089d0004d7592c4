/**
 * How the gateway reads "not found" from Temporal for an update: a closed registration (409), one that never
 * existed (404), and one still running whose update answer was reported "not found" because the run that
 * answered it continued as new (503: retry with the same Idempotency-Key; never "closed"). The time-skipping
 * server reports exactly this in test/workflow/continue-as-new.test.ts; here the client is a stand-in so
 * each case is certain.
 */
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { ErrorCode, type AppError } from '../../src/gateway/errors';
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
