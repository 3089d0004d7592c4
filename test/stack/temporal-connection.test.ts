/**
 * src/temporal/connection.ts: closing a connection while a call waits on the
 * SDK's retry timer. Without the guard the timer fires on the closed channel and
 * throws "Channel has been shut down" outside any caller: mocha reports it as an
 * uncaught exception in whatever test runs then (it did, in CI).
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { lazyTemporalConnection } from '../../src/temporal/connection';
import { freePort } from '../kit/servers';

describe('Temporal connections', () => {
  it('a call still being retried when its connection closes ends with an error for its caller, not an uncaught exception', async () => {
    // Nothing listens there: every attempt is UNAVAILABLE, which the SDK retries after a backoff.
    const connection = lazyTemporalConnection({ address: `127.0.0.1:${await freePort()}` });
    const call = connection.workflowService.getSystemInfo({}).then(
      () => 'answered',
      (e: Error) => e,
    );
    await delay(250);
    await connection.close();
    const outcome = await call;
    assert.ok(outcome instanceof Error, `the call ended with ${String(outcome)}`);
    assert.match(outcome.message, /closed|CANCELLED/i);
    // Any retry timer armed before the close has fired by now.
    await delay(1_000);
  });
});
