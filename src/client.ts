/**
 * Client-side helpers of the registration workflow: start one per student, and
 * find it again by application number. Used by the gateway's cohort import,
 * the CLI tools and the tests.
 *
 * Id-conflict policy: the workflow id is `registration-<applicationNo>`, the
 * conflict policy FAIL and the reuse policy REJECT_DUPLICATE, so an id that was
 * ever used (running or closed) is never started again. Importing the same
 * student twice returns the existing registration with `started: false`; it
 * never creates a second run, and never resets a closed one.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { REGISTRATION_WORKFLOW_TYPE, registrationWorkflowId, type RegistrationInput } from '../workflows/registration/api';
import { buildChecklist, studentCategory } from '../workflows/registration/checklist';
import * as SA from '../workflows/registration/search-attributes';
import type { registrationWorkflow } from '../workflows/registration/workflow';

export type RegistrationHandle = WorkflowHandle<typeof registrationWorkflow>;

export interface StartedRegistration {
  handle: RegistrationHandle;
  /** false: a registration with this application number already existed (running or closed); nothing was started. */
  started: boolean;
}

export async function startRegistration(
  client: Client,
  input: RegistrationInput,
  options: { taskQueue: string; /** The cohort import starting it, kept in its memo (see importedBy). */ importId?: string },
): Promise<StartedRegistration> {
  const { student, policy } = input;
  const workflowId = registrationWorkflowId(student.applicationNo);
  try {
    const handle = await client.workflow.start<typeof registrationWorkflow>(REGISTRATION_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: options.taskQueue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      // Shown in the Temporal UI's workflow list and detail page.
      memo: { studentName: student.name, applicationNo: student.applicationNo, ...(options.importId ? { importId: options.importId } : {}) },
      staticSummary: `${student.name} (${student.applicationNo}) · ${student.programCode}`,
      // Filterable from the first moment; the workflow keeps the dynamic ones current. A new registration owes its
      // whole checklist, so its first change upserts nothing (the workflow upserts only what changed).
      typedSearchAttributes: [
        { key: SA.RegistrationStatus, value: 'IN_PROGRESS' },
        { key: SA.OutstandingItems, value: buildChecklist(student, policy).map((item) => item.key) },
        { key: SA.ProgramCode, value: student.programCode },
        { key: SA.StudyLevel, value: student.studyLevel },
        { key: SA.StudentCategory, value: studentCategory(student) },
        { key: SA.CohortId, value: student.cohortId },
        { key: SA.RegistrationDeadline, value: new Date(policy.registrationDeadline) },
      ],
    });
    return { handle, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { handle: registrationHandle(client, student.applicationNo), started: false };
    throw err;
  }
}

/** The cohort import that started this student's registration, from its memo; undefined when none did (or it is unknown). */
export async function importedBy(client: Client, applicationNo: string): Promise<string | undefined> {
  const memo = (await registrationHandle(client, applicationNo).describe()).memo as { importId?: unknown } | undefined;
  return typeof memo?.importId === 'string' ? memo.importId : undefined;
}

/** The registration of one student (its latest run; there is only ever one). */
export const registrationHandle = (client: Client, applicationNo: string): RegistrationHandle =>
  client.workflow.getHandle<typeof registrationWorkflow>(registrationWorkflowId(applicationNo));
