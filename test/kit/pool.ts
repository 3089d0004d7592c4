/** A pool of lanes: the drills' and the benches' way to keep at most so many calls in flight. */

/** Runs `fn` over `items` with at most `concurrency` at once. */
export async function inPool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
