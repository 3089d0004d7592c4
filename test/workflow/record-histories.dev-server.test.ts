/**
 * Records the replay fixtures (test/fixtures/histories/*.json) from real runs on
 * the Temporal dev server with search attributes ON, so the production path
 * (search-attribute upserts included) is what test/workflow/replay.test.ts replays.
 *
 *   RECORD_HISTORIES=1 npx mocha test/workflow/record-histories.dev-server.test.ts
 *
 * Without RECORD_HISTORIES=1 it is skipped: it is the recorder, not a test (each
 * path is asserted here only so a broken path is not recorded). The dev server
 * does not skip time, so deadlines are a few seconds ahead: about a minute in all.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RegistrationHandle } from '../../src/client';
import {
  correctFormUpdate,
  declineOfferUpdate,
  extendDeadlineUpdate,
  paymentConfirmedSignal,
  registerDocumentUpdate,
  rejectItemUpdate,
  signInLinkRequestedSignal,
  verifyItemUpdate,
  waiveItemUpdate,
  type RegistrationResult,
} from '../../workflows/registration/api';
import { database, devServerEnv } from '../support/env';
import { RECORDED_PATHS, recordHistory } from './histories';
import { DAY, STAFF, aStudent, activateAndSubmitForm, eventually, policyDue, submit, upload, withWorker } from './support';


const SECOND = 1000;

describe('record replay fixtures (dev server, search attributes on)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;

  before(async function () {
    if (process.env.RECORD_HISTORIES !== '1') this.skip();
    this.timeout(180_000);
    env = await devServerEnv();
    await database();
  });

  /** Runs a path on its own worker with search attributes on, checks its outcome, and writes its history. */
  const record = (name: (typeof RECORDED_PATHS)[number], path: (start: Parameters<Parameters<typeof withWorker>[1]>[0]) => Promise<RegistrationHandle>, expected: Pick<RegistrationResult, 'status' | 'reason'>) =>
    it(name, async () => {
      await withWorker(
        env,
        async (w) => {
          const h = await path(w);
          const result = await h.result();
          assert.deepEqual([result.status, result.reason], [expected.status, expected.reason]);
          await recordHistory(name, h);
        },
        { searchAttributes: true },
      );
    });

  record(
    'completed-on-time',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      await h.signal(signInLinkRequestedSignal, { actor: 'system:gateway', requestId: 'record-1' });
      await activateAndSubmitForm(h, student);
      await h.executeUpdate(correctFormUpdate, { args: [{ actor: STAFF, changes: { phone: '+852 5555 1234' }, reason: 'student called' }] });
      await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  record(
    'incomplete-then-completed',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 5 * SECOND));
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT'], { verify: true });
      await eventually(h, (s) => assert.equal(s.status, 'INCOMPLETE'), 15 * SECOND);
      await submit(h, ['PHOTO'], { verify: true });
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  record(
    'withdrawn-missed-document',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 4 * SECOND));
      await activateAndSubmitForm(h, student);
      return h;
    },
    { status: 'WITHDRAWN', reason: 'MISSED_COMPULSORY_ITEM' },
  );

  record(
    'withdrawn-missed-fee',
    async (w) => {
      const student = aStudent({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' });
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY, { paymentDeadline: new Date(Date.now() + 4 * SECOND).toISOString() }));
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT']);
      return h;
    },
    { status: 'WITHDRAWN', reason: 'MISSED_FEE' },
  );

  record(
    'rejected-then-resubmitted',
    async (w) => {
      const student = aStudent({ residency: 'NON_LOCAL' });
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
      await h.executeUpdate(registerDocumentUpdate, { args: [upload('VISA')] });
      await h.executeUpdate(rejectItemUpdate, { args: [{ actor: STAFF, itemKey: 'VISA', reasonCode: 'EXPIRED', note: 'upload the renewed permit' }] });
      await h.executeUpdate(registerDocumentUpdate, { args: [upload('VISA')] });
      await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'VISA' }] });
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  record(
    'rejected-after-deadline-unresolved',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 4 * SECOND, { resubmissionWindow: '3 seconds' }));
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT']);
      await eventually(h, (s) => assert.equal(s.deadlines.registrationPassed, true), 15 * SECOND);
      await h.executeUpdate(rejectItemUpdate, { args: [{ actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred' }] });
      return h;
    },
    { status: 'WITHDRAWN', reason: 'UNRESOLVED_REJECTION' },
  );

  record(
    'deadline-extended',
    async (w) => {
      const student = aStudent();
      const start = Date.now();
      const h = await w.start(student, policyDue(start + 4 * SECOND));
      await h.executeUpdate(extendDeadlineUpdate, { args: [{ actor: STAFF, deadline: 'REGISTRATION', until: new Date(start + 8 * SECOND).toISOString(), reason: 'typhoon signal 8' }] });
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT'], { verify: true });
      // Still IN_PROGRESS after the first date; INCOMPLETE after the new one (the photo is owed).
      await eventually(h, (s) => assert.equal(s.status, 'INCOMPLETE'), 20 * SECOND);
      await h.executeUpdate(waiveItemUpdate, { args: [{ actor: STAFF, itemKey: 'PHOTO', reason: 'photo taken on campus' }] });
      return h;
    },
    { status: 'COMPLETED', reason: 'ALL_ITEMS_VERIFIED' },
  );

  record(
    'declined',
    async (w) => {
      const student = aStudent();
      const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
      await h.signal(paymentConfirmedSignal, { actor: 'system:payment', paymentRef: 'P-1' });
      await h.executeUpdate(declineOfferUpdate, { args: [{ actor: 'student', reason: 'accepted another offer' }] });
      return h;
    },
    { status: 'WITHDRAWN', reason: 'DECLINED' },
  );
});
