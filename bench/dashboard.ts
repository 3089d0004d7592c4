/**
 * Cohort dashboard latency at 50,000 registrations: each chart's endpoint
 * through the real gateway (HTTP, authentication, validation, the PostgreSQL
 * aggregate, JSON), against a synthetic read model of one 50k cohort plus a
 * 10k cohort beside it. Printed beside a baseline measured in the same run
 * through the same gateway (`GET /api/staff/me`: authentication, one
 * primary-key lookup, a tiny JSON answer), so the ratio says what the
 * aggregate itself costs on this machine. Target: under 200 ms each.
 *
 *   npm run bench:dashboard -- --count 50000 --runs 20
 */
import { parseArgs } from 'node:util';
import { benchStack } from './support';

const NOW = new Date();

async function timeIt(run: () => Promise<void>, runs: number): Promise<{ median: number; p95: number }> {
  for (let i = 0; i < 3; i++) await run(); // warm-up: connections, plan cache, holidays
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await run();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)]!, p95: ms[Math.min(ms.length - 1, Math.ceil(ms.length * 0.95) - 1)]! };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { count: { type: 'string', default: '50000' }, runs: { type: 'string', default: '20' } } });
  const runs = Number(values.runs);
  const stack = await benchStack({ count: Number(values.count), now: NOW });
  try {
    const get = (path: string) => async () => {
      const res = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${stack.key}` } });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    const c = encodeURIComponent(stack.cohortId);
    const baseline = await timeIt(get('/api/staff/me'), runs);
    const sql = await timeIt(async () => void (await stack.prisma.$queryRaw`SELECT 1`), runs);
    const endpoints = [
      `/api/dashboard/cohorts`,
      `/api/dashboard/statuses?cohortId=${c}`,
      `/api/dashboard/categories?cohortId=${c}`,
      `/api/dashboard/burndown?cohortId=${c}`,
      `/api/dashboard/outstanding?cohortId=${c}`,
      `/api/dashboard/review-backlog?cohortId=${c}`,
      `/api/dashboard/late-events?cohortId=${c}`,
      `/api/dashboard/statuses?cohortId=${c}&studyLevel=UG`,
      `/api/dashboard/review-backlog?cohortId=${c}&programCode=BSC-COMP`,
    ];
    const pad = (s: string, n: number) => s.padEnd(n);
    const fmt = (n: number) => n.toFixed(1).padStart(7);
    console.log(`\n${runs} runs each after 3 warm-ups; median and p95 in ms; ratio = median / baseline median`);
    console.log(`${pad('endpoint', 72)}  median      p95   ratio  < 200 ms`);
    console.log(`${pad('baseline: GET /api/staff/me (auth + one PK lookup)', 72)} ${fmt(baseline.median)}  ${fmt(baseline.p95)}    1.0`);
    console.log(
      `${pad('reference: SELECT 1 through Prisma, no HTTP', 72)} ${fmt(sql.median)}  ${fmt(sql.p95)}  ${(sql.median / baseline.median).toFixed(1).padStart(5)}`,
    );
    let failed = 0;
    for (const path of endpoints) {
      const t = await timeIt(get(path), runs);
      const ok = t.p95 < 200;
      if (!ok) failed++;
      console.log(
        `${pad(path.replace(c, '<50k cohort>'), 72)} ${fmt(t.median)}  ${fmt(t.p95)}  ${(t.median / baseline.median).toFixed(1).padStart(5)}  ${ok ? 'yes' : 'NO'}`,
      );
    }
    console.log(failed ? `\n${failed} endpoint(s) at or above 200 ms (p95)` : '\nevery endpoint under 200 ms (p95)');
  } finally {
    await stack.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
