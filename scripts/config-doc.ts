// Prints the configuration table from src/config/variables.ts, the one place variables are
// declared; with --write, puts it into README.md between the config-table markers.
import fs from 'node:fs';
import path from 'node:path';
import { configTable } from '../src/config';
import { projectRoot } from '../src/paths';

export const README = path.join(projectRoot, 'README.md');
export const withConfigTable = (readme: string): string =>
  readme.replace(/<!-- config-table -->[\s\S]*?<!-- \/config-table -->/, `<!-- config-table -->\n${configTable()}\n<!-- /config-table -->`);

if (require.main === module) {
  if (process.argv.includes('--write')) fs.writeFileSync(README, withConfigTable(fs.readFileSync(README, 'utf8')));
  else console.log(configTable());
}
