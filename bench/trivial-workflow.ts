/**
 * The bench's measure of Temporal's own limit (bench/trivial.ts): a workflow that
 * does nothing but answer. An update costs one workflow task and nothing else (no
 * activity, no timer, no history beyond the update's own events); a query reads a
 * counter. Bundled only by the bench's own worker on its own task queue, never
 * into the production workflow bundle (workflows/index.ts).
 */
import { condition, defineQuery, defineUpdate, setHandler } from '@temporalio/workflow';

export const trivialUpdate = defineUpdate<number, [number]>('trivialUpdate');
export const trivialQuery = defineQuery<number>('trivialQuery');

export async function trivialWorkflow(): Promise<void> {
  let count = 0;
  setHandler(trivialUpdate, (n) => (count += n));
  setHandler(trivialQuery, () => count);
  // Open until the bench ends (the cluster and its data go with it).
  await condition(() => false);
}
