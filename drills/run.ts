/**
 * `npm run drills`: the fault drills of issue 7 §6 on a stack of their own
 * (free ports, a scratch folder), then one table.
 *
 *   npm run drills                          every drill, 300 students each
 *   npm run drills -- --students 1000
 *   npm run drills -- --only worker-kill,resend-outage
 *   npm run drills -- --keep                keep the scratch folder (logs of every process)
 *
 * Exit code 0 when every row passes (0 lost, 0 duplicates, no manual step,
 * recovered, no 5xx, no other problem), 1 otherwise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FakeResend } from '../test/activities/fake-resend';
import { DRILLS, passed, SharedStack, type DrillEnv, type DrillName, type DrillRow } from './drills';

export interface RunOptions {
  students: number;
  only?: DrillName[];
  keep?: boolean;
  recoveryTimeoutMs?: number;
  log?: (line: string) => void;
}

export async function runDrills(opts: RunOptions): Promise<DrillRow[]> {
  const log = opts.log ?? ((l: string) => console.log(`[drills] ${l}`));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-drills-'));
  const fake = await new FakeResend({ apiKey: 're_drills_key' }).start();
  const env: DrillEnv = { students: opts.students, dir, fake, log, recoveryTimeoutMs: opts.recoveryTimeoutMs ?? 300_000 };
  const shared = new SharedStack(env);
  const rows: DrillRow[] = [];
  try {
    for (const name of opts.only ?? (Object.keys(DRILLS) as DrillName[])) {
      const t0 = Date.now();
      log(`${name}: ${opts.students} students…`);
      let row: DrillRow;
      try {
        row = await DRILLS[name](env, shared);
      } catch (e) {
        // A drill that cannot even run is a failed row, not a crash of the whole run.
        row = { drill: name, students: opts.students, lost: NaN, duplicates: NaN, manualSteps: NaN, recoverySeconds: null, serverErrors: NaN, problems: [`the drill broke: ${(e as Error).stack ?? e}`], notes: [] };
      }
      rows.push(row);
      log(`${name}: ${passed(row) ? 'PASS' : 'FAIL'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    await shared.stop();
    await fake.stop();
    if (opts.keep) log(`scratch folder kept: ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const num = (n: number) => (Number.isNaN(n) ? '?' : String(n));

export function formatTable(rows: DrillRow[]): string {
  const header = ['drill', 'students', 'lost registrations', 'duplicate emails', 'manual steps needed', 'time to recover', '5xx (not 503)', 'result'];
  const body = rows.map((r) => [
    r.drill,
    String(r.students),
    num(r.lost),
    num(r.duplicates),
    num(r.manualSteps),
    r.recoverySeconds === null ? 'never' : `${r.recoverySeconds.toFixed(1)} s`,
    num(r.serverErrors),
    passed(r) ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
  for (const r of rows) {
    if (!r.problems.length && !r.notes.length) continue;
    out.push('', `${r.drill}:`);
    for (const p of r.problems) out.push(`  PROBLEM ${p}`);
    for (const n of r.notes) out.push(`  note    ${n}`);
  }
  return out.join('\n');
}

if (require.main === module) {
  const { values } = parseArgs({
    options: { students: { type: 'string', default: '300' }, only: { type: 'string' }, keep: { type: 'boolean' }, 'recovery-timeout': { type: 'string' } },
  });
  const only = values.only?.split(',').map((s) => s.trim()) as DrillName[] | undefined;
  const unknown = only?.filter((n) => !(n in DRILLS));
  if (unknown?.length) {
    console.error(`unknown drill(s): ${unknown.join(', ')}; known: ${Object.keys(DRILLS).join(', ')}`);
    process.exit(2);
  }
  const students = Number(values.students);
  if (!Number.isInteger(students) || students < 4) {
    console.error('--students must be a whole number of at least 4');
    process.exit(2);
  }
  runDrills({ students, only, keep: values.keep, recoveryTimeoutMs: values['recovery-timeout'] ? Number(values['recovery-timeout']) * 1000 : undefined })
    .then((rows) => {
      console.log(`\n${formatTable(rows)}`);
      process.exit(rows.every(passed) ? 0 : 1);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
