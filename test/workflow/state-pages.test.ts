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
import { RULE_CHANGES, type RuleChange } from '../../workflows/registration/rule-changes';
import { adoptRules, invite, setHolidays, startRegistration } from '../../workflows/registration/state';
import { registerDocument } from '../../workflows/registration/student-actions';
import { takeSnapshot } from '../../workflows/registration/views';
import { DEADLINE, T0, refused, student } from './state-support';
import { HOUR, STAFF, policyDue, upload } from './support';

/** A registration started before these rules changed (its history replays without their patches). */
function startedBefore(...changes: RuleChange[]) {
  const r = startRegistration(
    { student: student({ residency: 'NON_LOCAL' }), policy: policyDue(DEADLINE) },
    T0,
    RULE_CHANGES.filter((c) => !changes.includes(c)),
  );
  setHolidays(r, []);
  invite(r);
  return r;
}
/** A registration started before the rule 'document-pages' existed. */
const startedBeforePages = () => startedBefore('document-pages', 'sent-submission-locked');

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

  it('a submission sent for review takes no file sent at once either, from staff or the student, until the registry decides', () => {
    const r = startedBefore();
    registerDocument(r, upload('ID_DOCUMENT'), T0 + HOUR);
    for (const by of [{}, { actor: STAFF, uploadedBy: STAFF }]) {
      refused(
        RegistrationFailure.InvalidTransition,
        () => registerDocument(r, upload('ID_DOCUMENT', by), T0 + 2 * HOUR),
        /was sent for review: its pages cannot change until the registry decides/,
      );
    }
    const item = r.items.find((i) => i.key === 'ID_DOCUMENT')!;
    assert.deepEqual(
      item.submissions.map((s) => s.version),
      [1],
    );
    assert.equal(item.submittedAt, T0 + HOUR, 'the review clock runs on from the first send');
    // Rejected, the next submission is open again, to a file sent at once too.
    rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'Blurred.' }, T0 + 3 * HOUR);
    assert.equal(registerDocument(r, upload('ID_DOCUMENT'), T0 + 4 * HOUR).state, 'SUBMITTED');
    assert.deepEqual(
      item.submissions.map((s) => s.version),
      [1, 2],
    );
  });

  it("before 'sent-submission-locked', a file sent at once replaced a submission waiting for review (what its history recorded)", () => {
    const r = startedBefore('sent-submission-locked');
    registerDocument(r, upload('ID_DOCUMENT'), T0 + HOUR);
    const item = registerDocument(r, upload('ID_DOCUMENT'), T0 + 2 * HOUR);
    assert.deepEqual(
      item.submissions.map((s) => s.version),
      [1, 2],
    );
  });

  it('a file sent at once with the bytes of a page waiting sends the pages as they are (the page once, not twice)', () => {
    const r = startedBefore();
    const front = upload('ID_DOCUMENT', { keepDraft: true });
    registerDocument(r, front, T0 + HOUR);
    registerDocument(r, upload('ID_DOCUMENT', { keepDraft: true }), T0 + HOUR);
    const item = registerDocument(r, { ...front, keepDraft: undefined, documentId: 'another-upload' }, T0 + 2 * HOUR);
    assert.equal(item.state, 'SUBMITTED');
    assert.deepEqual(item.draft, []);
    assert.deepEqual(
      item.submissions.map((s) => [s.version, s.page]),
      [
        [1, 1],
        [1, 2],
      ],
    );
    assert.equal(item.submissions[0]!.sha256, front.sha256);

    // Before the change it was answered as the page already there, and nothing was sent.
    const old = startedBefore('sent-submission-locked');
    registerDocument(old, front, T0 + HOUR);
    assert.equal(registerDocument(old, { ...front, keepDraft: undefined, documentId: 'another-upload' }, T0 + 2 * HOUR).state, 'PENDING');
  });
});
