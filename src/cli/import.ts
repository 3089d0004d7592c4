/**
 * Imports a cohort from the command line, with a progress bar and a summary:
 *
 *   npm run import -- data/cohort-2027.csv
 *   npm run import -- students.json --json
 *   npm run import -- data/cohort-2027.csv --dry-run
 *
 * `--dry-run` checks the file and prints what its import would do (new
 * registrations, students already registered, refused rows with their reasons,
 * invitation emails), the same report as the staff page's *Check file*, and
 * starts nothing: it needs the database, not Temporal.
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
import {
  beginImport,
  ImportFileTypeError,
  ImportFormatError,
  UnknownTuitionFees,
  previewImport,
  sniffImportFile,
  watchImport,
  type ImportInput,
  type ImportPreview,
  type ImportReport,
  type RejectedRow,
} from '../import';
import { CohortPolicyConflict } from '../import/cohort-policy';
import { cliConfig, cliPrisma, cliTemporal, fail } from './connect';

const USAGE = 'Usage: npm run import -- <cohort.csv|cohort.json> [--dry-run] [--actor <name>] [--json]';
const SHOW_REJECTED = 20;

async function readInput(file: string): Promise<ImportInput> {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    fail(`Cannot read ${file}: ${(e as Error).message}`);
  }
  let sniffed;
  try {
    sniffed = await sniffImportFile(bytes);
  } catch (e) {
    if (e instanceof ImportFileTypeError) fail(`${file}: ${e.message}`);
    throw e;
  }
  if (sniffed.format === 'csv') return { format: 'csv', text: sniffed.text };
  let value: unknown;
  try {
    value = JSON.parse(sniffed.text);
  } catch (e) {
    fail(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const students = Array.isArray(value) ? value : (value as { students?: unknown[] }).students;
  if (!Array.isArray(students)) fail(`${file}: expected a JSON array of students or { "students": [...] }`);
  return { format: 'json', students, policy: Array.isArray(value) ? undefined : (value as { policy?: object }).policy };
}

const refusedLines = (rows: RejectedRow[], title: string) =>
  rows.length
    ? [
        '',
        `${title}${rows.length > SHOW_REJECTED ? ` (first ${SHOW_REJECTED} of ${rows.length})` : ''}:`,
        ...rows.slice(0, SHOW_REJECTED).map((row) => `  line ${row.line}${row.applicationNo ? ` (${row.applicationNo})` : ''}: ${row.reasons.join('; ')}`),
      ]
    : [];

function previewSummary(file: string, p: ImportPreview): string {
  return [
    `Check of ${file}: nothing has been started`,
    `  rows ${p.total} · new registrations ${p.newRegistrations} · already registered ${p.alreadyRegistered.length} · refused ${p.refused.length}`,
    `  invitation emails the import would send: ${p.invitationEmails}`,
    `  cohorts ${p.cohortIds.join(', ') || '—'}`,
    ...refusedLines(p.refused, 'Rows the import would refuse'),
    ...(p.refusedWhole
      ? ['', `The import would be refused whole: ${p.refusedWhole.reason}`, ...refusedLines(p.refusedWhole.rows, 'Rows to correct').slice(2)]
      : []),
  ].join('\n');
}

/** --dry-run: the preview, from the database alone. */
async function dryRun(file: string, input: ImportInput, json: boolean): Promise<void> {
  const prisma = cliPrisma(cliConfig());
  try {
    const preview = await previewImport(prisma, input);
    console.log(json ? JSON.stringify(preview, null, 2) : previewSummary(path.basename(file), preview));
    // As the import itself would end: 2 when it would be refused whole.
    if (preview.refusedWhole) process.exitCode = 2;
  } catch (e) {
    if (e instanceof ImportFormatError || e instanceof CohortPolicyConflict) fail(`${file}: ${e.message}`);
    throw e;
  } finally {
    await prisma.$disconnect();
  }
}

function summary(r: ImportReport, seconds: number): string {
  const lines = [
    `Import ${r.id}: ${r.status}`,
    `  rows ${r.total} · valid ${r.valid} · rejected ${r.rejected.length}`,
    `  started ${r.started} · already registered ${r.existing} · failed ${r.failed}`,
    `  cohorts ${r.cohortIds.join(', ') || '—'} · ${seconds.toFixed(1)} s${r.started ? ` (${Math.round(r.started / seconds)} starts/s)` : ''}`,
  ];
  if (r.duplicateOf) lines.push(`  this file was imported before (import ${r.duplicateOf}); nothing new was started for rows already registered`);
  lines.push(...refusedLines(r.rejected, 'Rejected rows'));
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
      options: { actor: { type: 'string' }, json: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length !== 1) fail(USAGE, values.help ? 0 : 2);
  const file = positionals[0]!;
  const input = await readInput(file);
  if (values['dry-run']) return dryRun(file, input, values.json ?? false);
  const config = cliConfig();
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
