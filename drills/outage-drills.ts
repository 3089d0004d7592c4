/** The drills that take a dependency away: PostgreSQL frozen or stopped, Resend refusing mail. */
import { setTimeout as delay } from 'node:timers/promises';
import { awaitRecovery, emailsByAddress } from './audit';
import { makeCohort } from './cohort';
import { inPool } from '../test/kit/pool';
import { Api, Ledger, Student } from './students';
import { type DrillRow, type DrillEnv, SharedStack, newRow, applyAudit, applyLedger, importCohort, invitedCount, until, auditInput, signInAll } from './kit';

export const postgresFreezeDrill = (env: DrillEnv, shared: SharedStack) => postgresOutageDrill(env, shared, 'frozen', env.outageMs.postgres);
export const postgresStopDrill = (env: DrillEnv, shared: SharedStack) => postgresOutageDrill(env, shared, 'stopped', env.outageMs.postgres);

/**
 * frozen: SIGSTOP of the server and its backends (connections hang, as with a stuck host or network);
 * stopped: a fast shutdown and a start on the same data (connections are refused, as in a failover).
 */
async function postgresOutageDrill(env: DrillEnv, shared: SharedStack, mode: 'frozen' | 'stopped', freezeMs: number): Promise<DrillRow> {
  const row = newRow(`4${mode === 'frozen' ? 'a' : 'b'}. PostgreSQL ${mode} ${freezeMs / 1000} s`, env.students);
  const stack = await shared.get();
  const api = new Api(stack.gatewayUrl, new Ledger());
  const cohort = makeCohort('pgfreeze', env.students);
  await importCohort(api, shared.adminKey, cohort, true);
  await until('every invitation', env.recoveryTimeoutMs, () => invitedCount(env.fake, cohort) === env.students);
  const students = cohort.students.map((s) => new Student(s.applicationNo, s.email));
  await signInAll(api, env, students);
  // The read model must have every registration before the freeze, so catching up afterwards is measurable.
  await awaitRecovery(auditInput(stack, env, cohort), Date.now(), env.recoveryTimeoutMs);

  // Readiness as a load balancer sees it: a probe that gets no answer within 5 s counts as not ready.
  const readyz: Array<{ start: number; end: number; status: number | 'no answer' }> = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const start = Date.now();
      try {
        const res = await fetch(`${stack.gatewayUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
        readyz.push({ start, end: Date.now(), status: res.status });
      } catch {
        readyz.push({ start, end: Date.now(), status: 'no answer' });
      }
      await delay(500);
    }
  })();

  const fault = Date.now();
  if (mode === 'frozen') stack.signalPostgres('SIGSTOP');
  else await stack.stopPostgres();
  let thawedAt = 0;
  // The outage ends when PostgreSQL is told to go on: a started server accepts connections before
  // startPostgres() returns, so a probe answered 200 in between is right, not a problem.
  let outageEnd = 0;
  const thaw = delay(freezeMs - (Date.now() - fault)).then(async () => {
    outageEnd = Date.now();
    if (mode === 'frozen') stack.signalPostgres('SIGCONT');
    else await stack.startPostgres();
    thawedAt = Date.now();
  });
  // Every student acts during the outage, the way the portal and the identity provider would: retrying 503s.
  const acting = inPool(students, Math.min(64, students.length), async (s) => {
    await s.activate(api, stack.secrets.WEBHOOK_SECRET, 240_000);
    await s.submitForm(api, 240_000);
    await s.upload(api, 240_000);
  });
  // And staff look at lists and a student.
  const staff = (async () => {
    for (let i = 0; i < 4; i++) {
      await api.send('GET', '/api/registrations?pageSize=5', { bearer: shared.adminKey }).catch(() => {});
      await api.send('GET', '/api/review-queue?pageSize=5', { bearer: shared.adminKey }).catch(() => {});
      await api.send('GET', `/api/registrations/${students[i % students.length]!.applicationNo}`, { bearer: shared.adminKey }).catch(() => {});
      await delay(freezeMs / 4);
    }
  })();
  await Promise.all([thaw, acting, staff]);
  const { audit: a, seconds } = await awaitRecovery(auditInput(stack, env, cohort, { students }), thawedAt, env.recoveryTimeoutMs);
  // Readiness back to 200 is part of recovering.
  await until('/readyz 200', 60_000, () => readyz.at(-1)?.status === 200 && readyz.at(-1)!.start > thawedAt).catch(() => {});
  probing = false;
  await probe;
  applyAudit(row, a, seconds);
  // Probes asked after the outage began (and a probe's own 3 s for the database) and answered before it ended.
  const during = readyz.filter((r) => r.start > fault + 3_500 && r.end < outageEnd);
  const readyDuring = during.filter((r) => r.status === 200);
  if (readyDuring.length) row.problems.push(`/readyz answered 200 ${readyDuring.length} time(s) while PostgreSQL was ${mode}`);
  if (!readyz.some((r) => r.start >= fault && r.start < outageEnd && r.status !== 200))
    row.problems.push(`/readyz never said not ready while PostgreSQL was ${mode}`);
  row.notes.push(`/readyz during the outage: ${during.map((r) => r.status).join(' ') || 'no probe completed inside it'}`);
  const back = readyz.find((r) => r.start > thawedAt && r.status === 200);
  if (!back) row.problems.push('/readyz did not return to 200 after PostgreSQL was back');
  else row.notes.push(`/readyz 200 again ${((back.end - thawedAt) / 1000).toFixed(1)} s after PostgreSQL was back`);
  const unfinished = students.filter((s) => s.unfinished.size).length;
  if (unfinished) row.problems.push(`${unfinished} students could not finish their actions within 4 minutes`);
  applyLedger(row, api.ledger, stack.logFile('gateway'));
  return row;
}

// ---------------------------------------------------------------------------
// 5. Resend answers 429 and 500 for a while
// ---------------------------------------------------------------------------
export async function resendOutageDrill(env: DrillEnv, shared: SharedStack): Promise<DrillRow> {
  const outageMs = env.outageMs.resend;
  const row = newRow(`5. Resend 429/500 for ${outageMs / 1000} s (twice)`, env.students);
  const stack = await shared.get();
  const api = new Api(stack.gatewayUrl, new Ledger());
  const cohort = makeCohort('resend', env.students);
  const before = env.fake.requests.length;

  // Invitations into the first outage.
  env.fake.startOutage();
  const fault = Date.now();
  await importCohort(api, shared.adminKey, cohort, true);
  await delay(Math.max(0, outageMs - (Date.now() - fault)));
  env.fake.endOutage();
  await until('every invitation', env.recoveryTimeoutMs, () => invitedCount(env.fake, cohort) === env.students);

  // Half the students decline during a second outage: their withdrawal emails meet it.
  const students = cohort.students.map((s) => new Student(s.applicationNo, s.email));
  await signInAll(api, env, students);
  const decliners = new Set(students.filter((_, i) => i % 2 === 0).map((s) => s.applicationNo));
  env.fake.startOutage();
  const second = Date.now();
  await inPool(
    students.filter((s) => decliners.has(s.applicationNo)),
    16,
    (s) => s.decline(api, 120_000),
  );
  await delay(Math.max(0, outageMs - (Date.now() - second)));
  env.fake.endOutage();
  const refused = env.fake.requests.slice(before).filter((r) => r.status === 429 || r.status === 500).length;
  row.notes.push(`${refused} sends answered 429/500 (a third of the 500s after the email was sent)`);

  const { audit: a, seconds } = await awaitRecovery(
    auditInput(stack, env, cohort, { students, expectEmails: (no) => (decliners.has(no) ? ['WITHDRAWAL'] : []) }),
    fault,
    env.recoveryTimeoutMs,
  );
  applyAudit(row, a, seconds);
  // Nobody who stayed got a withdrawal.
  const by = emailsByAddress(env.fake);
  const wrong = students.filter((s) => !decliners.has(s.applicationNo) && by.get(s.email)?.get('WITHDRAWAL'));
  if (wrong.length) row.problems.push(`${wrong.length} students who did not decline got a withdrawal email`);
  applyLedger(row, api.ledger, stack.logFile('gateway'));
  return row;
}
