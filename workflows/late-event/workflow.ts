/**
 * A payment or an account activation that arrives after a registration's
 * workflow has closed cannot be signalled to it any more, yet money that
 * arrives must never vanish. The gateway starts this small workflow instead
 * (one per webhook delivery, id `late-event-<applicationNo>-<delivery hash>`):
 * it has the projection record the event against the registration (audit
 * trail + LateEvent row, the next seq) and mails the registry once, under an
 * idempotency key made here from the delivery.
 *
 * While the registration workflow is still open (its outcome reached, the
 * last emails going out) the event is a plain signal, and the registration
 * records it itself (recordLateEvent in registration/event-actions.ts): the same audit event,
 * row and email kind.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { RegistrationActivities } from '../../activities';
import { contactsFor } from '../registration/policy';
import { EMAIL_REJECTED_FAILURE, emailIdempotencyKey, lateEventFacts, type EmailRequest } from '../registration/emails';
import { registrationWorkflowId, type OutcomeReason, type RegistrationStatus, type StudentRecord } from '../registration/api';
import type { LateEventKind } from '../registration/types';

const { recordLateEvent } = proxyActivities<RegistrationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const { sendEmail } = proxyActivities<RegistrationActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes', nonRetryableErrorTypes: [EMAIL_REJECTED_FAILURE] },
});

export const LATE_EVENT_WORKFLOW_TYPE = 'lateEventWorkflow';

export interface LateEventWorkflowInput {
  applicationNo: string;
  event: LateEventKind;
  actor: string;
  /** `<source>:<delivery id>`, the webhook delivery this records. */
  deliveryKey: string;
  /** A short, stable name of the delivery (the gateway's hash of deliveryKey), for ids and the email key. */
  ref: string;
  receivedAt: string;
  data: Record<string, unknown>;
}

export const lateEventWorkflowId = (applicationNo: string, ref: string): string => `late-event-${applicationNo}-${ref}`;

export async function lateEventWorkflow(input: LateEventWorkflowInput): Promise<{ seq: number; emailKey: string }> {
  const { ref: _ref, ...record } = input;
  const recorded = await recordLateEvent(record);
  const workflowId = registrationWorkflowId(input.applicationNo);
  const student = recorded.student as StudentRecord;
  const request: EmailRequest = {
    idempotencyKey: emailIdempotencyKey(workflowId, 'LATE_EVENT', input.ref),
    workflowId,
    registrationNo: input.applicationNo,
    to: [],
    // The registry's alert names the student and the event; it uses no policy numbers and mints no link.
    context: {
      student,
      deadlines: recorded.deadlines,
      contacts: contactsFor(student),
      items: [],
      policy: { verificationSlaWorkingDays: 0, resubmissionWindowDays: 0, reminderDaysBefore: [] },
      changeableUntil: recorded.deadlines.registration,
    },
    message: {
      kind: 'LATE_EVENT',
      event: input.event,
      status: recorded.status as RegistrationStatus,
      ...(recorded.outcomeReason ? { outcomeReason: recorded.outcomeReason as OutcomeReason } : {}),
      receivedAt: input.receivedAt,
      facts: lateEventFacts(input.event, input.data),
    },
  };
  try {
    await sendEmail(request);
  } catch {
    // A refused alert is logged FAILED in the email log; the event itself is recorded, which is what must not be lost.
  }
  return { seq: recorded.seq, emailKey: request.idempotencyKey };
}
