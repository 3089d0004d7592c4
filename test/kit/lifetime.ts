/**
 * The lifetime of the shared servers (test/kit/servers.ts): each is started once per process on first use and
 * stopped by `stopAll` (the mocha root hook, or a bench or drill on its way out). Kept apart from the servers
 * themselves so that the root hook loads nothing heavy: the unit run (CONTRIBUTING.md, "Which tests to run when")
 * pays for no Temporal SDK it does not use.
 */
const stoppers: Array<() => Promise<unknown>> = [];

/** Runs `stop` at `stopAll`, after everything started later has stopped. */
export function onStop(stop: () => Promise<unknown>): void {
  stoppers.push(stop);
}

let refusal: string | undefined;

/**
 * From now on a server asked for fails its test instead of starting: the unit run (test/support/unit.ts)
 * calls this, so a test that needs PostgreSQL or Temporal cannot slip into it unnoticed.
 */
export function refuseServers(why: string): void {
  refusal = why;
}

/** `start`, unless servers are refused (`refuseServers`): then a rejection naming `server`. */
export function allowed<T>(server: string, start: () => Promise<T>): Promise<T> {
  return refusal ? Promise.reject(new Error(`${server} asked for, but ${refusal}`)) : start();
}

/** `start` run at most once per process; with `server`, refused after `refuseServers`. */
export function once<T>(start: () => Promise<T>, server?: string): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    if (server && refusal) return Promise.reject(new Error(`${server} asked for, but ${refusal}`));
    return (p ??= start());
  };
}

export async function stopAll(): Promise<void> {
  for (const stop of stoppers.splice(0).reverse()) {
    await stop().catch((e: unknown) => console.error('[test] stopping a fixture failed:', e));
  }
}
