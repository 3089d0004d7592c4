/**
 * What Temporal itself holds of a student: the history read straight from the
 * server (no codec) carries none of the student's personal data, neither in
 * the workflow's inputs, updates, activity inputs and results, nor in a
 * failure's message; the search attributes, plaintext by design, hold only
 * what staff filter on. Through the codec the same history reads as before.
 *
 * With RECORD_HISTORIES=1 it also records the encrypted replay fixture
 * (encrypted-completed-on-time.json, sealed with the development key).
 */
import assert from 'node:assert/strict';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../src/temporal/payload-codec';
import { accountActivatedSignal, submitFormUpdate } from '../../workflows/registration/api';
import { registrationSearchAttributes } from '../../workflows/registration/search-attributes';
import { database, devServerEnv } from '../kit/servers';
import { recordHistory } from './histories';
import { DAY, aStudent, policyDue, status, submit, universityEmailOf, withWorker } from './support';
import { validForm } from '../kit/samples';

describe('payload encryption: what Temporal holds (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;

  before(async function () {
    this.timeout(180_000);
    env = await devServerEnv();
    await database();
  });

  it('a completed registration, read straight from Temporal, holds no name, email, date of birth, phone or address', async () => {
    const student = aStudent({ name: 'Lam Wing Sze Privacy', personalEmail: `lam.privacy.${Date.now()}@example.com` });
    const form = {
      ...validForm,
      legalName: 'LAM Wing Sze Privacy',
      dateOfBirth: '2003-11-29',
      phone: '+852 6123 4567',
      correspondenceAddress: '7 Tai Po Road, Sha Tin',
    };
    const personal = [
      student.name,
      form.legalName,
      student.personalEmail,
      universityEmailOf(student),
      form.dateOfBirth,
      form.phone,
      form.correspondenceAddress,
      form.emergencyContact.name,
    ];
    let failedOnce = false;
    await withWorker(
      env,
      async (w) => {
        const h = await w.start(student, policyDue(Date.now() + 30 * DAY));
        await h.signal(accountActivatedSignal, { actor: 'system:idp', universityEmail: universityEmailOf(student) });
        await h.executeUpdate(submitFormUpdate, { args: [{ actor: 'student', form }] });
        await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
        assert.equal((await h.result()).status, 'COMPLETED');
        // Through the codec the workflow reads as ever.
        const seen = await status(h);
        assert.deepEqual([seen.student.name, seen.form?.dateOfBirth], [student.name, form.dateOfBirth]);

        const { history } = await env.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: h.workflowId } });
        const raw = Buffer.from(temporal.api.history.v1.History.encode(history!).finish());
        for (const value of personal) assert.equal(raw.includes(value), false, `${JSON.stringify(value)} is readable in the history Temporal holds`);

        // Every payload is sealed and names its key; a failure's message is sealed with it.
        const payloads = payloadsOf(history!);
        assert.ok(payloads.length > 20, `only ${payloads.length} payloads found`);
        for (const p of payloads) {
          assert.equal(Buffer.from(p.metadata!.encoding!).toString(), ENCRYPTED_ENCODING, JSON.stringify(p));
          assert.equal(Buffer.from(p.metadata![KEY_ID_METADATA]!).toString(), 'dev-1');
        }
        const lastFailures = history!.events!.flatMap((e) => e.activityTaskStartedEventAttributes?.lastFailure ?? []);
        assert.ok(lastFailures.length > 0, 'the failed projection attempt is in the history');
        for (const f of lastFailures) {
          assert.equal(f.message, 'Encoded failure');
          assert.equal(Buffer.from(f.encodedAttributes!.metadata!.encoding!).toString(), ENCRYPTED_ENCODING);
        }

        // Search attributes stay plaintext: only the ones staff filter on, none of them personal.
        const upserted = history!.events!.flatMap((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}));
        assert.ok(upserted.length > 0, 'the registration upserted its search attributes');
        const known = new Set(registrationSearchAttributes.map((k) => k.name));
        // TemporalChangeVersion is the SDK's own: the ids of the patched() changes a run took.
        for (const name of upserted) assert.ok(known.has(name) || name === 'TemporalChangeVersion', `unexpected search attribute ${name}`);
        assert.deepEqual([...known].sort(), [
          'CohortId',
          'OutstandingItems',
          'PersonalEmailProblem',
          'ProgramCode',
          'RegistrationDeadline',
          'RegistrationStatus',
          'StudentCategory',
          'StudyLevel',
        ]);

        await recordHistory('encrypted-completed-on-time', h);
      },
      {
        searchAttributes: true,
        // The first projection fails with a message quoting the student, as a driver error might; the retry succeeds.
        wrapActivities: (a) => ({
          ...a,
          async projectRegistration(input) {
            if (!failedOnce) {
              failedOnce = true;
              throw new Error(`cannot project ${student.name} <${student.personalEmail}>`);
            }
            return a.projectRegistration(input);
          },
        }),
      },
    );
  });
});

/**
 * Every payload of a history our code wrote: inputs, results, signal, update and activity arguments, the memo.
 * Not the search attributes, nor the SDK's own bookkeeping in markers (a local activity's sequence number, attempt
 * and type; a patch's id), which the SDK writes without the codec; a local activity's `result` is ours.
 */
function payloadsOf(history: temporal.api.history.v1.IHistory): temporal.api.common.v1.IPayload[] {
  const found: temporal.api.common.v1.IPayload[] = [];
  const walk = (node: unknown, key?: string, parent?: string): void => {
    if (!node || typeof node !== 'object' || node instanceof Uint8Array) return;
    if (key === 'searchAttributes' || key === 'header' || (parent === 'details' && key !== 'result')) return;
    if (Array.isArray(node)) return node.forEach((n) => walk(n));
    const o = node as Record<string, unknown>;
    if (o.metadata && 'data' in o && typeof o.metadata === 'object') {
      found.push(o as temporal.api.common.v1.IPayload);
      return;
    }
    for (const [k, v] of Object.entries(o)) walk(v, k, key);
  };
  walk(history);
  return found;
}
