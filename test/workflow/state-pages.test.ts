/**
 * Several files per document in the state machine (docs/domain.md, "Files and
 * pages"), for what the time-skipping tests do not reach cheaply: a
 * registration from before pages replays and acts as it did, and once it
 * follows the new rule its one-file submission is still decided on.
 */
import assert from 'node:assert/strict';
import { RegistrationFailure } from '../../workflows/registration/api';
import { checkRemovePage, sendForReview } from '../../workflows/registration/document-pages';
import { rejectItem, verifyItem } from '../../workflows/registration/review-actions';
import { RULE_CHANGES } from '../../workflows/registration/rule-changes';
import { adoptRules, invite, setHolidays, startRegistration } from '../../workflows/registration/state';
import { registerDocument } from '../../workflows/registration/student-actions';
import { takeSnapshot } from '../../workflows/registration/views';
import { DEADLINE, T0, refused, student } from './state-support';
import { HOUR, STAFF, policyDue, upload } from './support';

/** A registration started before the rule 'document-pages' existed (its history replays without the patch). */
function startedBeforePages() {
  const r = startRegistration(
    { student: student({ residency: 'NON_LOCAL' }), policy: policyDue(DEADLINE) },
    T0,
    RULE_CHANGES.filter((c) => c !== 'document-pages'),
  );
  setHolidays(r, []);
  invite(r);
  return r;
}

describe('registration state: document pages', () => {
  it('before the change, an upload is a submission at once even when asked to keep it as a page (what its history recorded)', () => {
    const r = startedBeforePages();
    const item = registerDocument(r, upload('ID_DOCUMENT', { keepDraft: true }), T0 + HOUR);
    assert.equal(item.state, 'SUBMITTED');
    assert.deepEqual(item.draft, []);
    assert.deepEqual(
      item.submissions.map((s) => [s.version, s.page]),
      [[1, undefined]],
    );
    assert.deepEqual(
      takeSnapshot(r)
        .events.map((e) => e.type)
        .filter((t) => t.startsWith('DOCUMENT')),
      ['DOCUMENT_REGISTERED'],
    );
  });

  it('a one-file submission from before the change is verified after it; a rejection then opens a submission of pages as version 2', () => {
    const r = startedBeforePages();
    registerDocument(r, upload('ID_DOCUMENT'), T0 + HOUR);
    registerDocument(r, upload('VISA'), T0 + HOUR);
    adoptRules(r, RULE_CHANGES); // the next live step of a running registration, on the new worker
    assert.equal(verifyItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT' }, T0 + 2 * HOUR).state, 'VERIFIED');

    rejectItem(r, { actor: STAFF, itemKey: 'VISA', reasonCode: 'INCOMPLETE_PAGES', note: 'Every page, please.' }, T0 + 2 * HOUR);
    registerDocument(r, upload('VISA', { keepDraft: true }), T0 + 3 * HOUR);
    registerDocument(r, upload('VISA', { keepDraft: true }), T0 + 3 * HOUR);
    const sent = sendForReview(r, { actor: 'student', itemKey: 'VISA' }, T0 + 4 * HOUR);
    assert.equal(sent.state, 'SUBMITTED');
    assert.deepEqual(
      sent.submissions.map((s) => [s.version, s.page ?? 1]),
      [
        [1, 1],
        [2, 1],
        [2, 2],
      ],
    );
    // Pages sent later than they came carry when they were sent: the item came in then, not at the first page.
    assert.deepEqual(
      sent.submissions.slice(1).map((s) => s.sentAt),
      [new Date(T0 + 4 * HOUR).toISOString(), new Date(T0 + 4 * HOUR).toISOString()],
    );
    refused(RegistrationFailure.InvalidTransition, () => checkRemovePage(r, { actor: 'student', itemKey: 'VISA', page: 1 }, T0 + 5 * HOUR), /sent for review/);
  });

  it('a file sent at once goes with the pages added before it, as one submission', () => {
    const r = startRegistration({ student: student(), policy: policyDue(DEADLINE) }, T0);
    setHolidays(r, []);
    registerDocument(r, upload('ID_DOCUMENT', { keepDraft: true }), T0 + HOUR);
    const item = registerDocument(r, upload('ID_DOCUMENT'), T0 + 2 * HOUR);
    assert.equal(item.state, 'SUBMITTED');
    assert.deepEqual(
      item.submissions.map((s) => [s.version, s.page]),
      [
        [1, 1],
        [1, 2],
      ],
    );
  });
});
