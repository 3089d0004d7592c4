/**
 * One admitted student's program registration, from invitation to outcome.
 *
 * Setup builds the checklist (RegistrationState) and installs the message
 * handlers; the run sends the invitation, then waits for the next message or
 * the next moment time matters (a reminder, a deadline, a resubmission window,
 * a verification service level), lets the state apply it, publishes the change
 * and sends whatever emails the change decided. It closes when the outcome is
 * final (COMPLETED or WITHDRAWN), every email is settled and every handler has
 * finished.
 *
 * Every change is published through one path, `publishChange`: search
 * attributes upserted, then the snapshot projected to PostgreSQL (stamped with
 * the state's sequence number so the read model applies them in order).
 *
 * Versioning: nothing is released yet, so there are no patches. From the first
 * release on, any change to the commands this code issues goes behind
 * `patched()` (docs/registration-workflow.md), and test/workflow/replay.test.ts
 * replays committed histories to catch the ones that were not.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RegistrationActivities } from '../../activities';
import {
  accountActivatedSignal,
  correctFormUpdate,
  declineOfferUpdate,
  extendDeadlineUpdate,
  getStatusQuery,
  paymentConfirmedSignal,
  registerDocumentUpdate,
  rejectItemUpdate,
  signInLinkRequestedSignal,
  submitFormUpdate,
  verifyItemUpdate,
  waiveItemUpdate,
} from './api';
import { studentCategory } from './checklist';
import { EMAIL_REJECTED_FAILURE, type EmailRequest } from './emails';
import * as SA from './search-attributes';
import { RegistrationState } from './state';
import type { RegistrationInput, RegistrationResult } from './types';
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

/** Years of Hong Kong holidays fetched ahead: a verification started in late December ends in January. */
const CALENDAR_LOOKAHEAD_YEARS = 1;

export async function registrationWorkflow(input: RegistrationInput): Promise<RegistrationResult> {
  // ---------------------------------------------------------------------------
  // Setup
  // ---------------------------------------------------------------------------
  const state = new RegistrationState(input, Date.now());
  // Decided before any handler can run, so the invitation is always the student's first email.
  state.invite();
  const indexed = input.searchAttributes !== false;
  /** Emails go out one at a time, in the order decided: a student never gets the notice before the invitation. */
  let mailing: Promise<void> = Promise.resolve();
  let calendarThrough = -1;
  let calendarLoading: Promise<void> | undefined;

  /** Hong Kong holidays up to the year after `ms`, fetched once per range. */
  async function ensureCalendar(ms: number): Promise<void> {
    const through = hkYear(ms) + CALENDAR_LOOKAHEAD_YEARS;
    while (calendarThrough < through) {
      if (!calendarLoading) {
        const fromYear = hkYear(Date.now());
        calendarLoading = hongKongHolidays({ fromYear, toYear: through }).then((dates) => {
          state.setHolidays(dates);
          calendarThrough = through;
          calendarLoading = undefined;
        });
      }
      await calendarLoading;
    }
  }

  /** The one path of every change: search attributes, then the read model. */
  async function publishChange(): Promise<void> {
    const snapshot = state.takeSnapshot();
    if (!snapshot.events.length) return;
    if (indexed) upsertSearchAttributes([
      { key: SA.RegistrationStatus, value: state.status },
      { key: SA.OutstandingItems, value: state.outstandingItems() },
      { key: SA.RegistrationDeadline, value: state.registrationDeadline() },
    ]);
    await projectRegistration(snapshot);
  }

  function sendDecidedEmails(): void {
    for (const request of state.takeEmails()) mailing = mailing.then(() => deliver(request));
  }

  async function deliver(request: EmailRequest): Promise<void> {
    try {
      state.emailSent(request, await sendEmail(request), Date.now());
    } catch (err) {
      // A refused email must not stop the registration; it is recorded where staff look (status, audit trail, email log).
      state.emailFailed(request, failureMessage(err), Date.now());
    }
    await publishChange();
  }

  /** Update handler: re-check after any wait (the state may have moved since the validator ran), change, publish. */
  const act =
    <I, R>(change: (input: I, now: number) => R, before?: () => Promise<void>) =>
    async (input: I): Promise<R> => {
      await before?.();
      const result = change(input, Date.now());
      await publishChange();
      sendDecidedEmails();
      return result;
    };
  const validate =
    <I>(check: (input: I, now: number) => void) =>
    (input: I): void =>
      check(input, Date.now());

  // Signals: events from other systems, which need no answer. A duplicate changes nothing.
  setHandler(accountActivatedSignal, async (input) => {
    if (state.activateAccount(input, Date.now())) await publishChange();
  });
  setHandler(paymentConfirmedSignal, async (input) => {
    if (state.confirmPayment(input, Date.now())) await publishChange();
  });
  setHandler(signInLinkRequestedSignal, async (input) => {
    // The email it decides goes out from the main loop (it wakes on decided emails).
    if (state.requestSignInLink(input, Date.now())) await publishChange();
  });

  // Updates: actions whose caller waits for the answer, refused by the validator before anything is recorded.
  setHandler(submitFormUpdate, act(state.submitForm.bind(state)), { validator: validate(state.checkSubmitForm.bind(state)) });
  setHandler(
    registerDocumentUpdate,
    act(state.registerDocument.bind(state), () => ensureCalendar(Date.now())),
    { validator: validate(state.checkRegisterDocument.bind(state)) },
  );
  setHandler(verifyItemUpdate, act(state.verifyItem.bind(state)), { validator: validate(state.checkReview.bind(state)) });
  setHandler(rejectItemUpdate, act(state.rejectItem.bind(state)), { validator: validate(state.checkReject.bind(state)) });
  setHandler(waiveItemUpdate, act(state.waiveItem.bind(state)), { validator: validate(state.checkWaive.bind(state)) });
  setHandler(extendDeadlineUpdate, act(state.extendDeadline.bind(state)), { validator: validate(state.checkExtendDeadline.bind(state)) });
  setHandler(correctFormUpdate, act(state.correctForm.bind(state)), { validator: validate(state.checkCorrectForm.bind(state)) });
  setHandler(declineOfferUpdate, act(state.declineOffer.bind(state)), { validator: validate(state.checkDecline.bind(state)) });

  setHandler(getStatusQuery, () => state.view());

  // ---------------------------------------------------------------------------
  // Run
  // ---------------------------------------------------------------------------

  async function start(): Promise<void> {
    const { student } = input;
    if (!workflowInfo().memo?.studentName) upsertMemo({ studentName: student.name, applicationNo: student.applicationNo });
    if (indexed) upsertSearchAttributes([
      { key: SA.ProgramCode, value: student.programCode },
      { key: SA.StudyLevel, value: student.studyLevel },
      { key: SA.StudentCategory, value: studentCategory(student) },
      { key: SA.CohortId, value: student.cohortId },
    ]);
    await ensureCalendar(Date.now());
    await publishChange();
  }

  function sendInvitation(): void {
    sendDecidedEmails();
  }

  /** Until a message changes something, or the next moment that matters arrives. */
  async function awaitNextEvent(): Promise<void> {
    const seen = state.seq;
    const next = state.nextWakeUp(Date.now());
    const changed = () => state.seq !== seen || state.hasEmailsToSend;
    if (next) await condition(changed, next.at - Date.now(), { summary: next.what });
    else await condition(changed);
  }

  async function applyTime(): Promise<void> {
    state.advance(Date.now());
    await publishChange();
    sendDecidedEmails();
  }

  async function close(): Promise<RegistrationResult> {
    // The outcome email (and any other) must be settled before the workflow ends, or a retry would be lost.
    while (state.hasEmailsToSend) {
      sendDecidedEmails();
      await mailing;
    }
    await mailing;
    await condition(allHandlersFinished);
    await publishChange();
    return state.result();
  }

  await start();
  sendInvitation();
  while (!state.isClosed) {
    await awaitNextEvent();
    await applyTime();
  }
  return close();
}

function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type === EMAIL_REJECTED_FAILURE) return cause.message;
  return cause instanceof Error ? cause.message : String(cause);
}
