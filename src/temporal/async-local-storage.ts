/**
 * Preloaded into every thread of the worker process (`--require`, package.json's `worker` script), the
 * workflow thread included, before the SDK runs: Node 20's AsyncLocalStorage copies the store of every
 * enabled storage of the thread onto every new promise, `undefined` included. The SDK and OpenTelemetry's
 * interceptors enable several storages per cached workflow, so with 250 cached registrations each promise
 * of the workflow thread carried about a thousand properties (kilobytes each, and as many writes at every
 * promise), most of a worker's heap. Copying only a store that is set changes nothing a storage answers:
 * an absent property reads as `undefined`, as the copied `undefined` did. Node 24 keeps these stores
 * otherwise (AsyncContextFrame) and has no `_propagate`; there this does nothing.
 * docs/operations.md, "Worker memory".
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface Propagating {
  enabled: boolean;
  kResourceStore: symbol;
  _propagate?: (resource: Record<symbol, unknown>, triggerResource: Record<symbol, unknown>, type: string) => void;
}

const storage = AsyncLocalStorage.prototype as unknown as Propagating;
if (typeof storage._propagate === 'function') {
  storage._propagate = function (this: Propagating, resource, triggerResource) {
    const store = triggerResource[this.kResourceStore];
    if (this.enabled && store !== undefined) resource[this.kResourceStore] = store;
  };
}
