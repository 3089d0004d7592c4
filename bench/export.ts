/**
 * The cohort export at 50,000 students: time and peak memory of
 * `GET /api/exports/registrations` (CSV and JSON) streamed through the real
 * gateway from a synthetic read model (bench/read-model.ts). The client reads
 * the body and keeps only a count, so the process's resident set size is the
 * gateway's. For contrast, the same rows loaded at once with Prisma
 * (findMany with the items), which is what streaming avoids.
 *
 *   npm run bench:export -- --count 50000
 */
import { parseArgs } from 'node:util';
import { benchStack } from './support';

const MB = 1024 * 1024;

/** Samples the process's RSS every 10 ms while `work` runs. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; before: number; peak: number; ms: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const t = performance.now();
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, before, peak, ms: performance.now() - t };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { count: { type: 'string', default: '50000' } } });
  const count = Number(values.count);
  const stack = await benchStack({ count, now: new Date() });
  try {
    for (const format of ['csv', 'json'] as const) {
      const { result, before, peak, ms } = await peakRss(async () => {
        const res = await fetch(`${stack.url}/api/exports/registrations?cohort=${encodeURIComponent(stack.cohortId)}&format=${format}`, {
          headers: { authorization: `Bearer ${stack.key}` },
        });
        if (res.status !== 200) throw new Error(`export: ${res.status} ${await res.text()}`);
        let bytes = 0;
        let lines = 0;
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          bytes += chunk.byteLength;
          for (const b of chunk) if (b === 10) lines++;
        }
        return { bytes, lines };
      });
      const rows = format === 'csv' ? result.lines - 1 : result.lines - 1; // CSV: minus the header; JSON: one row per line, minus the closing bracket
      console.log(
        `${format.toUpperCase()}: ${rows} rows, ${(result.bytes / MB).toFixed(1)} MB in ${(ms / 1000).toFixed(2)} s ` +
          `(${Math.round(rows / (ms / 1000))} rows/s); RSS ${(before / MB).toFixed(0)} MB before, peak ${(peak / MB).toFixed(0)} MB (+${((peak - before) / MB).toFixed(0)} MB)`,
      );
    }
    const loaded = await peakRss(async () => (await stack.prisma.registration.findMany({ where: { cohortId: stack.cohortId }, include: { items: true } })).length);
    console.log(
      `contrast, all rows at once (findMany with items): ${loaded.result} rows in ${(loaded.ms / 1000).toFixed(2)} s; ` +
        `RSS ${(loaded.before / MB).toFixed(0)} MB before, peak ${(loaded.peak / MB).toFixed(0)} MB (+${((loaded.peak - loaded.before) / MB).toFixed(0)} MB)`,
    );
  } finally {
    await stack.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
