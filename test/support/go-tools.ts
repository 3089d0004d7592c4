/**
 * The cluster tests need servers built with Go into .tools/go (scripts/setup-go-tools.js).
 * Under CI (`.ci/run` builds them before `npm test` and sets CI) a missing one fails the
 * tests loudly. Elsewhere, e.g. on a machine without Go, the tests are skipped, saying why
 * and how to build them, so `npm test` needs nothing beyond what the README lists.
 */
import { isInstalled, type GoTool } from '../../src/cluster/tools';

export const underCi = (env: NodeJS.ProcessEnv = process.env): boolean => !!env.CI && env.CI !== 'false' && env.CI !== '0';

export function requireGoTools(
  ctx: Pick<Mocha.Context, 'skip'>,
  tools: GoTool[],
  {
    installed = isInstalled,
    env = process.env,
    say = (line: string) => console.log(line),
  }: { installed?: (tool: GoTool) => boolean; env?: NodeJS.ProcessEnv; say?: (line: string) => void } = {},
): void {
  const missing = tools.filter((t) => !installed(t));
  if (!missing.length) return;
  const how = '`npm run setup:cluster` builds them (needs Go; minutes the first time, about 3 with warm Go caches)';
  if (underCi(env))
    throw new Error(`${missing.join(', ')} not built in .tools/go, so this cluster test cannot run; .ci/run builds them before npm test. ${how}.`);
  say(`      skipped: ${missing.join(', ')} not built in .tools/go; ${how}.`);
  ctx.skip();
}
