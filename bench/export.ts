/**
 * The cohort export at 50,000 students: time and peak memory of
 * `GET /api/exports/registrations` (CSV and JSON) streamed by the real gateway
 * from a synthetic read model (bench/read-model.ts). The gateway runs in its
 * own process (bench/export-gateway.ts), so its resident set size is read
 * from /proc/<pid>/status: VmRSS before, VmHWM (the peak) after. The client
 * reads the body and keeps only a count.
 *
 *   npm run bench:export -- --count 50000
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/paths';
import { database } from '../test/kit/servers';
import { processMemory as memoryOf, startGatewayProcess } from './gateway-process';
import { benchStack } from './support';

const MB = 1024 * 1024;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { count: { type: 'string', default: '50000' } } });
  const count = Number(values.count);
  const stack = await benchStack({ count, now: new Date() });
  const gateway = await startGatewayProcess(['--import', 'tsx', path.join(projectRoot, 'bench', 'export-gateway.ts')], {
    DATABASE_URL: (await database()).url,
  });
  const { child, url, key } = gateway;
  try {
    // Warm up: the portal bundle, connections, the first small export.
    for (const p of ['/portal/', `/api/exports/registrations?cohort=${encodeURIComponent(stack.cohortId)}-other&format=csv`]) {
      await (await fetch(`${url}${p}`, { headers: { authorization: `Bearer ${key}` } })).arrayBuffer();
    }
    for (const format of ['csv', 'json'] as const) {
      const before = memoryOf(child.pid!);
      const t = performance.now();
      const res = await fetch(`${url}/api/exports/registrations?cohort=${encodeURIComponent(stack.cohortId)}&format=${format}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      if (res.status !== 200) throw new Error(`export: ${res.status} ${await res.text()}`);
      let bytes = 0;
      let lines = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.byteLength;
        for (const b of chunk) if (b === 10) lines++;
      }
      const s = (performance.now() - t) / 1000;
      const after = memoryOf(child.pid!);
      // CSV: one line per row plus the header; JSON: a line per row plus the lines of the closing bracket.
      const rows = format === 'csv' ? lines - 1 : lines - 2;
      console.log(
        `${format.toUpperCase()}: ${rows} rows, ${(bytes / MB).toFixed(1)} MB in ${s.toFixed(2)} s (${Math.round(rows / s)} rows/s); ` +
          `gateway RSS ${(before.rss / MB).toFixed(0)} MB before, peak so far ${(after.peak / MB).toFixed(0)} MB (peak before: ${(before.peak / MB).toFixed(0)} MB)`,
      );
    }
  } finally {
    await gateway.stop();
    await stack.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
