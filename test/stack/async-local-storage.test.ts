import assert from 'node:assert/strict';
import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { productionNodeFlags } from '../../src/cluster/node-flags';
import { projectRoot } from '../../src/paths';
import '../../src/temporal/async-local-storage';

/** The symbols of the promise `make` creates (its resource as async hooks see it). */
function ownSymbolsOfPromise(make: () => Promise<unknown>): symbol[] {
  let seen: object | undefined;
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      if (type === 'PROMISE') seen ??= resource as object;
    },
  }).enable();
  try {
    void make();
  } finally {
    hook.disable();
  }
  assert.ok(seen, 'a promise was created');
  return Object.getOwnPropertySymbols(seen);
}

describe('AsyncLocalStorage in the worker process (src/temporal/async-local-storage.ts)', () => {
  it('a promise made outside every store carries no property for each enabled storage (a cached workflow enables several)', () => {
    const storages = Array.from({ length: 200 }, () => new AsyncLocalStorage<number>());
    for (const [i, s] of storages.entries()) s.run(i, () => undefined);
    try {
      const before = ownSymbolsOfPromise(() => Promise.resolve());
      // Node 20 copied all 200 (as undefined) onto it: one property per storage on every promise.
      assert.ok(before.length < 10, `${before.length} symbols on a promise`);
      // Inside one store, that store is carried (and only what is set).
      const inside = storages[7]!.run(7, () => ownSymbolsOfPromise(() => Promise.resolve()));
      assert.ok(inside.length <= before.length + 1, `${inside.length} symbols inside one store`);
    } finally {
      for (const s of storages) s.disable();
    }
  });

  it('every storage still answers its own store across awaits, timers and nested runs, and nothing outside', async () => {
    const a = new AsyncLocalStorage<string>();
    const b = new AsyncLocalStorage<string>();
    const seen: unknown[] = [];
    await a.run('a1', async () => {
      await Promise.resolve();
      seen.push(a.getStore(), b.getStore());
      await b.run('b1', async () => {
        await sleep(1);
        seen.push(a.getStore(), b.getStore());
        await a.run('a2', () => Promise.resolve().then(() => seen.push(a.getStore(), b.getStore())));
        seen.push(a.getStore());
      });
      seen.push(b.getStore());
      a.exit(() => seen.push(a.getStore()));
    });
    seen.push(a.getStore(), b.getStore());
    assert.deepEqual(seen, ['a1', undefined, 'a1', 'b1', 'a2', 'b1', 'a1', undefined, undefined, undefined, undefined]);
    a.disable();
    b.disable();
  });

  it('the worker preloads it into all its threads: `npm run worker` requires the built module', () => {
    const required = productionNodeFlags('worker')
      .filter((f) => f.startsWith('--require='))
      .map((f) => f.slice('--require='.length));
    assert.deepEqual(required, ['./dist/src/temporal/worker-preload.js']);
    assert.ok(fs.existsSync(path.join(projectRoot, 'src', 'temporal', 'worker-preload.ts')));
  });
});
