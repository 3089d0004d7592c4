/**
 * 6. Invitations that bounce: one student in ten was imported with an address
 * that bounces for good (Resend's test address `bounced+<no>@resend.dev`). The
 * fake Resend reports every email to the gateway's email webhook, signed as
 * Resend signs. Every bounced student must be flagged (and nobody else), none
 * lost; staff then correct each address, and each corrected address must get
 * exactly one new invitation, the bounced one none after the first.
 */
import { awaitRecovery, emailsByAddress } from './audit';
import { makeCohort, type DrillCohort } from './cohort';
import { type DrillEnv, type DrillRow, SharedStack, applyAudit, applyLedger, importCohort, invitedCount, newRow, until } from './kit';
import { inPool } from '../test/kit/pool';
import { Api, Ledger } from './students';

/** Every tenth student of the cohort (rounded up): the share of invitations that bounce. */
const BOUNCE_EVERY = 10;

/** The cohort with one student in ten re-addressed to an address that bounces; answers which ones and their real address. */
function bouncingCohort(students: number): { cohort: DrillCohort; bounced: Map<string, { bouncing: string; real: string }> } {
  const cohort = makeCohort('bounce', students);
  const bounced = new Map<string, { bouncing: string; real: string }>();
  let csv = cohort.csv;
  const list = cohort.students.map((s, i) => {
    if (i % BOUNCE_EVERY !== 0) return s;
    const bouncing = `bounced+${s.applicationNo.toLowerCase()}@resend.dev`;
    bounced.set(s.applicationNo, { bouncing, real: s.email });
    csv = csv.replace(s.email, bouncing);
    return { ...s, email: bouncing };
  });
  return { cohort: { ...cohort, csv, students: list }, bounced };
}

export async function invitationBounceDrill(env: DrillEnv, shared: SharedStack): Promise<DrillRow> {
  const { cohort, bounced } = bouncingCohort(env.students);
  const row = newRow(`6. ${bounced.size} of ${env.students} invitations bounce; staff correct them`, env.students);
  const stack = await shared.get();
  env.fake.sendEventsTo(`${stack.gatewayUrl}/api/webhooks/email`, stack.secrets.RESEND_WEBHOOK_SECRET);
  const api = new Api(stack.gatewayUrl, new Ledger());
  const t0 = Date.now();
  await importCohort(api, shared.adminKey, cohort, true);
  await until('every invitation', env.recoveryTimeoutMs, () => invitedCount(env.fake, cohort) === env.students);

  // Every bounced student flagged, and no one else.
  const flaggedList = async (): Promise<string[]> => {
    const res = await api.send('GET', `/api/registrations?cohortId=${cohort.id}&emailProblem=true&pageSize=200`, { bearer: shared.adminKey });
    return res.status === 200 ? (res.body as { items: { applicationNo: string }[] }).items.map((i) => i.applicationNo) : [];
  };
  let flagged: string[] = [];
  await until('every bounce flagged', env.recoveryTimeoutMs, async () => (flagged = await flaggedList()).length >= bounced.size).catch(() => {});
  const missing = [...bounced.keys()].filter((no) => !flagged.includes(no));
  const wrong = flagged.filter((no) => !bounced.has(no));
  if (missing.length) row.problems.push(`${missing.length} bounced students not flagged: ${missing.slice(0, 5).join(', ')}`);
  if (wrong.length) row.problems.push(`${wrong.length} students flagged whose invitation did not bounce: ${wrong.slice(0, 5).join(', ')}`);
  row.notes.push(`${flagged.length} flagged in ${((Date.now() - t0) / 1000).toFixed(1)} s from the import`);

  // Staff correct each address (a well-behaved client: retries with the same Idempotency-Key).
  const corrected = Date.now();
  await inPool([...bounced.entries()], 8, async ([no, { real }]) => {
    const answers = await api.retrying('POST', `/api/registrations/${no}/personal-email`, {
      bearer: shared.adminKey,
      json: { personalEmail: real, reason: 'drill: the address on the application file' },
    });
    if (answers.at(-1)?.status !== 200) row.problems.push(`${no}: correction answered ${answers.at(-1)?.status}`);
  });
  const invitationsTo = (address: string) => emailsByAddress(env.fake).get(address)?.get('INVITATION') ?? 0;
  await until('one new invitation per corrected address', env.recoveryTimeoutMs, () => [...bounced.values()].every((b) => invitationsTo(b.real) >= 1)).catch(
    () => {},
  );
  await until('every flag cleared', env.recoveryTimeoutMs, async () => (await flaggedList()).length === 0).catch(() => {});
  // Settled: anything still to come would be a second invitation.
  await env.fake.eventsSettled();
  for (const [no, b] of bounced) {
    if (invitationsTo(b.real) !== 1) row.problems.push(`${no}: ${invitationsTo(b.real)} invitations to the corrected address`);
    if (invitationsTo(b.bouncing) !== 1) row.problems.push(`${no}: ${invitationsTo(b.bouncing)} invitations to the address that bounced`);
  }
  const stillFlagged = await flaggedList();
  if (stillFlagged.length) row.problems.push(`${stillFlagged.length} flags not cleared by the correction`);
  row.notes.push(`corrected and re-invited in ${((Date.now() - corrected) / 1000).toFixed(1)} s`);

  // The read model catches up with the last emails' projections.
  const { audit: a, seconds } = await awaitRecovery(
    { temporal: stack.temporal, databaseUrl: stack.databaseUrl, fake: env.fake, cohort },
    t0,
    env.recoveryTimeoutMs,
  );
  applyAudit(row, a, seconds);
  applyLedger(row, api.ledger, stack.logFile('gateway'));
  return row;
}
