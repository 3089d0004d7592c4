/**
 * One admitted student's program registration, from invitation to outcome.
 *
 * Setup builds the checklist (state.ts) and installs one handler per message
 * of the action table (actions.ts); the run sends the invitation, then waits for the next message or
 * the next moment time matters (a reminder, a deadline, a resubmission window,
 * a verification service level), lets the state apply it, publishes the change
 * and sends whatever emails the change decided. It closes when the outcome is
 * final (COMPLETED or WITHDRAWN), every email is settled and every handler has
 * finished.
 *
 * Every change is published through one path, `publishChange`: search
 * attributes upserted, then the snapshot projected to PostgreSQL (stamped with
 * the state's sequence number so the read model applies them in order). A run
 * that took the patch `update-answers-before-projection` publishes through one
 * projector that nobody awaits: an update answers in the workflow task that
 * accepted it, and the changes made while a projection is in flight go out
 * together in the next (docs/registration-workflow.md, "One path for every
 * change").
 *
 * History stays bounded: uploads per item are capped, projections carry only
 * what changed, and the run continues as new (carrying the whole state) when
 * the server suggests it or the history passes HISTORY_BUDGET.
 *
 * Versioning: any change to the commands this code issues for an existing
 * history goes behind `patched()` (docs/registration-workflow.md), and
 * test/workflow/replay.test.ts replays committed histories to catch the ones
 * that were not. A signal added later names its patch in the action table
 * (actions.ts, `patch`); a changed rule of the state machine is adopted
 * through rule-changes.ts.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  currentUpdateInfo,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RegistrationActivities } from '../../activities';
import { SIGNALS, UPDATES, type SignalAction, type UpdateAction } from './actions';
import { getStatusQuery } from './api';
import { studentCategory } from './checklist';
import { emailFailed, emailSent, handOverEmail } from './email-decisions';
import { EMAIL_REJECTED_FAILURE } from './emails';
import { result } from './outcome';
import { PROJECTION_UNWRITABLE_FAILURE } from './projection';
import * as SA from './search-attributes';
import { patched } from '../patches';
import { RULE_CHANGES } from './rule-changes';
import { adoptRules, carry, invite, resumeRegistration, setHolidays, startRegistration } from './state';
import { isClosed } from './state-core';
import { advance, nextWakeUp } from './time-actions';
import type { RegistrationInput, RegistrationResult } from './types';
import { ProjectionTraces } from './projection-trace';
import { outstanding, statusView, takeReplayedSnapshot, takeSnapshot, type AuditEventRecord, type ProjectionSnapshot, type ReplayedSnapshot } from './views';
import { hkYear } from './working-days';

const { projectRegistration } = proxyActivities<RegistrationActivities>({
  startToCloseTimeout: '30 seconds',
  // The read model may be down for a while; the projection waits for it rather than losing a change.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const { sendEmail } = proxyActivities<RegistrationActivities>({
  startToCloseTimeout: '1 minute',
  // Transient failures (429, 5xx, network) retry with backoff; a refusal for good is not retried.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes', nonRetryableErrorTypes: [EMAIL_REJECTED_FAILURE] },
});

const { hongKongHolidays } = proxyLocalActivities<RegistrationActivities>({ startToCloseTimeout: '10 seconds' });

/** Audit events that change whether the personal email is deliverable (the PersonalEmailProblem search attribute). */
const ADDRESS_EVENTS = ['PERSONAL_EMAIL_UNDELIVERABLE', 'PERSONAL_EMAIL_CORRECTED'];

/** Update answers a run remembers and hands to the next (a retry across a continuation comes within seconds). */
const ANSWERS_CARRIED = 20;

/**
 * The patch of the projector (see `project`): decided once per run, at its start, so a history recorded before
 * it replays on the old path to its end, and a run started since (a continued run included) uses it throughout.
 */
const PROJECTOR_PATCH = 'update-answers-before-projection';

/** Years of Hong Kong holidays fetched ahead: a verification started in late December ends in January. */
const CALENDAR_LOOKAHEAD_YEARS = 1;

/**
 * When a run continues as new, whichever comes first (besides the server's own
 * `continueAsNewSuggested`): far below Temporal's limits (50,000 events / 50 MB,
 * warnings from 10,240 events / 10 MB), so a run replays in milliseconds and a
 * worker's cache stays small. A typical registration (a few dozen events) never
 * gets near it; only an unusual number of messages does.
 */
export const HISTORY_BUDGET = { events: 2_000, bytes: 2 * 1024 * 1024 } as const;

/**
 * Search attributes upserted only when their value changes (docs/registration-workflow.md, "Search attributes"):
 * the code before upserted the three dynamic ones on every change, and the student's facts at every start.
 */
const UPSERTS_ON_CHANGE_PATCH = 'search-attributes-upserted-on-change';

/**
 * Wake-up timers kept across messages (docs/registration-workflow.md, "The run"): the code before waited with
 * `condition(changed, next - now)`, whose timer every message cancelled and the next wait started again.
 */
const KEPT_TIMERS_PATCH = 'wake-up-timers-kept-across-messages';

export async function registrationWorkflow(input: RegistrationInput): Promise<RegistrationResult> {
  // ---------------------------------------------------------------------------
  // Setup
  // ---------------------------------------------------------------------------
  const { carried, answeredUpdates, ...registration } = input;
  /**
   * The changed rules (rule-changes.ts), each adopted through `patched()`: false while a history recorded before
   * the change replays, so that history issues the commands it did; true from the first live step on.
   */
  const adoptedRules = () => RULE_CHANGES.filter((id) => patched(id));
  /** Whether this run publishes through the projector (true for every run started since the patch). */
  const projector = patched(PROJECTOR_PATCH);
  const r = carried ? resumeRegistration(registration, carried, Date.now()) : startRegistration(registration, Date.now(), adoptedRules());
  if (carried) adoptRules(r, adoptedRules());
  // Decided before any handler can run, so the invitation is always the student's first email.
  if (!carried) invite(r);
  /**
   * Emails go out one at a time, in the order decided (a student never gets the notice before the invitation), by
   * one mailer at a time that takes the next from the state's queue when it is free to send it.
   */
  let mailing: Promise<void> = Promise.resolve();
  let mailerRunning = false;
  let projecting = 0;
  /** The projector is running (see `project`). */
  let projectorRunning = false;
  /** The trace each change was made in, for the projection that publishes it (projection-trace.ts). */
  const traces = new ProjectionTraces();
  /** Set once the run has decided to continue as new (see continueWithFreshHistory). */
  let draining = false;
  /**
   * The latest updates' answers by update id, carried across continue-as-new. Temporal deduplicates update ids
   * within a run only; an update the server aborts while the run continues is retried by the client on the next
   * run, and one that took effect here must get its first answer there, not be applied again.
   */
  const answered = new Map<string, unknown>(answeredUpdates ?? []);
  let calendarThrough = -1;
  let calendarLoading: Promise<void> | undefined;
  /** Some email decided is not yet confirmed (sent or refused for good). */
  const hasEmailsToSend = (): boolean => r.emailQueue.length > 0;

  /** Hong Kong holidays up to the year after `ms`, fetched once per range. */
  async function ensureCalendar(ms: number): Promise<void> {
    const through = hkYear(ms) + CALENDAR_LOOKAHEAD_YEARS;
    while (calendarThrough < through) {
      if (!calendarLoading) {
        const fromYear = hkYear(Date.now());
        calendarLoading = hongKongHolidays({ fromYear, toYear: through }).then((dates) => {
          setHolidays(r, dates);
          calendarThrough = through;
          calendarLoading = undefined;
        });
      }
      await calendarLoading;
    }
  }

  /** The one path of every change: search attributes, then the read model. */
  async function publishChange(): Promise<void> {
    const snapshot = snapshotToProject();
    if (!snapshot.events.length) return;
    upsertStatusAttributes(snapshot.events);
    await projectSnapshot(snapshot);
  }

  /** The status attributes the Temporal UI filters on, after the change that recorded `events`. */
  function upsertStatusAttributes(events: readonly AuditEventRecord[]): void {
    // Only a change of the personal email's deliverability touches its attribute (no other history carries it).
    const addressChanged = events.some((e) => ADDRESS_EVENTS.includes(e.type));
    upsertAttributes([
      { key: SA.RegistrationStatus, value: r.status },
      { key: SA.OutstandingItems, value: outstanding(r) },
      { key: SA.RegistrationDeadline, value: new Date(r.deadlines.REGISTRATION!.at) },
      ...(addressChanged ? [{ key: SA.PersonalEmailProblem, value: r.personalEmailProblem?.problem ?? null }] : []),
    ]);
  }

  /**
   * The projection's input: the snapshot of every change not yet projected, or, while the run replays its history,
   * only the changes taken (views.ts, takeReplayedSnapshot): a replayed command's input is never sent, and building
   * the view is work a replay would throw away (docs/registration-workflow.md, "What a replay costs").
   */
  function snapshotToProject(): ProjectionSnapshot | ReplayedSnapshot {
    return workflowInfo().unsafe.isReplaying ? takeReplayedSnapshot(r) : takeSnapshot(r);
  }

  async function projectSnapshot(snapshot: ProjectionSnapshot | ReplayedSnapshot): Promise<void> {
    projecting++;
    try {
      // A replayed snapshot goes only into a replayed command, which the history's own input stands for.
      await projectRegistration(snapshot as ProjectionSnapshot);
    } catch (err) {
      // PostgreSQL refuses this change's data for good; the activity has alerted the registry. The
      // workflow (deadlines, emails, the live status) must not stall or fail on its read model.
      if (!(err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === PROJECTION_UNWRITABLE_FAILURE)) throw err;
      log.error('read model refused a change', { seq: snapshot.seq, error: err.cause.message });
    } finally {
      projecting--;
    }
  }

  /**
   * The seq up to which the status attributes are upserted (projector runs only): a change's attributes are
   * upserted in the workflow task that made it, as on the old path, however long its projection waits.
   */
  let attributedThrough = (r.unprojected[0]?.seq ?? r.seq + 1) - 1;

  /**
   * The change just applied, published. Old runs (patch not taken) await publishChange, as before. Projector
   * runs upsert the status attributes now and hand the read model to the projector, not awaited: an update
   * answers in the workflow task that accepted it.
   */
  async function publish(): Promise<void> {
    if (!projector) return publishChange();
    const fresh = r.unprojected.filter((e) => e.seq > attributedThrough);
    if (!fresh.length) return;
    attributedThrough = r.seq;
    traces.record(r.seq);
    upsertStatusAttributes(fresh);
    project();
  }

  /**
   * One projector at a time: it takes every change recorded and not yet projected (takeSnapshot) and projects
   * it in one activity; the changes recorded while that activity is in flight go out together in the next.
   * So snapshots reach the read model one at a time, in seq order.
   */
  function project(): void {
    if (projectorRunning) return;
    projectorRunning = true;
    void projectPending().finally(() => {
      projectorRunning = false;
    });
  }

  async function projectPending(): Promise<void> {
    // Continuing as new: the projection in flight finishes; what is recorded after it is carried, and the next run
    // projects it first. Updates that keep coming while each projection is in flight would otherwise never let the
    // projector fall idle, and the run could not continue (its history would grow without bound).
    while (r.unprojected.length && !draining) {
      const snapshot = snapshotToProject();
      await traces.within(r.seq, () => projectSnapshot(snapshot));
    }
  }

  /** Nothing is being projected and everything recorded is projected (or being projected by the old path). */
  const projectionIdle = (): boolean => projecting === 0 && !projectorRunning;

  /**
   * Upserts these attributes; under the patch only those whose value differs from what the run holds (what its
   * start set or a continued run inherited, and every upsert since), so the Temporal UI shows the same at every step.
   */
  function upsertAttributes(pairs: SearchAttributeUpdatePair[]): void {
    if (!patched(UPSERTS_ON_CHANGE_PATCH)) {
      upsertSearchAttributes(pairs);
      return;
    }
    const held = workflowInfo().typedSearchAttributes;
    const changed = pairs.filter((p) => !sameAttributeValue(held.get(p.key), p.value));
    if (changed.length) upsertSearchAttributes(changed);
  }

  function sendDecidedEmails(): void {
    if (mailerRunning || draining) return;
    mailerRunning = true;
    mailing = mailQueued().finally(() => {
      mailerRunning = false;
    });
  }

  async function mailQueued(): Promise<void> {
    // Continuing as new: no new send; what is still queued (or in flight) is carried and the next run sends it
    // under the same key, so the emails queued add no events to a run that is already over its budget.
    while (!draining) {
      const request = handOverEmail(r);
      if (!request) return;
      try {
        emailSent(r, request, await sendEmail(request), Date.now());
      } catch (err) {
        // A refused email must not stop the registration; it is recorded where staff look (status, audit trail, email log).
        emailFailed(r, request, failureMessage(err), Date.now());
      }
      await publish();
    }
  }

  /** Update handler: re-check after any wait (the state may have moved since the validator ran), change, publish. */
  const act =
    <I, R>(change: (input: I, now: number) => R, before?: () => Promise<void>) =>
    async (input: I): Promise<R> => {
      const id = currentUpdateInfo()?.id;
      if (id !== undefined && answered.has(id)) return answered.get(id) as R;
      await before?.();
      adoptRules(r, adoptedRules());
      const result = change(input, Date.now());
      if (id !== undefined) remember(id, result);
      // With the projector the answer goes back in this workflow task; the read model follows (`project`).
      await publish();
      sendDecidedEmails();
      return result;
    };
  const validate =
    <I>(check: (input: I, now: number) => void) =>
    (input: I): void => {
      const id = currentUpdateInfo()?.id;
      if (id !== undefined && answered.has(id)) return; // answered by an earlier run: the handler repeats that answer
      check(input, Date.now());
    };
  function remember(id: string, result: unknown): void {
    answered.set(id, result);
    for (const oldest of answered.keys()) {
      if (answered.size <= ANSWERS_CARRIED) break;
      answered.delete(oldest);
    }
  }

  // Signals: events from other systems, which need no answer. A duplicate changes nothing. The email one decides
  // (a sign-in link) goes out from the main loop (it wakes on decided emails).
  function installSignal<I>(action: SignalAction<I>): void {
    setHandler(action.message, async (input: I) => {
      // A history recorded before this signal had a handler may hold it unhandled: replaying it must not act on it.
      if (action.patch && !patched(action.patch)) return;
      adoptRules(r, adoptedRules());
      if (action.apply(r, input, Date.now())) await publish();
    });
  }
  for (const entry of SIGNALS) entry(installSignal);

  // Updates: actions whose caller waits for the answer, refused by the validator before anything is recorded.
  function installUpdate<I, R>(action: UpdateAction<I, R>): void {
    const before = action.needsCalendar ? () => ensureCalendar(Date.now()) : undefined;
    setHandler(
      action.message,
      act((input: I, now) => {
        const answer = action.apply(r, input, now);
        // The Temporal UI filters on the student's facts: they follow a reclassification (the rest follow in publishChange).
        if (action.movesStudent) upsertAttributes(studentAttributes(r.input.student));
        // Every answer names the change it leaves the registration at, so that the caller can read the read model no
        // older than that (docs/architecture.md, "Reading one's own change"). A status answer has it already.
        return { ...answer, seq: r.seq };
      }, before),
      {
        validator: validate((input: I, now) => action.validate(r, input, now)),
      },
    );
  }
  for (const entry of UPDATES) entry(installUpdate);

  setHandler(getStatusQuery, () => statusView(r));

  // ---------------------------------------------------------------------------
  // Run
  // ---------------------------------------------------------------------------

  async function start(): Promise<void> {
    const { student } = input;
    if (!workflowInfo().memo?.studentName) upsertMemo({ studentName: student.name, applicationNo: student.applicationNo });
    // A continued run inherits its memo and search attributes from the previous one.
    if (!carried) upsertAttributes([...studentAttributes(student), { key: SA.CohortId, value: student.cohortId }]);
    await ensureCalendar(Date.now());
    await publish();
  }

  function sendInvitation(): void {
    sendDecidedEmails();
  }

  /**
   * The wake-up timers (under the patch), by the moment they wake at. A timer outlives the message that woke the
   * loop: a message that leaves the next moment where it was adds no timer event, and one that brings an earlier
   * moment (a verification's service level before the next reminder) starts its timer and keeps the later one,
   * which is the next moment again once the earlier has passed. A timer is cancelled only once its moment comes
   * before the next one (it would wake the loop for nothing); a closing run leaves the rest to the server.
   */
  const wakeTimers = new Map<number, { fired: boolean; scope: CancellationScope }>();

  function startWakeTimer(next: { at: number; what: string }): void {
    const timer = { fired: false, scope: new CancellationScope() };
    wakeTimers.set(next.at, timer);
    timer.scope
      .run(() => sleep(next.at - Date.now(), { summary: next.what }))
      .then(
        () => {
          timer.fired = true;
        },
        () => undefined, // cancelled: its moment no longer matters
      );
  }

  /** Until a message changes something, or the next moment that matters arrives. */
  async function awaitNextEvent(): Promise<void> {
    const seen = r.seq;
    const next = nextWakeUp(r, Date.now());
    const changed = () => r.seq !== seen || (hasEmailsToSend() && !mailerRunning);
    if (!patched(KEPT_TIMERS_PATCH)) {
      if (next) await condition(changed, next.at - Date.now(), { summary: next.what });
      else await condition(changed);
      return;
    }
    for (const [at, timer] of wakeTimers) {
      if (next && at >= next.at) continue;
      if (!timer.fired) timer.scope.cancel();
      wakeTimers.delete(at);
    }
    if (next && !wakeTimers.has(next.at)) startWakeTimer(next);
    const timer = next && wakeTimers.get(next.at);
    await condition(() => changed() || !!timer?.fired);
    if (next && timer?.fired) wakeTimers.delete(next.at);
  }

  async function applyTime(): Promise<void> {
    adoptRules(r, adoptedRules());
    advance(r, Date.now());
    await publish();
    sendDecidedEmails();
  }

  async function close(): Promise<RegistrationResult> {
    // The outcome email (and any other) must be settled before the workflow ends, or a retry would be lost.
    // A late event (payment, activation) can still arrive meanwhile: it is recorded and mailed before the end too.
    for (;;) {
      while (hasEmailsToSend()) {
        sendDecidedEmails();
        await mailing;
      }
      await mailing;
      await condition(allHandlersFinished);
      if (projector) {
        project();
        await condition(projectionIdle);
      } else await publishChange();
      if (!hasEmailsToSend() && !r.unprojected.length) return result(r);
    }
  }

  /** The server suggests it, or this run's history passed our budget. */
  function historyFull(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > HISTORY_BUDGET.events || info.historySize > HISTORY_BUDGET.bytes;
  }

  /**
   * Continue as new with the whole state. Waits until every handler has finished (an update's caller gets its
   * answer from this run) and no projection is in flight (on the old path the read model then has every change;
   * the projector's runs carry the changes recorded after its last projection, see projectPending); an email still
   * being sent, or still queued (no new send starts meanwhile), is handed to the next run, which sends it
   * under the same idempotency key.
   */
  async function continueWithFreshHistory(): Promise<never> {
    draining = true;
    for (;;) {
      await condition(() => allHandlersFinished() && projectionIdle());
      // Projector runs carry what is not projected yet (the next run's start projects it first, in seq order).
      if (projector || !r.unprojected.length) break;
      await publishChange();
    }
    return continueAsNew<typeof registrationWorkflow>({ ...registration, carried: carry(r), answeredUpdates: [...answered] });
  }

  await start();
  sendInvitation();
  while (!isClosed(r)) {
    if (historyFull()) return continueWithFreshHistory();
    await awaitNextEvent();
    await applyTime();
  }
  return close();
}

/** The search attributes of the student's facts that a reclassification may change. */
function studentAttributes(student: RegistrationInput['student']) {
  return [
    { key: SA.ProgramCode, value: student.programCode },
    { key: SA.StudyLevel, value: student.studyLevel },
    { key: SA.StudentCategory, value: studentCategory(student) },
  ];
}

/**
 * Whether a search attribute already holds this value: dates by instant, lists element by element, and an unset
 * attribute alike with null and with an empty list (the Temporal UI shows none of them).
 */
function sameAttributeValue(held: unknown, value: unknown): boolean {
  const none = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0);
  if (none(held) || none(value)) return none(held) && none(value);
  if (held instanceof Date && value instanceof Date) return held.getTime() === value.getTime();
  if (Array.isArray(held) && Array.isArray(value)) return held.length === value.length && held.every((v, i) => v === value[i]);
  return held === value;
}

function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type === EMAIL_REJECTED_FAILURE) return cause.message;
  return cause instanceof Error ? cause.message : String(cause);
}
