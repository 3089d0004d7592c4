/**
 * The V8 flags production starts a gateway with. Their one home is package.json's
 * `gateway` script (`npm run gateway`); `npm run cluster` and the benches read them
 * from there, and test/cluster/compose.test.ts checks that the Dockerfile and
 * docker-compose.yml start the gateway the same way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths';

export function productionGatewayFlags(): string[] {
  const script = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.gateway!;
  return script.split(/\s+/).filter((t) => t.startsWith('--'));
}
