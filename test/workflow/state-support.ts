/** Shared by the state machine's tests (state*.test.ts): one student, one cohort, a registration already invited. */
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { type RegistrationFailure, defaultCohortPolicy, type CohortPolicy, type StudentRecord } from '../../workflows/registration/api';
import { invite, startRegistration } from '../../workflows/registration/state';
import { takeEmails } from '../../workflows/registration/email-decisions';
import type { RegistrationRecord } from '../../workflows/registration/records';
import { rejectItem } from '../../workflows/registration/review-actions';
import { registerDocument } from '../../workflows/registration/student-actions';
import type { ItemKey } from '../../workflows/registration/types';
import { DAY, STAFF, aStudent, upload } from './support';

export const T0 = Date.parse('2027-06-01T02:00:00Z');
export const DEADLINE = T0 + 30 * DAY;
/** One fixed student (A100), so the tests can spell its email addresses and keys by hand. */
export const student = (o: Partial<StudentRecord> = {}): StudentRecord => aStudent({ applicationNo: 'A100', cohortId: 'c', ...o });
export const registration = (s = student(), policy: CohortPolicy = defaultCohortPolicy(new Date(DEADLINE).toISOString())) => {
  const r = startRegistration({ student: s, policy }, T0);
  invite(r);
  takeEmails(r);
  return r;
};

export function refused(type: RegistrationFailure, action: () => unknown, message?: RegExp): void {
  assert.throws(action, (e: unknown) => {
    assert.ok(e instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(e)}`);
    assert.equal(e.type, type);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/**
 * Another file for an item: a submission waiting for review takes none until the registry decides (docs/domain.md,
 * "Files and pages"), so the registry rejects it first.
 */
export function uploadAgain(r: RegistrationRecord, itemKey: ItemKey, at: number) {
  if (r.items.find((i) => i.key === itemKey)?.state === 'SUBMITTED') {
    rejectItem(r, { actor: STAFF, itemKey, reasonCode: 'UNREADABLE', note: 'Please send it again.' }, at);
  }
  return registerDocument(r, upload(itemKey), at);
}
