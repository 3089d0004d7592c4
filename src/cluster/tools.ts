/**
 * The cluster's servers, built from the Go module proxy into .tools/go by
 * scripts/setup-go-tools.js (pinned versions there). `ensureGoTools` builds
 * what is missing (minutes the first time, a no-op after) and throws with the
 * script's explanation when it cannot (no Go on the machine).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { projectRoot, toolsDir } from '../paths';

const goTool = (tool: string, ...rest: string[]) => path.join(toolsDir, 'go', tool, ...rest);

export const clusterTools = {
  temporalServer: goTool('temporal', 'bin', 'server'),
  temporalSql: goTool('temporal', 'bin', 'sql'),
  /** schema/postgresql/v12 of the same go.temporal.io/server version. */
  temporalSchemaDir: goTool('temporal', 'schema'),
  uiServer: goTool('ui', 'bin', 'server'),
  /** ui-server's config folder (its docker.yaml template, the one the temporalio/ui image uses). */
  uiRoot: goTool('ui'),
  weed: goTool('seaweedfs', 'bin', 'weed'),
  /** Prometheus's rule checker (deploy/prometheus/alerts.yml). */
  promtool: goTool('promtool', 'bin', 'promtool'),
};

export type GoTool = 'temporal' | 'ui' | 'seaweedfs' | 'promtool';

/** Its progress goes straight to the terminal: a first build takes minutes and should not look stuck. */
export function ensureGoTools(tools: GoTool[] = ['temporal', 'ui', 'seaweedfs']): void {
  const r = spawnSync(process.execPath, [path.join(projectRoot, 'scripts', 'setup-go-tools.js'), ...tools], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`the cluster's Go tools are missing and could not be built (see above); \`npm run setup:cluster\` retries`);
}

/** Whether a tool is built at its pinned version (the same check the setup script makes). */
export function isInstalled(tool: GoTool): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(projectRoot, 'scripts', 'setup-go-tools.js')) as { isInstalled(t: string): boolean }).isInstalled(tool);
}
