/**
 * `npm run fuzz`: requests generated from the gateway's own /openapi.json by
 * schemathesis (PyPI, pinned, installed into .tools/ by scripts/setup-fuzz.js)
 * against a real gateway (the drills' stack: separate worker and gateway
 * processes, PostgreSQL, Temporal). It must find no response ≥ 500. Then the
 * protocol fuzz (drills/protocol-fuzz.ts): malformed HTTP from raw sockets, with
 * the gateway's pid watched.
 *
 *   npm run fuzz                       at least 10,000 requests, then 3,000 protocol cases
 *   npm run fuzz -- --requests 1000 --protocol 500
 *   npm run fuzz -- --requests 0       the protocol fuzz only
 *
 * Passes as each kind of caller: anonymous, a malformed session cookie, a
 * malformed bearer token, an admin and an officer API key, a signed-in student
 * as bearer and as the session cookie. The count and the
 * statuses come from schemathesis' HAR recording of every request it sent;
 * its verdicts (JSON report) add the responses that do not match their
 * documented schema (response_schema_conformance) and the operations whose
 * schema allows what the gateway refuses. Exit code 0 when no response was
 * ≥ 500 and every response matched its schema.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createPrisma } from '../src/db/prisma';
import { createStaffKey } from '../src/gateway/auth/staff-keys';
import { toolsDir } from '../src/paths';
import { FakeResend } from '../test/kit/fake-resend';
import { makeCohort } from './cohort';
import { DrillStack, waitFor } from './stack';
import { protocolRows, protocolViolations, runProtocolFuzz, type ProtocolFuzzReport } from './protocol-fuzz';
import { Api, Ledger, Student, invitationToken } from './students';

export interface FuzzOptions {
  requests: number;
  seed?: number;
  log?: (line: string) => void;
  keep?: boolean;
  /** Only these callers (default: all). */
  callers?: string[];
  /**
   * Schemathesis' coverage phase (boundary and invalid values of every parameter, about a
   * thousand requests per caller whatever the target): on by default, off for the short run in npm test.
   */
  coverage?: boolean;
  /** Protocol fuzz cases after the schema fuzz (0: none). */
  protocolRequests?: number;
  /** Only the operations whose path matches this regular expression (default: all). */
  paths?: string;
}

export interface ServerError {
  pass: string;
  method: string;
  url: string;
  status: number;
  request?: string;
  response?: string;
}

/** A response that is not what /openapi.json documents for it (schemathesis' response_schema_conformance). */
export interface ContractViolation {
  pass: string;
  title: string;
  operations: string[];
  count: number;
}

export interface FuzzReport {
  requests: number;
  byStatus: Record<string, number>;
  byPass: Record<string, number>;
  serverErrors: ServerError[];
  protocol?: ProtocolFuzzReport;
  contractViolations: ContractViolation[];
  /** Operations that refused every generated request their schema allows, with 400 or 422 (schemathesis' validation_mismatch warning). */
  schemaMismatches: string[];
}

interface Pass {
  name: string;
  headers: string[];
}

interface Callers {
  passes: Pass[];
  /** Application numbers that exist, so generated requests reach past the 404 of a made-up one. */
  applicationNos: string[];
  /** A signed-in student (bearer session). */
  student: { applicationNo: string; session: string };
  /** The admin API key. */
  adminKey: string;
}

/** The Python and the folder of the schemathesis that scripts/setup-fuzz.js installed. */
export function schemathesis(): { python: string; pythonPath: string } {
  const dir = path.join(toolsDir, 'schemathesis');
  try {
    const { python } = JSON.parse(fs.readFileSync(path.join(dir, '.installed.json'), 'utf8')) as { python: string };
    return { python, pythonPath: dir };
  } catch {
    throw new Error('schemathesis is not installed in .tools/schemathesis: run `node scripts/setup-fuzz.js` (npm install does)');
  }
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const log = opts.log ?? ((l: string) => console.log(`[fuzz] ${l}`));
  const st = schemathesis();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-fuzz-'));
  const fake = await new FakeResend({ apiKey: 're_fuzz_key' }).start();
  const stack = new DrillStack({
    dir: path.join(dir, 'stack'),
    resendBaseUrl: fake.baseUrl,
    resendApiKey: fake.apiKey,
    // Short slow-client timeouts, so the protocol fuzz's stalled bodies and headers are answered within its wait.
    // The upload rate limit per registration would answer most upload cases 429 before their body is read.
    env: { HTTP_HEADERS_TIMEOUT_SECONDS: '3', HTTP_BODY_IDLE_TIMEOUT_SECONDS: '3', REGISTRATION_ACTION_RATE_LIMIT_PER_MINUTE: '1000000' },
  });
  const report: FuzzReport = { requests: 0, byStatus: {}, byPass: {}, serverErrors: [], contractViolations: [], schemaMismatches: [] };
  try {
    await stack.start();
    const known = await callers(stack, fake);
    const passes = known.passes.filter((p) => !opts.callers || opts.callers.includes(p.name));
    const configFile = path.join(dir, 'schemathesis.toml');
    fs.writeFileSync(configFile, schemathesisConfig(known.applicationNos));
    log(`gateway ${stack.gatewayUrl}; passes: ${passes.map((p) => p.name).join(', ')}`);
    // Each round runs every pass; rounds repeat with new seeds until enough requests were sent.
    // About 35 operations: a first guess at examples per operation, corrected after each round.
    let examples = Math.max(3, Math.ceil(opts.requests / passes.length / 35));
    for (let round = 0; report.requests < opts.requests && round < 50; round++) {
      const before = report.requests;
      for (const pass of passes) {
        // Every caller gets at least one pass, however small the target.
        if (round > 0 && report.requests >= opts.requests) break;
        const t0 = Date.now();
        const har = path.join(dir, `${pass.name}-${round}.har`);
        const phases = opts.coverage === false ? 'examples,fuzzing' : 'examples,coverage,fuzzing';
        const json = path.join(dir, `${pass.name}-${round}.json`);
        await runSchemathesis(st, stack.gatewayUrl, pass, { examples, seed: (opts.seed ?? 1) + round, har, json, configFile, phases, paths: opts.paths }, dir);
        countHar(har, pass.name, report);
        readVerdicts(json, pass.name, report);
        log(
          `round ${round + 1} ${pass.name} (${examples} examples, ${((Date.now() - t0) / 1000).toFixed(0)} s): ${report.byPass[pass.name]} requests so far, ${report.requests} in all, ${report.serverErrors.length} ≥ 500`,
        );
      }
      // Aim the next round at what is still missing.
      const perRound = report.requests - before;
      if (perRound > 0) examples = Math.max(5, Math.ceil((examples * (opts.requests - report.requests)) / perRound) + 1);
    }
    if (opts.protocolRequests) {
      const t0 = Date.now();
      report.protocol = await runProtocolFuzz(
        { url: stack.gatewayUrl, pid: () => stack.pidOf('gateway'), student: known.student, adminKey: known.adminKey },
        { requests: opts.protocolRequests, seed: opts.seed },
      );
      log(`protocol fuzz: ${report.protocol.sent} cases in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    await stack.stop();
    await fake.stop();
    if (opts.keep) log(`scratch folder kept: ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

/** The callers: anonymous, admin and officer keys, a student as bearer and as cookie. */
async function callers(stack: DrillStack, fake: FakeResend): Promise<Callers> {
  const prisma = createPrisma(stack.databaseUrl);
  let admin: string;
  let officer: string;
  try {
    admin = (await createStaffKey(prisma, { name: 'fuzz.admin', role: 'admin' })).key;
    officer = (await createStaffKey(prisma, { name: 'fuzz.officer', role: 'officer' })).key;
  } finally {
    await prisma.$disconnect();
  }
  const api = new Api(stack.gatewayUrl, new Ledger());
  const cohort = makeCohort('fuzz', 4);
  const res = await api.send('POST', '/api/imports?wait=true', { bearer: admin, body: cohort.csv, headers: { 'content-type': 'text/csv' } });
  if (res.status !== 200) throw new Error(`fuzz: the import failed: ${res.status} ${JSON.stringify(res.body)}`);
  const [first, second] = cohort.students.map((s) => new Student(s.applicationNo, s.email));
  await waitFor('the invitations', 120_000, async () => {
    if (!invitationToken(fake, first!.email) || !invitationToken(fake, second!.email)) throw new Error('not yet');
  });
  if (!(await first!.signIn(api, fake)) || !(await second!.signIn(api, fake))) throw new Error('fuzz: a student could not sign in');
  const passes = [
    { name: 'anonymous', headers: [] },
    // What a broken client or an attacker sends: credentials that are not even well-formed. One at a time,
    // since a bearer token is read before the cookie and would hide what the cookie does.
    { name: 'garbage-cookie', headers: ['Cookie: progreg_session=%; other=%E0%A4%A'] },
    { name: 'garbage-bearer', headers: ['Authorization: Bearer pgk_%00%'] },
    { name: 'admin', headers: [`Authorization: Bearer ${admin}`] },
    { name: 'officer', headers: [`Authorization: Bearer ${officer}`] },
    { name: 'student-bearer', headers: [`Authorization: Bearer ${first!.session}`] },
    { name: 'student-cookie', headers: [`Cookie: progreg_session=${second!.session}`] },
  ];
  return {
    passes,
    applicationNos: cohort.students.map((s) => s.applicationNo),
    student: { applicationNo: first!.applicationNo, session: first!.session! },
    adminKey: admin,
  };
}

/**
 * Path parameters drawn, most of the time, from values that exist (the students of the fuzz
 * cohort, the checklist's item keys): otherwise nearly every generated request stops at a 404
 * and the handlers behind it are never fuzzed. The rest of the time schemathesis makes them up.
 */
function schemathesisConfig(applicationNos: string[]): string {
  const list = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
  return [
    '[dictionaries.students]',
    `values = ${list(applicationNos)}`,
    '[dictionaries.items]',
    `values = ${list(['ID_DOCUMENT', 'PHOTO', 'VISA', 'FORM', 'ACTIVATION', 'TUITION_RECEIPT', 'SUPPLEMENTARY:FINAL_TRANSCRIPT'])}`,
    '[parameters]',
    '"path.applicationNo" = { dictionary = "students", probability = 0.7 }',
    '"path.itemKey" = { dictionary = "items", probability = 0.7 }',
    '',
  ].join('\n');
}

function runSchemathesis(
  st: { python: string; pythonPath: string },
  baseUrl: string,
  pass: Pass,
  o: { examples: number; seed: number; har: string; json: string; configFile: string; phases: string; paths?: string },
  cwd: string,
): Promise<void> {
  const args = [
    '-m',
    'schemathesis.cli',
    '--config-file',
    o.configFile,
    'run',
    `${baseUrl}/openapi.json`,
    '--url',
    baseUrl,
    '--checks',
    'not_a_server_error,response_schema_conformance',
    '--max-examples',
    String(o.examples),
    '--seed',
    String(o.seed),
    '--no-shrink',
    '--workers',
    '4',
    '--request-timeout',
    '30',
    '--phases',
    o.phases,
    '--report',
    'har,json',
    '--report-har-path',
    o.har,
    '--report-json-path',
    o.json,
    '--suppress-health-check',
    'all',
    ...(o.paths ? ['--include-path-regex', o.paths] : []),
    ...pass.headers.flatMap((h) => ['-H', h]),
  ];
  return new Promise((resolve, reject) => {
    let out = '';
    const child = spawn(st.python, args, { cwd, env: { ...process.env, PYTHONPATH: st.pythonPath, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => (out = (out + c.toString('utf8')).slice(-8000)));
    child.stderr.on('data', (c: Buffer) => (out = (out + c.toString('utf8')).slice(-8000)));
    child.once('error', reject);
    // Exit 1 only says schemathesis found failures; the HAR is read for the truth. Without a HAR it did not run.
    child.once('exit', () => (fs.existsSync(o.har) ? resolve() : reject(new Error(`schemathesis wrote no report:\n${out}`))));
  });
}

interface HarEntry {
  request: { method: string; url: string; postData?: { text?: string } };
  response: { status: number; content?: { text?: string } };
}

function countHar(file: string, pass: string, report: FuzzReport): void {
  const entries: HarEntry[] = JSON.parse(fs.readFileSync(file, 'utf8')).log.entries;
  for (const e of entries) {
    report.requests++;
    report.byPass[pass] = (report.byPass[pass] ?? 0) + 1;
    const status = e.response.status;
    report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
    if (status >= 500) {
      report.serverErrors.push({
        pass,
        method: e.request.method,
        url: e.request.url,
        status,
        request: e.request.postData?.text?.slice(0, 300),
        response: e.response.content?.text?.slice(0, 300),
      });
    }
  }
}

interface JsonReport {
  failures?: Array<{ type?: string; title?: string; count?: number; operations?: string[] }>;
  warnings?: { validation_mismatch?: string[] };
}

/** Schemathesis' own verdicts beyond the statuses: responses unlike their documented schema, and schemas the gateway contradicts. */
function readVerdicts(file: string, pass: string, report: FuzzReport): void {
  if (!fs.existsSync(file)) return;
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as JsonReport;
  for (const f of json.failures ?? []) {
    // A server error is counted from the HAR (with its request); every other failure is a contract violation.
    if (f.type === 'not_a_server_error' || /server error/i.test(f.title ?? '')) continue;
    report.contractViolations.push({ pass, title: f.title ?? f.type ?? 'failure', operations: f.operations ?? [], count: f.count ?? 1 });
  }
  for (const op of json.warnings?.validation_mismatch ?? []) if (!report.schemaMismatches.includes(op)) report.schemaMismatches.push(op);
}

/** One line per distinct route and status, with an example request. */
export function summarizeErrors(errors: ServerError[]): string[] {
  const seen = new Map<string, { n: number; e: ServerError }>();
  for (const e of errors) {
    const route = new URL(e.url).pathname.replace(/\/(?!api\b)[^/]*[0-9%][^/]*(?=\/|$)/g, '/{…}');
    const key = `${e.method} ${route} → ${e.status}`;
    const s = seen.get(key) ?? { n: 0, e };
    s.n++;
    seen.set(key, s);
  }
  return [...seen.entries()].map(
    ([key, { n, e }]) => `${key} ×${n} [${e.pass}] e.g. ${e.url}${e.request ? ` body ${JSON.stringify(e.request)}` : ''} → ${e.response ?? ''}`,
  );
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '10000' },
      protocol: { type: 'string', default: '3000' },
      seed: { type: 'string' },
      keep: { type: 'boolean' },
      callers: { type: 'string' },
      paths: { type: 'string' },
    },
  });
  runFuzz({
    requests: Number(values.requests),
    protocolRequests: Number(values.protocol),
    seed: values.seed ? Number(values.seed) : undefined,
    keep: values.keep,
    callers: values.callers?.split(','),
    paths: values.paths,
  })
    .then((r) => {
      console.log(`\n${r.requests} requests generated from /openapi.json; responses ≥ 500: ${r.serverErrors.length}`);
      console.log(
        `by caller: ${Object.entries(r.byPass)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
      console.log(
        `by status: ${Object.entries(r.byStatus)
          .map(([k, v]) => `${k}×${v}`)
          .join(' ')}`,
      );
      for (const line of summarizeErrors(r.serverErrors)) console.log(`  ${line}`);
      const violations = r.protocol ? protocolViolations(r.protocol) : [];
      if (r.protocol) for (const line of protocolRows(r.protocol)) console.log(line);
      for (const v of r.contractViolations) console.log(`  contract [${v.pass}] ${v.title} ×${v.count}: ${v.operations.join(', ')}`);
      if (r.schemaMismatches.length) console.log(`schemas the gateway refuses most of (400/422 to every valid case): ${r.schemaMismatches.join(', ')}`);
      process.exit(r.serverErrors.length || violations.length || r.contractViolations.length ? 1 : 0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
