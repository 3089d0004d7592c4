/**
 * How production starts the gateway and the worker: V8 flags, and for the worker a
 * module preloaded into all its threads and an environment variable of glibc's allocator. Their one home is package.json's `gateway`
 * and `worker` scripts (`npm run gateway`, `npm run worker`); `npm run cluster` and the
 * benches read them from there, and test/cluster/compose.test.ts checks that the
 * Dockerfile and docker-compose.yml start both the same way. Why these values:
 * docs/operations.md, "Worker memory", and docs/gateway.md, "Live pages".
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths';

type Script = 'gateway' | 'worker';

let scripts: Record<string, string> | undefined;
const scriptWords = (script: Script): string[] => {
  scripts ??= (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  return scripts[script]!.split(/\s+/);
};

/** The node flags of the script (`--max-semi-space-size=4`, `--require=…`, …). */
export const productionNodeFlags = (script: Script): string[] => scriptWords(script).filter((w) => w.startsWith('--'));

/** The variables the script sets before `node` (`MALLOC_ARENA_MAX=2`). */
export function productionNodeEnv(script: Script): Record<string, string> {
  const words = scriptWords(script);
  return Object.fromEntries(words.slice(0, words.indexOf('node')).map((w) => w.split('=', 2) as [string, string]));
}
