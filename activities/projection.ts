/**
 * The read model: each snapshot of a registration projected to PostgreSQL so
 * the gateway can list and filter without asking every workflow.
 *
 * Order does not matter and repeats are harmless. Mutable rows (the
 * registration, its checklist items) are written only by a snapshot newer
 * than the `seq` already stored, under a row lock; facts that never change
 * (audit events, reviews, document versions) are inserted keyed by their
 * sequence number or version, skipping those already there.
 */
import { Prisma } from '@prisma/client';
import { ApplicationFailure, asyncLocalStorage, Context } from '@temporalio/activity';
import type { MetricHistogram } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { isUnwritableData } from '../src/db/errors';
import { recordChange } from '../src/live/changes';
import { adjustOutstandingCounts, storedItems, type CountedItem } from './outstanding-counts';
import type { PrismaClient } from '../src/db/prisma';
import { contactsFor } from '../workflows/registration/checklist';
import { emailIdempotencyKey, type EmailRequest } from '../workflows/registration/emails';
import { PROJECTION_UNWRITABLE_FAILURE } from '../workflows/registration/projection';
import { projectedView, wholeStatus, type AuditEventRecord, type ProjectedView, type ProjectionSnapshot } from '../workflows/registration/state';
import type { RegistrationStatusView } from '../workflows/registration/types';

type Tx = Prisma.TransactionClient;
/** A snapshot with its view as the read model's rows keep it (views.ts, projectedView), whichever kind it carried. */
type Projected = Omit<ProjectionSnapshot, 'view'> & { view: ProjectedView };
/** A burst of new registrations queues for pool connections longer than Prisma's 2 s default wait. */
const TRANSACTION = { maxWait: 15_000, timeout: 15_000 };
const date = (iso: string | undefined): Date | null => (iso ? new Date(iso) : null);

export interface ProjectionDeps {
  prisma: PrismaClient;
  /** Tells the registry about a change the read model can never store (the email activity, registry audience). */
  alert?: (request: EmailRequest) => Promise<unknown>;
}

export function createProjectRegistration(deps: ProjectionDeps) {
  const recordLag = projectionLag();
  return async function projectRegistration(taken: ProjectionSnapshot): Promise<{ applied: boolean }> {
    const snapshot: Projected = { ...taken, view: projectedView(taken.view) };
    try {
      const { applied, accountHeldBy } = await write(deps.prisma, snapshot, wholeStatus(taken.view));
      recordLag();
      if (accountHeldBy) await alertAccountHeld(deps, snapshot, accountHeldBy);
      return { applied };
    } catch (e) {
      // Transient failures (PostgreSQL down) throw as they are: Temporal retries until the read model is back.
      if (!isUnwritableData(e)) throw e;
      const error = ((e as Error).message ?? String(e)).split('\n').filter(Boolean).pop()!.slice(0, 500);
      await alertRegistry(deps, snapshot, error);
      throw ApplicationFailure.create({
        type: PROJECTION_UNWRITABLE_FAILURE,
        message: `the read model cannot store change ${snapshot.seq} of ${snapshot.view.workflowId}: ${error}`,
        nonRetryable: true,
      });
    }
  };
}

/**
 * The projection's lag: from the workflow ordering this change (the activity's first scheduling, so
 * retries while PostgreSQL was down count) to its commit in the read model, as a histogram on the
 * worker's metrics endpoint (progreg_projection_lag_seconds; docs/operations.md, Metrics), labelled as
 * the SDK labels an activity's own metrics. Made once, on the first commit inside a worker (the
 * runtime's meter exists from then on); outside an activity (the projection's own tests) there is
 * nothing to measure from.
 */
function projectionLag(): () => void {
  let histogram: MetricHistogram | undefined;
  return () => {
    const ctx = asyncLocalStorage.getStore();
    if (!ctx) return;
    histogram ??= Runtime.instance().metricMeter.createHistogram(
      'progreg_projection_lag_seconds',
      'float',
      's',
      'From the workflow ordering a change to its commit in the read model.',
    );
    const { namespace, taskQueue, activityType, scheduledTimestampMs } = ctx.info;
    histogram.record(Math.max(0, Date.now() - scheduledTimestampMs) / 1000, { namespace, taskQueue, activityType });
  };
}

/**
 * The university account this registration names is another registration's in the read model (the gateway's
 * claim keeps that from happening; routes/webhooks.ts): the rest was stored, the account left out. One alert
 * per account (its idempotency key names it, not the change), however many changes follow.
 */
async function alertAccountHeld(deps: ProjectionDeps, snapshot: Projected, holder: string): Promise<void> {
  const account = snapshot.view.universityEmail!.toLowerCase();
  const error = `the university account ${account} is already that of registration ${holder}: stored without it`;
  await alertRegistry(deps, snapshot, error, { occurrence: `university-email:${account}`, leftOut: 'universityEmail' });
}

/** One alert per refused change (the idempotency key names it); a refused alert must not hide the failure. */
async function alertRegistry(
  deps: ProjectionDeps,
  { view, seq }: Projected,
  error: string,
  part?: { occurrence: string; leftOut: 'universityEmail' },
): Promise<void> {
  if (!deps.alert) return;
  const request: EmailRequest = {
    idempotencyKey: emailIdempotencyKey(view.workflowId, 'PROJECTION_ALERT', part?.occurrence ?? seq),
    workflowId: view.workflowId,
    registrationNo: view.applicationNo,
    to: [],
    context: {
      student: view.student,
      universityEmail: view.universityEmail,
      deadlines: { registration: view.deadlines.registration, payment: view.deadlines.payment },
      contacts: contactsFor(view.student),
      items: view.items.map((i) => ({ key: i.key, label: i.label, state: i.state, compulsory: i.compulsory, dueBy: i.dueBy })),
      policy: view.policy,
      // A registry alert carries no sign-in link, so no link lifetime is derived from it.
      changeableUntil: view.deadlines.registration,
    },
    message: { kind: 'PROJECTION_ALERT', workflowId: view.workflowId, seq, error, ...(part ? { leftOut: part.leftOut } : {}) },
  };
  try {
    await deps.alert(request);
  } catch (e) {
    if (!(e instanceof ApplicationFailure && e.nonRetryable)) throw e;
    Context.current().log.error('projection alert refused', { workflowId: view.workflowId, seq, error: e.message });
  }
}

async function write(
  prisma: PrismaClient,
  snapshot: Projected,
  status: RegistrationStatusView | undefined,
): Promise<{ applied: boolean; accountHeldBy?: string }> {
  return prisma.$transaction(async (tx) => {
    const { view } = snapshot;
    const no = view.applicationNo;
    await ensureCohort(tx, snapshot);
    // Concurrent first projections race to create the row: insert-if-absent with seq 0, then lock it. Without the
    // university account, whose uniqueness the insert would skip silently; the update below writes it.
    await tx.registration.createMany({ data: [{ applicationNo: no, ...registrationData(snapshot), universityEmail: null, seq: 0 }], skipDuplicates: true });
    const [current] = await tx.$queryRaw<{ seq: number; universityEmail: string | null }[]>`
      SELECT seq, "universityEmail" FROM "Registration" WHERE "applicationNo" = ${no} FOR UPDATE`;
    const newer = current.seq < snapshot.seq;
    const accountHeldBy = newer ? await accountHolder(tx, snapshot, current.universityEmail) : undefined;
    const before = newer ? await storedItems(tx, no) : [];
    if (newer) {
      const data = registrationData(snapshot);
      // Another registration's account can never be stored (one registration per account): retrying would not
      // change that, and every later change of this registration would wait behind it. Stored without it.
      await tx.registration.update({ where: { applicationNo: no }, data: accountHeldBy ? { ...data, universityEmail: null } : data });
      await writeItems(tx, snapshot);
      // The status page's answer (StatusSnapshot), at the same change as the row. A snapshot without the whole status
      // (past the bounds it is carried within, or taken before snapshots carried it) takes the row away: the page then
      // asks the workflow, rather than show an older change.
      if (status) {
        const stored = { seq: snapshot.seq, view: JSON.stringify(status) };
        await tx.statusSnapshot.upsert({ where: { applicationNo: no }, create: { applicationNo: no, ...stored }, update: stored });
      } else await tx.statusSnapshot.deleteMany({ where: { applicationNo: no } });
    }
    await appendFacts(tx, snapshot);
    if (newer) {
      // The live pages hear of it at commit (every gateway LISTENs; src/live/changes.ts).
      await recordChange(tx, no);
      // Last: the dashboard's shared counters are held only until the commit.
      await adjustOutstandingCounts(tx, before, countedItems(snapshot));
    }
    return { applied: newer, ...(accountHeldBy ? { accountHeldBy } : {}) };
  }, TRANSACTION);
}

/**
 * The other registration that holds this snapshot's university account in the read model, if one does. Asked
 * only while the row does not hold the account yet (`stored`), so a registration's later changes pay no query
 * for it. Two projections claiming one account at once: the second fails on the unique index and, retried,
 * finds the first.
 */
async function accountHolder(tx: Tx, { view }: Projected, stored: string | null): Promise<string | undefined> {
  const account = view.universityEmail?.toLowerCase();
  if (!account || account === stored) return undefined;
  const holder = await tx.registration.findFirst({
    where: { universityEmail: account, applicationNo: { not: view.applicationNo } },
    select: { applicationNo: true },
  });
  return holder?.applicationNo;
}

/** The cohort row normally comes from the import; a registration started otherwise creates it from its policy. */
async function ensureCohort(tx: Tx, { view, policy }: Projected): Promise<void> {
  await tx.cohort.createMany({
    data: [
      {
        id: view.student.cohortId,
        registrationDeadline: new Date(policy.registrationDeadline),
        paymentDeadline: date(policy.paymentDeadline),
        policy: policy as unknown as Prisma.InputJsonValue,
      },
    ],
    skipDuplicates: true,
  });
}

function registrationData({ view, seq }: Projected) {
  const s = view.student;
  return {
    workflowId: view.workflowId,
    cohortId: s.cohortId,
    name: s.name,
    personalEmail: s.personalEmail,
    // Lower case, as the identity webhook passes it on and single sign-on looks it up (older registrations may hold another case).
    universityEmail: view.universityEmail?.toLowerCase() ?? null,
    personalEmailProblem: view.personalEmailProblem?.problem ?? null,
    programCode: s.programCode,
    studyLevel: s.studyLevel,
    admissionRoute: s.admissionRoute ?? null,
    residency: s.residency,
    status: view.status,
    outcomeReason: view.outcome?.reason ?? null,
    registrationDeadline: new Date(view.deadlines.registration),
    paymentDeadline: date(view.deadlines.payment),
    outstandingItems: view.outstandingItems,
    cardReady: view.cardReady,
    outcomeAt: date(view.outcome?.at),
    compulsoryInAt: compulsoryInAt(view.items),
    seq,
  };
}

/**
 * While every compulsory item is in (submitted, verified or waived): when the
 * last of them came in (each item's `inAt`, from the workflow's cameInAt); null
 * while one is pending or rejected. For the dashboard's burn-down
 * (src/dashboard/figures.ts).
 */
export function compulsoryInAt(items: ProjectedView['items']): Date | null {
  const compulsory = items.filter((i) => i.compulsory);
  if (compulsory.length === 0 || compulsory.some((i) => !i.inAt)) return null;
  return new Date(Math.max(...compulsory.map((i) => Date.parse(i.inAt!))));
}

/**
 * The registration's fields the dashboard filters items by, copied onto each of its items
 * (ChecklistItem's comment says why); Registration keeps the facts. Every newer snapshot
 * rewrites every item (a checklist never loses one), so the copies follow the registration.
 */
function registrationCopies({ view }: Projected) {
  return { cohortId: view.student.cohortId, programCode: view.student.programCode, studyLevel: view.student.studyLevel, registrationStatus: view.status };
}

/** The snapshot's items as the outstanding counters count them (activities/outstanding-counts.ts). */
function countedItems(snapshot: Projected): CountedItem[] {
  const copies = registrationCopies(snapshot);
  return snapshot.view.items.map((i) => ({ ...copies, key: i.key, state: i.state, kind: i.kind, label: i.label, compulsory: i.compulsory }));
}

async function writeItems(tx: Tx, snapshot: Projected): Promise<void> {
  const { view } = snapshot;
  const copies = registrationCopies(snapshot);
  for (const item of view.items) {
    const data = {
      ...copies,
      kind: item.kind,
      label: item.label,
      compulsory: item.compulsory,
      state: item.state,
      submittedAt: date(item.submittedAt),
      reviewedAt: date(item.reviewedAt),
      expectedVerificationBy: date(item.expectedVerificationBy),
      rejectionReason: item.rejectionReason ?? null,
      rejectionNote: item.rejectionNote ?? null,
      flag: item.flag ?? null,
    };
    await tx.checklistItem.upsert({
      where: { registrationNo_key: { registrationNo: view.applicationNo, key: item.key } },
      create: { registrationNo: view.applicationNo, key: item.key, ...data },
      update: data,
    });
  }
}

/** Facts recorded since the previous snapshot (the snapshot carries deltas, not the whole history). */
async function appendFacts(tx: Tx, { view, events, submissions, removedPages = [], reviews, emailKeys }: Projected): Promise<void> {
  const no = view.applicationNo;
  const files: Array<(typeof submissions)[number] & { removedAt?: string }> = [...submissions, ...removedPages];
  if (files.length) {
    // The gateway stores files by content; a registration started without it (CLI, tests) still gets its rows.
    await tx.storedFile.createMany({
      data: files.map((s) => ({ sha256: s.sha256, size: s.size, mediaType: s.mediaType })),
      skipDuplicates: true,
    });
    await tx.document.createMany({
      data: files.map((s) => ({
        // The gateway's id, so the download link in the status is this row (the projection is its only writer).
        ...(s.documentId ? { id: s.documentId } : {}),
        registrationNo: no,
        itemKey: s.itemKey,
        version: s.version,
        page: s.page ?? 1,
        sha256: s.sha256,
        originalName: s.originalName,
        size: s.size,
        mediaType: s.mediaType,
        uploadedBy: s.uploadedBy,
        uploadedAt: new Date(s.at),
        removedAt: s.removedAt ? new Date(s.removedAt) : null,
      })),
      skipDuplicates: true,
    });
    // A removal projected after its page's row (the usual order) marks that row; in the other order the row was
    // just created as a tombstone, and the page's own insert then skips it.
    // A snapshot from before pages has no removedPages.
    for (const s of removedPages) {
      await tx.document.updateMany({
        where: { registrationNo: no, itemKey: s.itemKey, version: s.version, page: s.page ?? 1, removedAt: null },
        data: { removedAt: new Date(s.removedAt) },
      });
    }
  }
  if (reviews.length) {
    await tx.review.createMany({
      data: reviews.map((r) => ({
        registrationNo: no,
        itemKey: r.itemKey,
        decision: r.decision,
        reasonCode: r.reasonCode ?? null,
        note: r.note ?? null,
        actor: r.actor,
        at: new Date(r.at),
        seq: r.seq,
      })),
      skipDuplicates: true,
    });
  }
  if (events.length) {
    await tx.auditEvent.createMany({
      data: events.map((e) => ({ registrationNo: no, seq: e.seq, type: e.type, actor: e.actor, at: new Date(e.at), data: e.data as Prisma.InputJsonValue })),
      skipDuplicates: true,
    });
  }
  const late = events.filter((e) => e.type === 'LATE_EVENT');
  if (late.length) await tx.lateEvent.createMany({ data: late.map((e) => lateEventRow(no, e)), skipDuplicates: true });
  if (emailKeys.length) {
    await tx.emailLog.updateMany({ where: { idempotencyKey: { in: emailKeys }, registrationNo: null }, data: { registrationNo: no } });
  }
}

/** A LATE_EVENT audit event as its LateEvent row (data: what the event said, besides the kind and status). */
function lateEventRow(registrationNo: string, e: AuditEventRecord, deliveryKey?: string) {
  const { event, status, outcomeReason, ...data } = e.data as { event: string; status: string; outcomeReason?: string };
  return {
    registrationNo,
    seq: e.seq,
    kind: event,
    actor: e.actor,
    at: new Date(e.at),
    registrationStatus: status,
    outcomeReason: outcomeReason ?? null,
    deliveryKey: deliveryKey ?? null,
    data: data as Prisma.InputJsonValue,
  };
}

/** An event for a registration whose workflow has closed, as lateEventWorkflow hands it over. */
export interface LateEventInput {
  applicationNo: string;
  event: 'PAYMENT' | 'ACTIVATION';
  actor: string;
  /** `<source>:<delivery id>`: one record per webhook delivery, however often this is retried. */
  deliveryKey: string;
  receivedAt: string;
  data: Record<string, unknown>;
}

/** What the alert email needs to know about the registration, from the read model. */
export interface LateEventRecorded {
  seq: number;
  status: string;
  outcomeReason?: string;
  student: {
    applicationNo: string;
    name: string;
    personalEmail: string;
    programCode: string;
    studyLevel: string;
    admissionRoute?: string;
    residency: string;
    cohortId: string;
  };
  deadlines: { registration: string; payment?: string };
}

/**
 * Records a late event against a closed registration: the next audit seq
 * (taken under the registration's row lock, after the workflow's last one),
 * an AuditEvent and a LateEvent row. Idempotent by delivery key: a retry
 * answers with the record already made.
 */
export function createRecordLateEvent(deps: { prisma: PrismaClient }) {
  return async function recordLateEvent(input: LateEventInput): Promise<LateEventRecorded> {
    return deps.prisma.$transaction(async (tx) => {
      const no = input.applicationNo;
      const [reg] = await tx.$queryRaw<{ applicationNo: string }[]>`SELECT "applicationNo" FROM "Registration" WHERE "applicationNo" = ${no} FOR UPDATE`;
      if (!reg) throw new Error(`no registration ${no} in the read model`);
      const r = await tx.registration.findUniqueOrThrow({ where: { applicationNo: no } });
      const existing = await tx.lateEvent.findUnique({ where: { deliveryKey: input.deliveryKey } });
      let seq = existing?.seq;
      if (seq === undefined) {
        const last = await tx.auditEvent.aggregate({ where: { registrationNo: no }, _max: { seq: true } });
        seq = Math.max(last._max.seq ?? 0, r.seq) + 1;
        const event: AuditEventRecord = {
          seq,
          type: 'LATE_EVENT',
          actor: input.actor,
          at: input.receivedAt,
          data: {
            event: input.event,
            status: r.status,
            ...(r.outcomeReason ? { outcomeReason: r.outcomeReason } : {}),
            ...input.data,
            deliveryKey: input.deliveryKey,
          },
        };
        await tx.auditEvent.create({
          data: { registrationNo: no, seq, type: event.type, actor: event.actor, at: new Date(event.at), data: event.data as Prisma.InputJsonValue },
        });
        await tx.lateEvent.create({ data: lateEventRow(no, event, input.deliveryKey) });
        await recordChange(tx, no, true);
      }
      return {
        seq,
        status: r.status,
        ...(r.outcomeReason ? { outcomeReason: r.outcomeReason } : {}),
        student: {
          applicationNo: no,
          name: r.name,
          personalEmail: r.personalEmail,
          programCode: r.programCode,
          studyLevel: r.studyLevel,
          ...(r.admissionRoute ? { admissionRoute: r.admissionRoute } : {}),
          residency: r.residency,
          cohortId: r.cohortId,
        },
        deadlines: { registration: r.registrationDeadline.toISOString(), ...(r.paymentDeadline ? { payment: r.paymentDeadline.toISOString() } : {}) },
      };
    }, TRANSACTION);
  };
}
