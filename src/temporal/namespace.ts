/**
 * A real Temporal server starts with no `default` namespace (the dev server
 * makes one itself): the cluster registers ours, idempotently. The frontend
 * learns of a new namespace on its next cache refresh (up to ~10 s), so this
 * waits until the namespace answers a visibility call before returning.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';

const RETENTION_DAYS = 30;

export async function ensureNamespace(connection: Connection, namespace: string, timeoutMs = 60_000): Promise<boolean> {
  let created = false;
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch {
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(`${RETENTION_DAYS} days`),
      });
      created = true;
    } catch (e) {
      if (!/already exists/i.test(String((e as Error).message))) throw e;
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query: '' });
      return created;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`namespace ${namespace} not usable after ${timeoutMs / 1000} s: ${String(e)}`, { cause: e });
      await delay(500);
    }
  }
}
