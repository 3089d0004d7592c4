/**
 * `npm run drills`: the fault drills (docs/operations.md, "`npm run drills`") on a stack of their own
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
import { FakeResend } from '../test/kit/fake-resend';
import type { DrillStack } from './stack';
import { DRILLS, passed, SharedStack, type DrillEnv, type DrillName, type DrillRow } from './drills';

export interface RunOptions {
  students: number;
  only?: DrillName[];
  keep?: boolean;
  recoveryTimeoutMs?: number;
  outageMs?: DrillEnv['outageMs'];
  log?: (line: string) => void;
}

/** One scratch folder, one fake Resend and one shared stack for a series of drills. */
export class DrillSession {
  private env?: DrillEnv;
  private shared?: SharedStack;

  constructor(private readonly opts: RunOptions) {}

  async open(): Promise<this> {
    const log = this.opts.log ?? ((l: string) => console.log(`[drills] ${l}`));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-drills-'));
    const fake = await new FakeResend({ apiKey: 're_drills_key' }).start();
    this.env = {
      students: this.opts.students,
      dir,
      fake,
      log,
      recoveryTimeoutMs: this.opts.recoveryTimeoutMs ?? 300_000,
      outageMs: this.opts.outageMs ?? { postgres: 30_000, resend: 20_000 },
    };
    this.shared = new SharedStack(this.env);
    return this;
  }

  /** Runs one drill; a drill that cannot even run is a failed row, not a crash of the whole series. */
  async run(name: DrillName): Promise<DrillRow> {
    const env = this.env!;
    const t0 = Date.now();
    env.log(`${name}: ${env.students} students…`);
    let row: DrillRow;
    try {
      row = await DRILLS[name](env, this.shared!);
    } catch (e) {
      row = {
        drill: name,
        students: env.students,
        lost: NaN,
        duplicates: NaN,
        manualSteps: NaN,
        recoverySeconds: null,
        serverErrors: NaN,
        problems: [`the drill broke: ${(e as Error).stack ?? e}`],
        notes: [],
      };
    }
    env.log(`${name}: ${passed(row) ? 'PASS' : 'FAIL'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return row;
  }

  get fake(): FakeResend {
    return this.env!.fake;
  }

  /** The shared stack (started on first use) and its admin key, for checks of the harness itself. */
  async stack(): Promise<{ stack: DrillStack; adminKey: string }> {
    const stack = await this.shared!.get();
    return { stack, adminKey: this.shared!.adminKey };
  }

  async close(): Promise<void> {
    if (!this.env) return;
    await this.shared?.stop();
    await this.env.fake.stop();
    if (this.opts.keep) this.env.log(`scratch folder kept: ${this.env.dir}`);
    else fs.rmSync(this.env.dir, { recursive: true, force: true });
  }
}

export async function runDrills(opts: RunOptions): Promise<DrillRow[]> {
  const session = await new DrillSession(opts).open();
  const rows: DrillRow[] = [];
  try {
    for (const name of opts.only ?? (Object.keys(DRILLS) as DrillName[])) rows.push(await session.run(name));
  } finally {
    await session.close();
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
