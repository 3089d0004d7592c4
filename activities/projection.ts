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
import type { PrismaClient } from '../src/db/prisma';
import type { ProjectionSnapshot } from '../workflows/registration/state';

type Tx = Prisma.TransactionClient;
/** A burst of new registrations queues for pool connections longer than Prisma's 2 s default wait. */
const TRANSACTION = { maxWait: 15_000, timeout: 15_000 };
const date = (iso: string | undefined): Date | null => (iso ? new Date(iso) : null);

export function createProjectRegistration(deps: { prisma: PrismaClient }) {
  return async function projectRegistration(snapshot: ProjectionSnapshot): Promise<{ applied: boolean }> {
    return deps.prisma.$transaction(async (tx) => {
      const { view } = snapshot;
      const no = view.applicationNo;
      await ensureCohort(tx, snapshot);
      // Concurrent first projections race to create the row: insert-if-absent with seq 0, then lock it.
      await tx.registration.createMany({ data: [{ applicationNo: no, ...registrationData(snapshot), seq: 0 }], skipDuplicates: true });
      const [current] = await tx.$queryRaw<{ seq: number }[]>`SELECT seq FROM "Registration" WHERE "applicationNo" = ${no} FOR UPDATE`;
      const newer = current.seq < snapshot.seq;
      if (newer) {
        await tx.registration.update({ where: { applicationNo: no }, data: registrationData(snapshot) });
        await writeItems(tx, snapshot);
      }
      await appendFacts(tx, snapshot);
      return { applied: newer };
    }, TRANSACTION);
  };
}

/** The cohort row normally comes from the import; a registration started otherwise creates it from its policy. */
async function ensureCohort(tx: Tx, { view, policy }: ProjectionSnapshot): Promise<void> {
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

function registrationData({ view, seq }: ProjectionSnapshot) {
  const s = view.student;
  return {
    workflowId: view.workflowId,
    cohortId: s.cohortId,
    name: s.name,
    personalEmail: s.personalEmail,
    universityEmail: view.universityEmail ?? null,
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
 * last of them came in; null while one is pending or rejected. An item came
 * in at its first submission or waiver after its last rejection (activation
 * and the form, which have no files, at their own time). For the dashboard's
 * burn-down (src/dashboard/figures.ts).
 */
export function compulsoryInAt(items: ProjectionSnapshot['view']['items']): Date | null {
  const compulsory = items.filter((i) => i.compulsory);
  if (compulsory.length === 0 || compulsory.some((i) => i.state === 'PENDING' || i.state === 'REJECTED')) return null;
  const inAt = (i: (typeof compulsory)[number]): number => {
    const rejected = Math.max(-Infinity, ...i.reviews.filter((r) => r.decision === 'REJECTED').map((r) => Date.parse(r.at)));
    const ins = [...i.submissions.map((s) => s.at), ...i.reviews.filter((r) => r.decision === 'WAIVED').map((r) => r.at)].map(Date.parse).filter((t) => t > rejected);
    return ins.length ? Math.min(...ins) : Date.parse(i.submittedAt ?? i.reviewedAt ?? '');
  };
  const times = compulsory.map(inAt);
  return times.some(Number.isNaN) ? null : new Date(Math.max(...times));
}

async function writeItems(tx: Tx, { view }: ProjectionSnapshot): Promise<void> {
  for (const item of view.items) {
    const lastReview = item.reviews[item.reviews.length - 1];
    const rejected = item.state === 'REJECTED' && lastReview?.decision === 'REJECTED';
    const data = {
      kind: item.kind,
      label: item.label,
      compulsory: item.compulsory,
      state: item.state,
      submittedAt: date(item.submittedAt),
      reviewedAt: date(item.reviewedAt),
      expectedVerificationBy: date(item.expectedVerificationBy),
      rejectionReason: rejected ? (lastReview.reasonCode ?? null) : null,
      rejectionNote: rejected ? (lastReview.note ?? null) : null,
    };
    await tx.checklistItem.upsert({
      where: { registrationNo_key: { registrationNo: view.applicationNo, key: item.key } },
      create: { registrationNo: view.applicationNo, key: item.key, ...data },
      update: data,
    });
  }
}

async function appendFacts(tx: Tx, { view, events }: ProjectionSnapshot): Promise<void> {
  const no = view.applicationNo;
  const submissions = view.items.flatMap((i) => i.submissions.map((s) => ({ itemKey: i.key, ...s })));
  if (submissions.length) {
    // The gateway stores files by content; a registration started without it (CLI, tests) still gets its rows.
    await tx.storedFile.createMany({
      data: submissions.map((s) => ({ sha256: s.sha256, size: s.size, mediaType: s.mediaType })),
      skipDuplicates: true,
    });
    await tx.document.createMany({
      data: submissions.map((s) => ({
        // The gateway's id, so the download link in the status is this row (the projection is its only writer).
        ...(s.documentId ? { id: s.documentId } : {}),
        registrationNo: no,
        itemKey: s.itemKey,
        version: s.version,
        sha256: s.sha256,
        originalName: s.originalName,
        size: s.size,
        mediaType: s.mediaType,
        uploadedBy: s.uploadedBy,
        uploadedAt: new Date(s.at),
      })),
      skipDuplicates: true,
    });
  }
  const reviews = view.items.flatMap((i) => i.reviews.map((r) => ({ itemKey: i.key, ...r })));
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
  const keys = view.emails.map((e) => e.idempotencyKey);
  if (keys.length) {
    await tx.emailLog.updateMany({ where: { idempotencyKey: { in: keys }, registrationNo: null }, data: { registrationNo: no } });
  }
}
