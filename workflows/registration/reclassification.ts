/**
 * Reclassification (docs/domain.md, Reclassification): staff change a
 * student's residency, admission route, study level or program, with a
 * reason, and the checklist is recomputed from the new facts with the
 * checklist rules (checklist.ts). Items the student now owes are added
 * PENDING, due by their deadline (reminders follow it); items no longer owed
 * become NOT_REQUIRED, keeping what they held, and are given back as they were
 * if a later reclassification makes them owed again. Refused once the
 * registration is closed, and when a newly owed compulsory item's deadline
 * has already passed (it could only withdraw the student).
 */
import { RegistrationFailure, registrationFailure } from './api';
import { buildChecklist, studentCategory, type ItemDefinition } from './checklist';
import { queueEmail, studentAddresses } from './email-decisions';
import { checkKeepableText } from './input-rules';
import { settleOutcome } from './outcome';
import { iso } from './plain';
import type { DeadlineKind, ItemRecord, RegistrationRecord } from './records';
import { follows } from './rule-changes';
import { checkOpen, invalidTransition, recordEvent } from './state-core';
import {
  ADMISSION_ROUTES,
  RECLASSIFIABLE_FIELDS,
  RESIDENCIES,
  STUDY_LEVELS,
  type ItemState,
  type ReclassifyInput,
  type RegistrationStatusView,
  type StudentRecord,
} from './types';
import { boundedView } from './views';
import { addWorkingDays } from './working-days';

/** The import's rule for a program code (src/import/rows.ts). */
const PROGRAM_CODE = /^[A-Z0-9-]{2,20}$/;

const invalid = (message: string) => registrationFailure(RegistrationFailure.InvalidInput, message);

/** The student after the changes: an undergraduate keeps (or gets) an admission route, anyone else has none. */
function reclassified(student: StudentRecord, changes: ReclassifyInput['changes']): StudentRecord {
  const after: StudentRecord = { ...student };
  for (const field of RECLASSIFIABLE_FIELDS) {
    const value = changes[field];
    if (value !== undefined) (after as unknown as Record<string, unknown>)[field] = value;
  }
  if (after.studyLevel !== 'UG') delete after.admissionRoute;
  return after;
}

const missingState = (s: ItemState) => s === 'PENDING' || s === 'REJECTED';

interface Plan {
  after: StudentRecord;
  definitions: ItemDefinition[];
  added: ItemDefinition[];
  noLongerRequired: ItemRecord[];
  reinstated: ItemRecord[];
}

function plan(r: RegistrationRecord, input: ReclassifyInput): Plan {
  const after = reclassified(r.input.student, input.changes ?? {});
  const definitions = buildChecklist(after, r.input.policy);
  const keys = new Set(definitions.map((d) => d.key));
  const held = new Map(r.items.map((i) => [i.key, i]));
  return {
    after,
    definitions,
    added: definitions.filter((d) => !held.has(d.key)),
    noLongerRequired: r.items.filter((i) => !keys.has(i.key) && i.state !== 'NOT_REQUIRED'),
    reinstated: r.items.filter((i) => keys.has(i.key) && i.state === 'NOT_REQUIRED'),
  };
}

/** When the deadline of this kind falls and whether it has passed; a payment deadline not yet on the record is the cohort's. */
function deadlineFor(r: RegistrationRecord, kind: DeadlineKind, now: number): { at: number; passed: boolean } {
  const d = r.deadlines[kind];
  if (d) return { at: d.at, passed: d.passed || now >= d.at };
  // The fee is due by PAYMENT only when the cohort has a payment deadline (checklist.ts).
  const at = kind === 'PAYMENT' && r.input.policy.paymentDeadline ? Date.parse(r.input.policy.paymentDeadline) : r.deadlines.REGISTRATION!.at;
  return { at, passed: now >= at };
}

export function checkReclassify(r: RegistrationRecord, input: ReclassifyInput, now: number): void {
  checkOpen(r);
  if (!input.reason?.trim()) throw invalid('a reclassification needs a reason');
  checkKeepableText({ reason: input.reason }, { multiline: true });
  const changes = (input.changes ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(changes).filter((k) => !(RECLASSIFIABLE_FIELDS as readonly string[]).includes(k));
  if (unknown.length) throw invalid(`only ${RECLASSIFIABLE_FIELDS.join(', ')} can be reclassified, not ${unknown.join(', ')}`);
  const { residency, admissionRoute, studyLevel, programCode } = input.changes ?? {};
  if (residency !== undefined && !RESIDENCIES.includes(residency)) throw invalid(`residency is one of ${RESIDENCIES.join(', ')}`);
  if (studyLevel !== undefined && !STUDY_LEVELS.includes(studyLevel)) throw invalid(`studyLevel is one of ${STUDY_LEVELS.join(', ')}`);
  if (admissionRoute !== undefined && !ADMISSION_ROUTES.includes(admissionRoute)) throw invalid(`admissionRoute is one of ${ADMISSION_ROUTES.join(', ')}`);
  if (programCode !== undefined && !PROGRAM_CODE.test(programCode)) throw invalid('programCode is 2–20 upper-case letters, digits or "-"');
  const p = plan(r, input);
  if (p.after.studyLevel === 'UG' && !p.after.admissionRoute) throw invalid('an undergraduate needs an admission route (JUPAS or NON_JUPAS)');
  if (p.after.studyLevel !== 'UG' && admissionRoute !== undefined) throw invalid('only undergraduates (UG) have an admission route');
  const before = r.input.student;
  if (RECLASSIFIABLE_FIELDS.every((f) => before[f] === p.after[f])) throw invalid('the reclassification changes nothing');
  // Every student who owes the fee needs a known fee (docs/domain.md, The tuition fee), as the import requires.
  const feeNewlyOwed = [...p.added, ...p.reinstated].some((i) => i.kind === 'TUITION_RECEIPT');
  if (feeNewlyOwed && !r.input.policy.tuitionFee) throw invalid('the student would owe the tuition fee, but the cohort has no tuition fee set');
  // A compulsory item newly owed after its deadline could only withdraw the student at once.
  const owed = [
    ...p.added.filter((d) => d.compulsory && d.dueBy).map((d) => ({ label: d.label, dueBy: d.dueBy! })),
    ...p.reinstated.filter((i) => i.compulsory && i.dueBy && missingState(i.setAsideFrom ?? 'PENDING')).map((i) => ({ label: i.label, dueBy: i.dueBy! })),
  ];
  for (const item of owed) {
    const d = deadlineFor(r, item.dueBy, now);
    if (d.passed) throw invalidTransition(`${item.label} would be owed by the ${item.dueBy.toLowerCase()} deadline ${iso(d.at)}, which has passed`);
  }
}

/**
 * Emails the student what changed in the checklist (docs/domain.md, Reclassification): the items now owed, each
 * with its deadline while that is ahead, and those no longer required. A change that leaves the checklist as it
 * was (a move to another program of the same category) sends nothing.
 */
function tellTheStudent(r: RegistrationRecord, p: Plan, now: number): void {
  const owedKeys = new Set([...p.added.map((d) => d.key), ...p.reinstated.map((i) => i.key)]);
  const owed = r.items
    .filter((i) => owedKeys.has(i.key))
    .map((i) => {
      const d = i.dueBy ? deadlineFor(r, i.dueBy, now) : undefined;
      return { key: i.key, label: i.label, compulsory: i.compulsory, dueBy: i.dueBy, ...(d && !d.passed ? { by: iso(d.at) } : {}) };
    });
  const noLongerRequired = p.noLongerRequired.map((i) => ({ key: i.key, label: i.label }));
  if (!owed.length && !noLongerRequired.length) return;
  queueEmail(r, { kind: 'CHECKLIST_CHANGED', owed, noLongerRequired }, studentAddresses(r));
}

/** Applies a reclassification: the student's facts, the recomputed checklist, the payment deadline, the audit trail, the outcome. */
export function reclassify(r: RegistrationRecord, input: ReclassifyInput, now: number): RegistrationStatusView {
  checkReclassify(r, input, now);
  const p = plan(r, input);
  const before = r.input.student;
  // The input is the workflow's own argument object: continue-as-new hands the new facts to the next run.
  (r.input as { student: StudentRecord }).student = p.after;

  const held = new Map(r.items.map((i) => [i.key, i]));
  const items: ItemRecord[] = [];
  for (const d of p.definitions) {
    const item = held.get(d.key);
    held.delete(d.key);
    if (!item) {
      items.push({ ...d, state: 'PENDING', submissions: [], reviews: [] });
      continue;
    }
    Object.assign(item, { label: d.label, compulsory: d.compulsory, dueBy: d.dueBy });
    if (item.state === 'NOT_REQUIRED') {
      item.state = item.setAsideFrom ?? 'PENDING';
      item.setAsideFrom = undefined;
      // A submission given back waits for review again, with a fresh service level.
      if (item.state === 'SUBMITTED') item.sla = { ...addWorkingDays(now, r.input.policy.verificationSlaWorkingDays, r.holidays), breached: false };
    }
    items.push(item);
  }
  // What is no longer owed stays on the record (its files and reviews are the audit trail's), after the rest.
  for (const item of held.values()) {
    if (item.state !== 'NOT_REQUIRED') {
      item.setAsideFrom = item.state;
      item.state = 'NOT_REQUIRED';
      item.sla = undefined;
      item.flag = undefined;
    }
    items.push(item);
  }
  r.items.splice(0, r.items.length, ...items);

  const owesByPayment = items.some((i) => i.state !== 'NOT_REQUIRED' && i.dueBy === 'PAYMENT');
  if (owesByPayment && !r.deadlines.PAYMENT && r.input.policy.paymentDeadline) {
    r.deadlines.PAYMENT = { at: Date.parse(r.input.policy.paymentDeadline), setAt: now, passed: false, reminded: [] };
  } else if (!owesByPayment && r.deadlines.PAYMENT && !r.deadlines.PAYMENT.passed) {
    // Nothing is due by it any more: the student is not shown a payment deadline they do not have.
    delete r.deadlines.PAYMENT;
  }

  const changed = RECLASSIFIABLE_FIELDS.filter((f) => before[f] !== p.after[f]);
  recordEvent(r, 'RECLASSIFIED', input.actor, now, {
    reason: input.reason,
    before: Object.fromEntries(changed.map((f) => [f, before[f] ?? null])),
    after: Object.fromEntries(changed.map((f) => [f, p.after[f] ?? null])),
    category: { before: studentCategory(before), after: studentCategory(p.after) },
    added: p.added.map((d) => d.key),
    noLongerRequired: p.noLongerRequired.map((i) => i.key),
    reinstated: p.reinstated.map((i) => i.key),
  });
  if (follows(r, 'reclassification-emails-the-student')) tellTheStudent(r, p, now);
  settleOutcome(r, now);
  return boundedView(r);
}
