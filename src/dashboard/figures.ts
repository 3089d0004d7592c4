/**
 * The cohort dashboard's figures: PostgreSQL aggregates over the read model
 * (the workflows' projection), one function per chart. Each returns what its
 * chart draws and nothing else, so the gateway route is a thin shell and the
 * benchmark can time exactly what the browser waits for.
 *
 * Every function takes the same filter (cohort, program, study level) and the
 * instant it is "now", so tests and the benchmark can fix the clock.
 *
 * Late events (payments or activations after an outcome) are counted from the
 * LateEvent rows the projection writes.
 */
import { Prisma } from '@prisma/client';
import { OPEN_STATUSES_SQL } from '../db/open-statuses';
import type { PrismaClient } from '../db/prisma';
import { REGISTRATION_STATUSES, type RegistrationStatus, type StudentRecord } from '../../workflows/registration/api';
import { LATE_EVENT_KINDS, type LateEventKind } from '../../workflows/registration/types';
import { studentCategory } from '../../workflows/registration/checklist';
import { hkDate, hkStartOf, workingDaysBetween } from '../../workflows/registration/working-days';
import { OPEN_STATUSES, REPORT_ITEM_ORDER } from '../../workflows/registration/vocabulary';

export interface DashboardFilter {
  cohortId?: string;
  programCode?: string;
  studyLevel?: string;
}

/**
 * Registrations the filter selects, as a WHERE clause over `"Registration" r`, or over
 * `"ChecklistItem" i` or `"OutstandingItemCount" c`, which carry copies of the same columns
 * (written by the projection), so the item figures need no join with the registrations.
 */
function where(f: DashboardFilter, alias: 'r' | 'i' | 'c' = 'r'): Prisma.Sql {
  const a = Prisma.raw(alias);
  const parts: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (f.cohortId) parts.push(Prisma.sql`${a}."cohortId" = ${f.cohortId}`);
  if (f.programCode) parts.push(Prisma.sql`${a}."programCode" = ${f.programCode}`);
  if (f.studyLevel) parts.push(Prisma.sql`${a}."studyLevel" = ${f.studyLevel}`);
  return Prisma.join(parts, ' AND ');
}

/**
 * The Hong Kong calendar day of a timestamp column, in SQL. Prisma's columns
 * are `timestamp` holding UTC, and Hong Kong is UTC+8 all year (no daylight
 * saving), so adding eight hours and truncating is exact, and cheaper per row
 * than time-zone conversion. Group by it, then `dayText` the few groups.
 */
const hkDay = (column: Prisma.Sql) => Prisma.sql`date_trunc('day', ${column} + interval '8 hours')`;
/** `YYYY-MM-DD` text of an hkDay (a `date` would come back as a Date in the client's time zone). */
const dayText = (column: Prisma.Sql) => Prisma.sql`to_char(${column}, 'YYYY-MM-DD')`;

const DAY_MS = 24 * 3600_000;
const addDays = (date: string, n: number) => hkDate(hkStartOf(date) + n * DAY_MS + 12 * 3600_000);

// ---------------------------------------------------------------------------
// Cohorts (the dashboard's chooser)
// ---------------------------------------------------------------------------

export interface CohortSummary {
  id: string;
  name: string | null;
  registrationDeadline: string;
  paymentDeadline: string | null;
  registrations: number;
}

export async function cohorts(prisma: PrismaClient): Promise<CohortSummary[]> {
  const rows = await prisma.$queryRaw<
    Array<{ id: string; name: string | null; registrationDeadline: Date; paymentDeadline: Date | null; registrations: bigint }>
  >`
    SELECT c.id, c.name, c."registrationDeadline", c."paymentDeadline",
           (SELECT count(*) FROM "Registration" r WHERE r."cohortId" = c.id) AS registrations
    FROM "Cohort" c ORDER BY c."registrationDeadline" DESC, c.id`;
  return rows.map((c) => ({
    id: c.id,
    name: c.name,
    registrationDeadline: c.registrationDeadline.toISOString(),
    paymentDeadline: c.paymentDeadline?.toISOString() ?? null,
    registrations: Number(c.registrations),
  }));
}

// ---------------------------------------------------------------------------
// Registrations by status, and by student category
// ---------------------------------------------------------------------------

export async function byStatus(
  prisma: PrismaClient,
  f: DashboardFilter,
): Promise<{ total: number; statuses: Array<{ status: RegistrationStatus; count: number }> }> {
  const rows = await prisma.$queryRaw<Array<{ status: string; n: bigint }>>`
    SELECT r.status, count(*) AS n FROM "Registration" r WHERE ${where(f)} GROUP BY r.status`;
  const counts = new Map(rows.map((r) => [r.status, Number(r.n)]));
  // Every status appears, zeros included, in the process's order, so the chart's bars never move.
  const statuses = REGISTRATION_STATUSES.map((status) => ({ status, count: counts.get(status) ?? 0 }));
  return { total: statuses.reduce((n, s) => n + s.count, 0), statuses };
}

export interface CategoryCount {
  /** As the StudentCategory search attribute spells it, e.g. `UG-NON_JUPAS-LOCAL`. */
  category: string;
  studyLevel: string;
  admissionRoute: string | null;
  residency: string;
  count: number;
}

export async function byCategory(prisma: PrismaClient, f: DashboardFilter): Promise<{ total: number; categories: CategoryCount[] }> {
  const rows = await prisma.$queryRaw<Array<{ studyLevel: string; admissionRoute: string | null; residency: string; n: bigint }>>`
    SELECT r."studyLevel", r."admissionRoute", r.residency, count(*) AS n
    FROM "Registration" r WHERE ${where(f)}
    GROUP BY 1, 2, 3`;
  const categories = rows
    .map((r) => ({
      category: studentCategory({ studyLevel: r.studyLevel, admissionRoute: r.admissionRoute ?? undefined, residency: r.residency } as StudentRecord),
      studyLevel: r.studyLevel,
      // Only undergraduates have an admission route (postgraduate rows may carry one from the file; the category ignores it).
      admissionRoute: r.studyLevel === 'UG' ? r.admissionRoute : null,
      residency: r.residency,
      count: Number(r.n),
    }))
    .reduce<CategoryCount[]>((acc, c) => {
      const same = acc.find((x) => x.category === c.category);
      if (same) same.count += c.count;
      else acc.push(c);
      return acc;
    }, [])
    .sort((a, b) => a.category.localeCompare(b.category));
  return { total: categories.reduce((n, c) => n + c.count, 0), categories };
}

// ---------------------------------------------------------------------------
// Burn-down to the registration deadline
// ---------------------------------------------------------------------------

export interface BurnDown {
  registrationDeadline: string | null;
  paymentDeadline: string | null;
  /** Hong Kong date the figures were computed on; later days have `missing: null`. */
  today: string;
  days: Array<{ date: string; missing: number | null; registrations: number | null }>;
}

/**
 * Per Hong Kong day, how many registrations were still missing a compulsory
 * item at the end of that day.
 *
 * The read model keeps each registration's current state, not its past, so
 * history is rebuilt from two timestamps the projection keeps on the
 * registration row (no scan of the checklist items):
 *  - a registration counts from the day it was projected (`createdAt`, when
 *    its workflow started);
 *  - it stops missing on the day its last compulsory item came in
 *    (`compulsoryInAt`: the latest submission, or the waiver, of its
 *    compulsory items, set while all of them are in); null means one is
 *    pending or rejected now, so it is still missing today;
 *  - a student who declined the offer leaves the count on the day of the
 *    decline (`outcomeAt` with reason DECLINED); one withdrawn for a missed
 *    item stays in it, which is what a burn-down is meant to show.
 * Approximation: a compulsory item rejected and handed in again counts as
 * missing from the start until its latest submission, including the days
 * between its first submission and the rejection. Per-student deadline
 * extensions do not move the marked deadlines (the cohort's).
 */
export async function burnDown(prisma: PrismaClient, f: DashboardFilter & { cohortId: string }, now: Date): Promise<BurnDown | null> {
  const cohort = await prisma.cohort.findUnique({ where: { id: f.cohortId }, select: { registrationDeadline: true, paymentDeadline: true } });
  if (!cohort) return null;
  const rows = await prisma.$queryRaw<Array<{ fromDay: string; inDay: string | null; goneDay: string | null; n: bigint }>>`
    SELECT ${dayText(Prisma.sql`"from"`)} AS "fromDay", ${dayText(Prisma.sql`"in"`)} AS "inDay", ${dayText(Prisma.sql`gone`)} AS "goneDay", n
    FROM (
      SELECT ${hkDay(Prisma.sql`r."createdAt"`)} AS "from", ${hkDay(Prisma.sql`r."compulsoryInAt"`)} AS "in",
             CASE WHEN r."outcomeReason" = 'DECLINED' THEN ${hkDay(Prisma.sql`r."outcomeAt"`)} END AS gone,
             count(*) AS n
      FROM "Registration" r WHERE ${where(f)}
      GROUP BY 1, 2, 3
    ) days`;

  const today = hkDate(now.getTime());
  const deadlines = [cohort.registrationDeadline, cohort.paymentDeadline].filter((d): d is Date => !!d).map((d) => hkDate(d.getTime()));
  const groups = rows.map((r) => ({ from: r.fromDay, in: r.inDay, gone: r.goneDay, n: Number(r.n) }));
  const first = groups.reduce((m, g) => (g.from < m ? g.from : m), today < deadlines[0]! ? today : deadlines[0]!);
  const last = deadlines.reduce((m, d) => (d > m ? d : m), deadlines[0]!);

  const days: BurnDown['days'] = [];
  for (let date = first; date <= last && days.length < 400; date = addDays(date, 1)) {
    if (date > today) {
      days.push({ date, missing: null, registrations: null });
      continue;
    }
    let registrations = 0;
    let missing = 0;
    for (const g of groups) {
      if (g.from > date || (g.gone !== null && g.gone <= date)) continue;
      registrations += g.n;
      // A registration without compulsory items (none in the read model yet) counts as missing: it owes everything.
      if (g.in === null || g.in > date) missing += g.n;
    }
    days.push({ date, missing, registrations });
  }
  return { registrationDeadline: cohort.registrationDeadline.toISOString(), paymentDeadline: cohort.paymentDeadline?.toISOString() ?? null, today, days };
}

// ---------------------------------------------------------------------------
// Outstanding items by kind
// ---------------------------------------------------------------------------

export interface OutstandingCount {
  itemKey: string;
  kind: string;
  label: string;
  compulsory: boolean;
  /** Never handed in. */
  pending: number;
  /** Rejected, waiting for the student to hand in again. */
  rejected: number;
  /** Handed in, waiting for the registry. */
  submitted: number;
}

/**
 * Items not yet verified or waived (the OutstandingItems search attribute), in registrations
 * still open (IN_PROGRESS or INCOMPLETE): the counters the projection keeps per cohort, program,
 * study level, item and state (OutstandingItemCount), a few hundred rows instead of every item.
 */
export async function outstanding(prisma: PrismaClient, f: DashboardFilter): Promise<{ items: OutstandingCount[] }> {
  const rows = await prisma.$queryRaw<
    Array<{ key: string; kind: string; label: string; compulsory: boolean; pending: bigint; rejected: bigint; submitted: bigint }>
  >`
    SELECT c."itemKey" AS key, min(c.kind) AS kind, min(c.label) AS label, bool_or(c.compulsory) AS compulsory,
           coalesce(sum(c.count) FILTER (WHERE c.state = 'PENDING'), 0) AS pending,
           coalesce(sum(c.count) FILTER (WHERE c.state = 'REJECTED'), 0) AS rejected,
           coalesce(sum(c.count) FILTER (WHERE c.state = 'SUBMITTED'), 0) AS submitted
    FROM "OutstandingItemCount" c
    WHERE ${where(f, 'c')} AND c.count > 0
    GROUP BY c."itemKey"`;
  const order: readonly string[] = [...REPORT_ITEM_ORDER, 'SUPPLEMENTARY'];
  const rank = (kind: string) => order.indexOf(kind) + 1 || order.length + 1;
  return {
    items: rows
      .map((r) => ({
        itemKey: r.key,
        kind: r.kind,
        label: r.label,
        compulsory: r.compulsory,
        pending: Number(r.pending),
        rejected: Number(r.rejected),
        submitted: Number(r.submitted),
      }))
      .sort((a, b) => rank(a.kind) - rank(b.kind) || a.itemKey.localeCompare(b.itemKey)),
  };
}

// ---------------------------------------------------------------------------
// Review backlog by age
// ---------------------------------------------------------------------------

/**
 * The verification service level breached: a submitted item whose expected verification time (set by
 * the workflow) has passed, in a registration still open (a closed one is nobody's work any more). The
 * one definition behind the backlog's "breached" here, the gateway's progreg_verification_breaches
 * gauge, the review queue's `slaBreached` and the registrations list's filter, in the three forms they
 * ask with: SQL over the items aliased `i`, a Prisma filter, and a test of one item.
 */
export const breachedItemSql = (now: Date) =>
  Prisma.sql`i.state = 'SUBMITTED' AND i."expectedVerificationBy" < ${now} AND i."registrationStatus" IN ${OPEN_STATUSES_SQL}`;

export const breachedItemWhere = (now: Date) =>
  ({
    state: 'SUBMITTED',
    expectedVerificationBy: { lt: now },
    registrationStatus: { in: [...OPEN_STATUSES] },
  }) satisfies Prisma.ChecklistItemWhereInput;

export const isBreached = (item: { state: string; expectedVerificationBy: Date | null; registrationStatus: string }, now: Date) =>
  item.state === 'SUBMITTED' &&
  item.expectedVerificationBy !== null &&
  item.expectedVerificationBy < now &&
  (OPEN_STATUSES as readonly string[]).includes(item.registrationStatus);

export interface ReviewBacklog {
  /** The cohort's verification service level in working days (the policy default without a cohort). */
  serviceLevelDays: number;
  total: number;
  /** Submitted items past their expected verification time. */
  breached: number;
  ages: Array<{ ageWorkingDays: number; count: number; breached: number }>;
}

/**
 * Submitted items waiting for the registry in open registrations (as the
 * review queue lists them; read from the items alone, through their index), by age in Hong Kong working days
 * (as the review queue shows it). PostgreSQL groups them by submission date;
 * the few dates are turned into working-day ages here, with the same holiday
 * list and arithmetic as the queue. Breaches are the items whose expected
 * verification time (set by the workflow) has passed.
 */
export async function reviewBacklog(
  prisma: PrismaClient,
  f: DashboardFilter,
  now: Date,
  holidays: (fromMs: number, toMs: number) => Promise<ReadonlySet<string>>,
  defaultServiceLevel: number,
): Promise<ReviewBacklog> {
  const [rows, policy] = await Promise.all([
    prisma.$queryRaw<Array<{ day: string; n: bigint; breached: bigint }>>`
      SELECT ${dayText(Prisma.sql`day`)} AS day, n, breached FROM (
        SELECT ${hkDay(Prisma.sql`i."submittedAt"`)} AS day, count(*) AS n,
               count(*) FILTER (WHERE ${breachedItemSql(now)}) AS breached
        FROM "ChecklistItem" i
        WHERE i.state = 'SUBMITTED' AND i."submittedAt" IS NOT NULL AND i."registrationStatus" IN ${OPEN_STATUSES_SQL} AND ${where(f, 'i')}
        GROUP BY 1
      ) days`,
    f.cohortId ? prisma.cohort.findUnique({ where: { id: f.cohortId }, select: { policy: true } }) : null,
  ]);
  const sla = Number((policy?.policy as { verificationSlaWorkingDays?: unknown } | undefined)?.verificationSlaWorkingDays) || defaultServiceLevel;
  const oldest = rows.reduce((m, r) => Math.min(m, hkStartOf(r.day)), now.getTime());
  const days = await holidays(oldest, now.getTime());
  const byAge = new Map<number, { count: number; breached: number }>();
  for (const r of rows) {
    // Noon of the submission's Hong Kong date: any instant of that day has the same age.
    const age = workingDaysBetween(hkStartOf(r.day) + 12 * 3600_000, now.getTime(), days);
    const bucket = byAge.get(age) ?? { count: 0, breached: 0 };
    bucket.count += Number(r.n);
    bucket.breached += Number(r.breached);
    byAge.set(age, bucket);
  }
  // Every age from 0 to the oldest (and at least past the service level), so the chart's axis is continuous.
  const maxAge = Math.max(sla + 1, ...byAge.keys());
  const ages = Array.from({ length: maxAge + 1 }, (_, age) => ({
    ageWorkingDays: age,
    count: byAge.get(age)?.count ?? 0,
    breached: byAge.get(age)?.breached ?? 0,
  }));
  return {
    serviceLevelDays: sla,
    total: ages.reduce((n, a) => n + a.count, 0),
    breached: ages.reduce((n, a) => n + a.breached, 0),
    ages,
  };
}

// ---------------------------------------------------------------------------
// Late events: payments or activations that came after the outcome
// ---------------------------------------------------------------------------

export interface LateEventCount {
  kind: LateEventKind;
  count: number;
  /** By the registration's status when the event came (COMPLETED, INCOMPLETE, WITHDRAWN). */
  statuses: Array<{ status: string; count: number }>;
}

export async function lateEvents(prisma: PrismaClient, f: DashboardFilter): Promise<{ total: number; kinds: LateEventCount[] }> {
  const rows = await prisma.$queryRaw<Array<{ kind: string; status: string; n: bigint }>>`
    SELECT l.kind, l."registrationStatus" AS status, count(*) AS n
    FROM "LateEvent" l JOIN "Registration" r ON r."applicationNo" = l."registrationNo"
    WHERE ${where(f)}
    GROUP BY 1, 2`;
  // Both kinds always appear, zeros included, so the chart's bars never move.
  const kinds = LATE_EVENT_KINDS.map((kind) => {
    const statuses = rows
      .filter((r) => r.kind === kind)
      .map((r) => ({ status: r.status, count: Number(r.n) }))
      .sort((a, b) => a.status.localeCompare(b.status));
    return { kind, count: statuses.reduce((n, x) => n + x.count, 0), statuses };
  });
  return { total: kinds.reduce((n, k) => n + k.count, 0), kinds };
}

// ---------------------------------------------------------------------------
// Personal emails that bounced or were marked as spam, not corrected yet
// ---------------------------------------------------------------------------

export const EMAIL_PROBLEMS = ['BOUNCED', 'COMPLAINED'] as const;

/** Open registrations whose personal email is undeliverable: the students who may never have seen their invitation. */
export async function undeliverableEmails(
  prisma: PrismaClient,
  f: DashboardFilter,
): Promise<{ total: number; problems: Array<{ problem: (typeof EMAIL_PROBLEMS)[number]; count: number }> }> {
  const rows = await prisma.$queryRaw<Array<{ problem: string; n: bigint }>>`
    SELECT r."personalEmailProblem" AS problem, count(*) AS n FROM "Registration" r
    WHERE ${where(f)} AND r."personalEmailProblem" IS NOT NULL AND r.status IN ${OPEN_STATUSES_SQL}
    GROUP BY 1`;
  const problems = EMAIL_PROBLEMS.map((problem) => ({ problem, count: Number(rows.find((r) => r.problem === problem)?.n ?? 0) }));
  return { total: problems.reduce((n, p) => n + p.count, 0), problems };
}
