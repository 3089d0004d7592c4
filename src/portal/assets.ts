/**
 * The portal's browser code and stylesheet, bundled by esbuild from
 * src/portal/client/ in memory. Bundled once per process, on first use, so
 * there is no build step to forget and every gateway (and every test gateway)
 * in the process shares the result. Each asset is served under a name that
 * carries its content hash, so browsers may cache it forever.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { build } from 'esbuild';
import { projectRoot } from '../paths';

export interface Asset {
  /** Public file name, e.g. `student.3f2a9c1b.js`. */
  file: string;
  contentType: string;
  body: Buffer;
  etag: string;
}

export type AssetName = 'student.js' | 'staff.js' | 'portal.css';

export interface AssetSet {
  byName: Record<AssetName, Asset>;
  byFile: Map<string, Asset>;
}

/** Where the browser code lives; resolved from the project root so `tsx` and `node dist/` read the same files. */
const clientDir = path.join(projectRoot, 'src', 'portal', 'client');

const entryPoints: Record<string, string> = {
  student: path.join(clientDir, 'student', 'main.ts'),
  staff: path.join(clientDir, 'staff', 'main.ts'),
  portal: path.join(clientDir, 'portal.css'),
};

async function bundle(minify: boolean): Promise<AssetSet> {
  const result = await build({
    entryPoints,
    bundle: true,
    write: false,
    outdir: 'out',
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    platform: 'browser',
    minify,
    sourcemap: minify ? false : 'inline',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const byName = {} as Record<AssetName, Asset>;
  const byFile = new Map<string, Asset>();
  for (const out of result.outputFiles) {
    const name = path.basename(out.path) as AssetName;
    const body = Buffer.from(out.contents);
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
    const ext = path.extname(name);
    const asset: Asset = {
      file: `${path.basename(name, ext)}.${hash}${ext}`,
      contentType: ext === '.css' ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      body,
      etag: `"${hash}"`,
    };
    byName[name] = asset;
    byFile.set(asset.file, asset);
  }
  return byName['student.js'] && byName['staff.js'] && byName['portal.css']
    ? { byName, byFile }
    : Promise.reject(new Error(`portal bundle is missing outputs (got ${[...byFile.keys()].join(', ')})`));
}

const cache = new Map<boolean, Promise<AssetSet>>();

/** The bundled assets; minified in production. A failed bundle is retried on the next call rather than cached. */
export function portalAssets(minify: boolean): Promise<AssetSet> {
  let p = cache.get(minify);
  if (!p) {
    p = bundle(minify);
    p.catch(() => cache.delete(minify));
    cache.set(minify, p);
  }
  return p;
}
