/** The repository root, found from this file whether run from src/ (tsx) or dist/src/ (built). */
import fs from 'node:fs';
import path from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'prisma', 'schema.prisma'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`progreg: no project root above ${from}`);
  }
}

export const projectRoot = findRoot(__dirname);
export const toolsDir = path.join(projectRoot, '.tools');
