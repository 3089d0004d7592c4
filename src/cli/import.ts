/**
 * Imports a cohort from the command line, with a progress bar and a summary:
 *
 *   npm run import -- data/cohort-2027.csv
 *   npm run import -- students.json --json
 *
 * The same import as POST /api/imports (validated row by row, idempotent),
 * by the cohort import workflow in the workers of the configured (or embedded)
 * stack; this process starts it and follows its progress. Exit code
 * 0 when every valid row is started or already running, 1 when some starts
 * failed (run it again to retry them), 2 for a file it cannot read or an
 * import refused whole (a student who owes the fee without a known fee).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { beginImport, ImportFormatError, UnknownTuitionFees, watchImport, type ImportInput, type ImportReport } from '../import';
import { cliConfig, cliPrisma, cliTemporal, fail } from './connect';

const USAGE = 'Usage: npm run import -- <cohort.csv|cohort.json> [--actor <name>] [--json]';
const SHOW_REJECTED = 20;

function readInput(file: string): ImportInput {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    fail(`Cannot read ${file}: ${(e as Error).message}`);
  }
  if (!/\.json$/i.test(file)) return { format: 'csv', text };
  const value = JSON.parse(text) as unknown;
  const students = Array.isArray(value) ? value : (value as { students?: unknown[] }).students;
  if (!Array.isArray(students)) fail(`${file}: expected a JSON array of students or { "students": [...] }`);
  return { format: 'json', students, policy: Array.isArray(value) ? undefined : (value as { policy?: object }).policy };
}

function summary(r: ImportReport, seconds: number): string {
  const lines = [
    `Import ${r.id}: ${r.status}`,
    `  rows ${r.total} · valid ${r.valid} · rejected ${r.rejected.length}`,
    `  started ${r.started} · already registered ${r.existing} · failed ${r.failed}`,
    `  cohorts ${r.cohortIds.join(', ') || '—'} · ${seconds.toFixed(1)} s${r.started ? ` (${Math.round(r.started / seconds)} starts/s)` : ''}`,
  ];
  if (r.duplicateOf) lines.push(`  this file was imported before (import ${r.duplicateOf}); nothing new was started for rows already registered`);
  if (r.rejected.length) {
    lines.push('', `Rejected rows${r.rejected.length > SHOW_REJECTED ? ` (first ${SHOW_REJECTED} of ${r.rejected.length})` : ''}:`);
    for (const row of r.rejected.slice(0, SHOW_REJECTED))
      lines.push(`  line ${row.line}${row.applicationNo ? ` (${row.applicationNo})` : ''}: ${row.reasons.join('; ')}`);
  }
  if (r.failures.length) {
    lines.push('', 'Failed starts (import the file again to retry):');
    for (const f of r.failures.slice(0, SHOW_REJECTED)) lines.push(`  ${f.applicationNo}: ${f.error}`);
  }
  return lines.join('\n');
}

/** The refusal, one line per row, as the rejected rows are listed. */
function refusedForFees(file: string, e: UnknownTuitionFees): string {
  const lines = [`${file}: import refused, nothing was started. ${e.message}`];
  for (const row of e.rows) lines.push(`  line ${row.line} (${row.applicationNo}): ${row.field}: ${row.message}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { actor: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length !== 1) fail(USAGE, values.help ? 0 : 2);
  const file = positionals[0]!;
  const config = cliConfig();
  const input = readInput(file);
  const prisma = cliPrisma(config);
  const temporal = await cliTemporal(config);
  const bar = new cliProgress.SingleBar(
    {
      format: 'Starting registrations [{bar}] {percentage}% | {value}/{total} | started {started} · existing {existing} · failed {failed}',
      hideCursor: true,
      noTTYOutput: !values.json,
      notTTYSchedule: 2000,
    },
    cliProgress.Presets.shades_classic,
  );
  const t0 = Date.now();
  try {
    // The import runs in the workers (a Temporal workflow); this follows its progress. Ctrl-C here does not stop it.
    const { job } = await beginImport({ prisma, temporal, config }, input, {
      actor: `cli:${values.actor ?? os.userInfo().username}`,
      source: path.basename(file),
    });
    if (!values.json) bar.start(job.valid, 0, { started: 0, existing: 0, failed: 0 });
    const done = watchImport(prisma, job.id, (p) =>
      bar.update(p.started + p.existing + p.failed, { started: p.started, existing: p.existing, failed: p.failed }),
    );
    const report = await done;
    bar.stop();
    const seconds = (Date.now() - t0) / 1000;
    console.log(values.json ? JSON.stringify(report, null, 2) : summary(report, seconds));
    process.exitCode = report.failed ? 1 : 0;
  } catch (e) {
    bar.stop();
    if (e instanceof ImportFormatError) fail(`${file}: ${e.message}`);
    if (e instanceof UnknownTuitionFees) fail(refusedForFees(file, e));
    throw e;
  } finally {
    await prisma.$disconnect();
    await temporal.connection.close();
  }
}

main().catch((e) => fail(`import failed: ${(e as Error).message}`, 1));
