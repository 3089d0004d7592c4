/**
 * Replay fixtures: histories of the main paths, captured from real runs on the
 * dev server with search attributes on
 * (`RECORD_HISTORIES=1 npx mocha test/workflow/record-histories.dev-server.test.ts -g '<name>'`, one
 * new fixture at a time: the others stay as recorded) and committed, so test/workflow/replay.test.ts catches a non-deterministic change.
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import type { RegistrationHandle } from '../../src/client';
import { loadConfig } from '../../src/config';
import { openPayload } from '../../src/temporal/payload-codec';
import { MAX_SUBMISSIONS_PER_ITEM } from '../../workflows/registration/api';

// Not historyToJSON/historyFromJSON: this install has two copies of protobufjs
// (under @temporalio/common and @temporalio/proto) and the JSON codec of one
// refuses the types of the other. toObject/fromObject of @temporalio/proto's own
// History type round-trips exactly.
const History = temporal.api.history.v1.History;
const AS_JSON = { longs: String, enums: String, bytes: String, defaults: false } as const;

/**
 * What a fixture must contain to stand for its path, read from the history itself: the workflow type, and at
 * least so many of each update or signal received, audit event recorded (from the projection inputs) and email
 * kind sent (from the email activity inputs). A fixture recorded from a path that went astray fails here.
 */
export interface PathMarkers {
  workflowType?: 'registrationWorkflow' | 'lateEventWorkflow';
  updates?: Record<string, number>;
  signals?: Record<string, number>;
  audit?: Record<string, number>;
  emails?: Record<string, number>;
  activities?: Record<string, number>;
  /** Rule changes (`patched()` ids) the run took, from the SDK's patch markers. */
  patches?: Record<string, number>;
}

/** The fixtures replay.test.ts requires, by name; record-histories.dev-server.test.ts records each under this name. */
export const RECORDED_PATH_MARKERS = {
  'completed-on-time': { audit: { STATUS_CHANGED: 1 }, emails: { INVITATION: 1, ACKNOWLEDGEMENT: 1 } },
  'incomplete-then-completed': { emails: { FOLLOW_UP: 1, ACKNOWLEDGEMENT: 1 } },
  'withdrawn-missed-document': { audit: { DEADLINE_PASSED: 1 }, emails: { WITHDRAWAL: 1 } },
  'withdrawn-missed-fee': { audit: { DEADLINE_PASSED: 1 }, emails: { WITHDRAWAL: 1 } },
  'rejected-then-resubmitted': { updates: { rejectItem: 1, registerDocument: 4 }, emails: { REJECTION: 1 } },
  'rejected-after-deadline-unresolved': { updates: { rejectItem: 1 }, emails: { REJECTION: 1, WITHDRAWAL: 1 } },
  'deadline-extended': { updates: { extendDeadline: 1 }, audit: { DEADLINE_EXTENDED: 1 }, emails: { DEADLINE_EXTENDED: 1 } },
  'deadline-extension-folded': { updates: { extendDeadline: 2 }, audit: { DEADLINE_EXTENDED: 2 }, emails: { INVITATION: 1, DEADLINE_EXTENDED: 1 } },
  declined: { updates: { declineOffer: 1 }, emails: { WITHDRAWAL: 1 } },
  'form-corrected': { updates: { correctForm: 1 }, audit: { FORM_CORRECTED: 1 } },
  'sign-in-link-requested': { signals: { signInLinkRequested: 3 }, audit: { SIGN_IN_LINK_REQUESTED: 2 }, emails: { SIGN_IN_LINK: 2 } },
  reclassified: { updates: { reclassify: 2 }, audit: { RECLASSIFIED: 2 }, emails: { ACKNOWLEDGEMENT: 1 } },
  'reclassified-student-emailed': { updates: { reclassify: 2 }, audit: { RECLASSIFIED: 2 }, emails: { CHECKLIST_CHANGED: 2, ACKNOWLEDGEMENT: 1 } },
  'access-revoked': { signals: { accessRevoked: 2 }, audit: { ACCESS_REVOKED: 1 }, emails: { SIGN_IN_LINK: 1 } },
  'personal-email-bounced': {
    signals: { emailUndeliverable: 2 },
    updates: { correctPersonalEmail: 1 },
    audit: { PERSONAL_EMAIL_UNDELIVERABLE: 1, PERSONAL_EMAIL_CORRECTED: 1 },
    emails: { INVITATION: 2, ADDRESS_UNDELIVERABLE: 1 },
  },
  'late-event-while-open': { signals: { paymentConfirmed: 1 }, audit: { LATE_EVENT: 1 }, emails: { LATE_EVENT: 1, WITHDRAWAL: 1 } },
  'late-event-after-close': { workflowType: 'lateEventWorkflow', activities: { recordLateEvent: 1 }, emails: { LATE_EVENT: 1 } },
  'payment-mismatch': { signals: { paymentConfirmed: 2 }, audit: { PAYMENT_MISMATCH: 1, PAYMENT_CONFIRMED: 1 }, emails: { REJECTION: 1, ACKNOWLEDGEMENT: 1 } },
  'upload-cap': { updates: { registerDocument: MAX_SUBMISSIONS_PER_ITEM + 1 }, audit: { DOCUMENT_REGISTERED: MAX_SUBMISSIONS_PER_ITEM + 1 } },
  'document-id-retried': { updates: { registerDocument: 3 }, audit: { DOCUMENT_REGISTERED: 2 } },
  'document-pages': {
    updates: { registerDocument: 4, removePage: 1, sendForReview: 2, rejectItem: 1 },
    audit: { DOCUMENT_PAGE_ADDED: 3, DOCUMENT_PAGE_REMOVED: 1, DOCUMENT_SENT_FOR_REVIEW: 2 },
    emails: { REJECTION: 1, ACKNOWLEDGEMENT: 1 },
  },
  // The production path since traces: every run started now takes the tracing patch (workflows/tracing.ts).
  'traced-completed-on-time': { patches: { 'opentelemetry-tracing': 1 }, audit: { STATUS_CHANGED: 1 }, emails: { INVITATION: 1, ACKNOWLEDGEMENT: 1 } },
  // Search attributes upserted only when their value changes: the run takes that patch.
  'attributes-on-change-completed-on-time': {
    patches: { 'search-attributes-upserted-on-change': 1 },
    audit: { STATUS_CHANGED: 1 },
    emails: { INVITATION: 1, ACKNOWLEDGEMENT: 1 },
  },
  // A run started since the first patch generation takes every patch of its release under the generation's one marker.
  'patch-generation-completed-on-time': {
    patches: { 'patches-2026-12-07': 1 },
    audit: { STATUS_CHANGED: 1 },
    emails: { INVITATION: 1, ACKNOWLEDGEMENT: 1 },
  },
  // A run started since the second generation (the first's patches and the kept wake-up timers): its one marker.
  'patch-generation-2-completed-on-time': {
    patches: { 'patches-2026-12-07-2': 1 },
    audit: { STATUS_CHANGED: 1 },
    emails: { INVITATION: 1, ACKNOWLEDGEMENT: 1 },
  },
  // A run started since the third generation (the second's patches and the projector's): its one marker.
  'patch-generation-3-completed-on-time': {
    patches: { 'patches-2026-12-07-3': 1 },
    audit: { STATUS_CHANGED: 1 },
    emails: { INVITATION: 1, ACKNOWLEDGEMENT: 1 },
  },
  // Wake-up timers kept across messages: the run takes that patch besides the generation.
  'kept-timers-completed-on-time': {
    patches: { 'patches-2026-12-07': 1, 'wake-up-timers-kept-across-messages': 1 },
    audit: { STATUS_CHANGED: 1 },
    emails: { INVITATION: 1, ACKNOWLEDGEMENT: 1 },
  },
  // Rule 'sent-submission-locked': a file sent at once with the bytes of the page waiting sends that page; a
  // further file while it awaits review is refused by the validator (nothing in the history).
  'sent-submission-locked': {
    patches: { 'sent-submission-locked': 1 },
    updates: { registerDocument: 3, verifyItem: 2 },
    audit: { DOCUMENT_PAGE_ADDED: 1, DOCUMENT_REGISTERED: 2 },
    emails: { INVITATION: 1, ACKNOWLEDGEMENT: 1 },
  },
  // The projector (patch 'update-answers-before-projection'): the four changes after the identification document's
  // upload, answered while its projection was held, are projected in one snapshot.
  'projector-batched-changes': {
    patches: { 'update-answers-before-projection': 1 },
    updates: { submitForm: 1, registerDocument: 2, verifyItem: 2 },
    audit: { DOCUMENT_REGISTERED: 2, ITEM_VERIFIED: 2 },
    emails: { INVITATION: 1, ACKNOWLEDGEMENT: 1 },
  },
  // The same since patch generation patches-2026-12-07-2: the generation's marker, and the projector's own (released after it).
  'projector-generation-batched-changes': {
    patches: { 'patches-2026-12-07-2': 1, 'update-answers-before-projection': 1 },
    updates: { submitForm: 1, registerDocument: 2, verifyItem: 2 },
    audit: { DOCUMENT_REGISTERED: 2, ITEM_VERIFIED: 2 },
    emails: { INVITATION: 1, ACKNOWLEDGEMENT: 1 },
  },
  // A registration at its first idle state, waiting for its student (invitation sent, projection written): what a
  // worker replays when the student's first action finds it out of the cache (npm run bench:replay).
  'first-idle': { patches: { 'patches-2026-12-07-3': 1 }, emails: { INVITATION: 1 }, activities: { projectRegistration: 1 } },
} as const satisfies Record<string, PathMarkers>;

export type RecordedPath = keyof typeof RECORDED_PATH_MARKERS;
export const RECORDED_PATHS = Object.keys(RECORDED_PATH_MARKERS) as RecordedPath[];

export type HistoryFacts = Required<Omit<PathMarkers, 'workflowType'>> & { workflowType?: string; upserts: number };

/** A payload of a history as JSON: fixtures recorded before payload encryption are plaintext, later ones sealed with the development key. */
function json(sealed?: temporal.api.common.v1.IPayload | null): unknown {
  const p = sealed ? openPayload(loadConfig({ NODE_ENV: 'test' }).payloadKeys, sealed) : undefined;
  return p?.data ? JSON.parse(Buffer.from(p.data).toString('utf8')) : undefined;
}

/**
 * The shape of a registration's updates and projections in a history: for each update, whether a workflow task
 * completed between its acceptance and its completion (the update waited for something, a projection say); and the
 * audit events each projection carried, as `seq:TYPE`, in the order the projections were scheduled.
 */
export function updateAndProjectionShape(history: temporal.api.history.v1.IHistory): {
  updates: { update: string; waited: boolean }[];
  projections: string[][];
} {
  const events = history.events ?? [];
  const tasksCompleted = events.filter((e) => e.workflowTaskCompletedEventAttributes).map((e) => Number(e.eventId));
  const updates = events
    .filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)
    .map((a) => {
      const request = a.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!;
      const done = events.find((e) => e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId === request.meta!.updateId);
      const waited = !done || tasksCompleted.some((t) => t > Number(a.eventId) && t < Number(done.eventId));
      return { update: request.input!.name!, waited };
    });
  const projections = events
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((a) => a?.activityType?.name === 'projectRegistration')
    .map((a) => ((json(a!.input?.payloads?.[0]) as { events: { seq: number; type: string }[] }).events ?? []).map((e) => `${e.seq}:${e.type}`));
  return { updates, projections };
}

/** What a history holds, counted by name: the markers above are checked against this. */
export function historyFacts(history: temporal.api.history.v1.IHistory): HistoryFacts {
  const facts: HistoryFacts = { updates: {}, signals: {}, audit: {}, emails: {}, activities: {}, patches: {}, upserts: 0 };
  const count = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);
  for (const e of history.events ?? []) {
    const started = e.workflowExecutionStartedEventAttributes;
    if (started?.workflowType?.name) facts.workflowType = started.workflowType.name;
    if (e.upsertWorkflowSearchAttributesEventAttributes) facts.upserts++;
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_patch') {
      // The SDK's core writes the patch id as plain JSON (not through the codec).
      const patch = json(marker.details?.['patch-data']?.payloads?.[0]) as { id?: string } | undefined;
      if (patch?.id) count(facts.patches, patch.id);
    }
    const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    if (update) count(facts.updates, update);
    const signal = e.workflowExecutionSignaledEventAttributes?.signalName;
    if (signal) count(facts.signals, signal);
    const activity = e.activityTaskScheduledEventAttributes;
    if (!activity?.activityType?.name) continue;
    count(facts.activities, activity.activityType.name);
    const input = json(activity.input?.payloads?.[0]) as { events?: { type: string }[]; message?: { kind: string } } | undefined;
    if (activity.activityType.name === 'projectRegistration') for (const ev of input?.events ?? []) count(facts.audit, ev.type);
    if (activity.activityType.name === 'recordLateEvent') count(facts.audit, 'LATE_EVENT');
    if (activity.activityType.name === 'sendEmail' && input?.message) count(facts.emails, input.message.kind);
  }
  return facts;
}

export const historiesDir = path.join(__dirname, '..', 'fixtures', 'histories');

export async function recordHistory(name: string, handle: RegistrationHandle): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  fs.mkdirSync(historiesDir, { recursive: true });
  const history = History.fromObject(await handle.fetchHistory());
  fs.writeFileSync(path.join(historiesDir, `${name}.json`), `${JSON.stringify(History.toObject(history, AS_JSON), null, 1)}\n`);
}

/** One run of a workflow that continued as new (a handle without a run id follows the chain to its latest run). */
export async function recordRunHistory(name: string, client: Client, workflowId: string, runId: string): Promise<void> {
  await recordHistory(name, client.workflow.getHandle(workflowId, runId) as RegistrationHandle);
}

export function readHistory(file: string): temporal.api.history.v1.IHistory {
  return History.fromObject(JSON.parse(fs.readFileSync(file, 'utf8')));
}
