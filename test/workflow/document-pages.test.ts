/**
 * Several files per document (docs/domain.md, "Files and pages"), on Temporal's
 * time-skipping test server with the real projection: a student adds pages to
 * an item's next submission, removes one, sends it for review, and staff
 * decide on every page of it. The caps and refusals come back as typed failures.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  RegistrationFailure,
  registerDocumentUpdate,
  rejectItemUpdate,
  removePageUpdate,
  sendForReviewUpdate,
  verifyItemUpdate,
} from '../../workflows/registration/api';
import { database } from '../kit/servers';
import { DAY, STAFF, aStudent, policyDue, projected, status, upload, refusedWith, useTimeSkipping, withWorker } from './support';

describe('document pages (time-skipping)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  useTimeSkipping((e) => (env = e));

  const page = (sha: string, name: string) => upload('ID_DOCUMENT', { keepDraft: true, sha256: sha.repeat(64), originalName: name, documentId: undefined });

  it('two pages, one removed, the other sent and verified: the item holds one submission of that page, and the read model keeps both rows (one removed)', async () => {
    await withWorker(env, async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue((await env.currentTimeMs()) + 30 * DAY));
      const front = await h.executeUpdate(registerDocumentUpdate, { args: [page('a', 'hkid-front.jpg')] });
      assert.equal(front.state, 'PENDING'); // a page alone is not a submission
      const both = await h.executeUpdate(registerDocumentUpdate, { args: [page('b', 'hkid-back.jpg')] });
      assert.deepEqual(
        both.draft.map((p) => [p.version, p.page, p.originalName]),
        [
          [1, 1, 'hkid-front.jpg'],
          [1, 2, 'hkid-back.jpg'],
        ],
      );
      assert.deepEqual(both.submissions, []);

      const removed = await h.executeUpdate(removePageUpdate, { args: [{ actor: 'student', itemKey: 'ID_DOCUMENT', page: 1 }] });
      assert.deepEqual(
        removed.draft.map((p) => p.originalName),
        ['hkid-back.jpg'],
      );

      const sent = await h.executeUpdate(sendForReviewUpdate, { args: [{ actor: 'student', itemKey: 'ID_DOCUMENT' }] });
      assert.equal(sent.state, 'SUBMITTED');
      assert.deepEqual(sent.draft, []);
      assert.deepEqual(
        sent.submissions.map((s) => [s.version, s.page, s.sha256]),
        [[1, 2, 'b'.repeat(64)]],
      );
      assert.ok(sent.expectedVerificationBy, 'the verification clock starts when the submission is sent');

      const verified = await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT' }] });
      assert.equal(verified.state, 'VERIFIED');

      // An update answers before its change is projected; the projector brings the read model to the same seq.
      await projected(h);
      const { prisma } = await database();
      const rows = await prisma.document.findMany({ where: { registrationNo: student.applicationNo }, orderBy: { page: 'asc' } });
      assert.deepEqual(
        rows.map((d) => [d.itemKey, d.version, d.page, d.originalName, d.removedAt !== null]),
        [
          ['ID_DOCUMENT', 1, 1, 'hkid-front.jpg', true],
          ['ID_DOCUMENT', 1, 2, 'hkid-back.jpg', false],
        ],
      );
      const events = await prisma.auditEvent.findMany({ where: { registrationNo: student.applicationNo }, orderBy: { seq: 'asc' } });
      const types = events.map((e) => e.type).filter((t) => t.startsWith('DOCUMENT'));
      assert.deepEqual(types, ['DOCUMENT_PAGE_ADDED', 'DOCUMENT_PAGE_ADDED', 'DOCUMENT_PAGE_REMOVED', 'DOCUMENT_SENT_FOR_REVIEW']);
      assert.equal((await status(h)).items.find((i) => i.key === 'ID_DOCUMENT')!.state, 'VERIFIED');
    });
  });

  it('an eleventh page is refused with PageLimitReached (limit and count in its details); removing one makes room', async () => {
    await withWorker(env, async (w) => {
      const h = await w.start(aStudent(), policyDue((await env.currentTimeMs()) + 30 * DAY));
      for (let i = 0; i < 10; i++) await h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT', { keepDraft: true })] });
      const refusal = await refusedWith(
        RegistrationFailure.PageLimitReached,
        h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT', { keepDraft: true })] }),
        /already has 10 pages/,
      );
      assert.deepEqual(refusal.details, [{ itemKey: 'ID_DOCUMENT', limit: 10, pages: 10 }]);
      // The photo is one picture: a second page is refused at once.
      await h.executeUpdate(registerDocumentUpdate, { args: [upload('PHOTO', { keepDraft: true })] });
      await refusedWith(RegistrationFailure.PageLimitReached, h.executeUpdate(registerDocumentUpdate, { args: [upload('PHOTO', { keepDraft: true })] }));

      await h.executeUpdate(removePageUpdate, { args: [{ actor: 'student', itemKey: 'ID_DOCUMENT', page: 4 }] });
      const after = await h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT', { keepDraft: true })] });
      // Page numbers are not reused: the new page is the eleventh added.
      assert.deepEqual(
        after.draft.map((p) => p.page),
        [1, 2, 3, 5, 6, 7, 8, 9, 10, 11],
      );
    });
  });

  it('once sent, a file sent at once (a staff upload too) is refused by the validator: no new version, the review clock runs on, nothing recorded', async () => {
    await withWorker(env, async (w) => {
      const h = await w.start(aStudent(), policyDue((await env.currentTimeMs()) + 30 * DAY));
      const sent = await h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT')] });
      assert.equal(sent.state, 'SUBMITTED');
      for (const by of [{}, { actor: STAFF, uploadedBy: STAFF }]) {
        await refusedWith(
          RegistrationFailure.InvalidTransition,
          h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT', by)] }),
          /was sent for review: its pages cannot change until the registry decides/,
        );
      }
      const item = (await status(h)).items.find((i) => i.key === 'ID_DOCUMENT')!;
      assert.deepEqual(
        item.submissions.map((s) => s.version),
        [1],
      );
      assert.equal(item.expectedVerificationBy, sent.expectedVerificationBy);
      const accepted = (await h.fetchHistory()).events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
      assert.equal(accepted, 1, 'the refusals came from the validator: no update was recorded for them');
    });
  });

  it('once sent, the submission is locked: no page added or removed, no second send, until a rejection opens the next submission', async () => {
    await withWorker(env, async (w) => {
      const h = await w.start(aStudent(), policyDue((await env.currentTimeMs()) + 30 * DAY));
      await refusedWith(
        RegistrationFailure.InvalidTransition,
        h.executeUpdate(sendForReviewUpdate, { args: [{ actor: 'student', itemKey: 'ID_DOCUMENT' }] }),
        /no pages to send/,
      );
      await h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT', { keepDraft: true })] });
      await h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT', { keepDraft: true })] });
      await h.executeUpdate(sendForReviewUpdate, { args: [{ actor: 'student', itemKey: 'ID_DOCUMENT' }] });

      await refusedWith(
        RegistrationFailure.InvalidTransition,
        h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT', { keepDraft: true })] }),
        /was sent for review/,
      );
      await refusedWith(
        RegistrationFailure.InvalidTransition,
        h.executeUpdate(removePageUpdate, { args: [{ actor: 'student', itemKey: 'ID_DOCUMENT', page: 1 }] }),
      );
      await refusedWith(RegistrationFailure.InvalidTransition, h.executeUpdate(sendForReviewUpdate, { args: [{ actor: 'student', itemKey: 'ID_DOCUMENT' }] }));

      await h.executeUpdate(rejectItemUpdate, {
        args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'INCOMPLETE_PAGES', note: 'The back is missing.' }],
      });
      await refusedWith(RegistrationFailure.PageNotFound, h.executeUpdate(removePageUpdate, { args: [{ actor: 'student', itemKey: 'ID_DOCUMENT', page: 1 }] }));
      const next = await h.executeUpdate(registerDocumentUpdate, { args: [upload('ID_DOCUMENT', { keepDraft: true })] });
      assert.deepEqual(
        next.draft.map((p) => [p.version, p.page]),
        [[2, 1]],
      );
      const resent = await h.executeUpdate(sendForReviewUpdate, { args: [{ actor: 'student', itemKey: 'ID_DOCUMENT' }] });
      assert.equal(resent.state, 'SUBMITTED');
      // The full status keeps both submissions: two pages of version 1, one of version 2.
      const item = (await status(h)).items.find((i) => i.key === 'ID_DOCUMENT')!;
      assert.deepEqual(
        item.submissions.map((s) => s.version),
        [1, 1, 2],
      );
    });
  });
});
