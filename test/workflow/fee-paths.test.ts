/**
 * The tuition fee through Temporal (time-skipping server, real activities):
 * a payment counts by its signed `paidAt`, confirmed within the settlement
 * grace period; the fee decision waits for the end of that period; a payment
 * made after the deadline is never backdated, also when the worker was down
 * over the deadline and the payment reaches the workflow before the
 * deadline's timer does (docs/domain.md, "The tuition fee").
 *
 * The deadline is a Wednesday 23:59 HKT whose Thursday, Friday and Monday are
 * no Hong Kong public holiday, so by the rule (3 working days after the day of
 * the deadline: Thu, Fri, Mon) the fee is decided at 00:00 HKT on the Tuesday.
 */
import assert from 'node:assert/strict';
import Holidays from 'date-holidays';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { paymentConfirmedSignal } from '../../workflows/registration/api';
import type { RegistrationHandle } from '../../src/client';
import { database, uniq } from '../kit/servers';
import { recordHistory } from './histories';
import {
  DAY,
  HOUR,
  MINUTE,
  aStudent,
  activateAndSubmitForm,
  emailKinds,
  eventually,
  itemState,
  policyDue,
  status,
  submit,
  useTimeSkipping,
  withWorker,
} from './support';

const FEE = { amount: 42100, currency: 'HKD' };
const SECOND = 1000;

describe('the tuition fee: when a payment counts (time-skipping)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  useTimeSkipping((e) => (env = e));

  /** The first such Wednesday 23:59 HKT at least 20 days ahead, and the Tuesday 00:00 HKT the fee is decided. */
  async function wednesdayDeadline(): Promise<{ deadline: number; decided: number }> {
    const hk = new Holidays('HK');
    const isHoliday = (ms: number) => (hk.isHoliday(new Date(ms)) || []).some((h) => h.type === 'public');
    const from = await env.currentTimeMs();
    for (let t = from + 20 * DAY; t < from + 400 * DAY; t += DAY) {
      const date = new Date(t + 8 * HOUR).toISOString().slice(0, 10); // the Hong Kong date
      const noon = Date.parse(`${date}T04:00:00Z`);
      if (new Date(noon).getUTCDay() !== 3) continue;
      if ([1, 2, 5].some((d) => isHoliday(noon + d * DAY))) continue;
      const deadline = Date.parse(`${date}T15:59:00Z`); // 23:59 HKT
      return { deadline, decided: Date.parse(`${date}T16:00:00Z`) + 5 * DAY }; // 00:00 HKT the Tuesday after
    }
    throw new Error('no such Wednesday in a year');
  }

  const ug = () => aStudent({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' });
  const pay = (paymentRef: string, paidAt: number, receivedAt = paidAt) => ({
    actor: 'system:payment',
    paymentRef,
    ...FEE,
    paidAt: new Date(paidAt).toISOString(),
    receivedAt: new Date(receivedAt).toISOString(),
  });

  it('paid at 23:58 on the deadline, confirmed at 00:05: counts; the fee settles in the grace period and the student is registered', async () => {
    const { deadline } = await wednesdayDeadline();
    await withWorker(env, async (w) => {
      const student = ug();
      const h = await w.start(student, policyDue(deadline, { tuitionFee: FEE }));
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
      await env.sleep(deadline + 6 * MINUTE - (await env.currentTimeMs()));
      const afterDeadline = await eventually(h, (s) => assert.equal(s.deadlines.registrationPassed, true));
      assert.equal(afterDeadline.status, 'IN_PROGRESS', 'the fee decision waits for the grace period');
      await h.signal(paymentConfirmedSignal, pay('PAY-ON-TIME', deadline - MINUTE, deadline + 6 * MINUTE));
      const result = await h.result();
      assert.equal(result.status, 'COMPLETED');
      assert.equal(itemState(await status(h), 'TUITION_RECEIPT'), 'VERIFIED');
      // Replay fixture (RECORD_HISTORIES=1 only): the grace period is working days, which only this server skips.
      await recordHistory('fee-confirmed-in-grace-period', h);
    });
  });

  it('nothing paid: still open three days after the deadline, withdrawn at 00:00 HKT on the Tuesday, the notice naming the registration deadline', async () => {
    const { deadline, decided } = await wednesdayDeadline();
    await withWorker(env, async (w) => {
      const student = ug();
      const h = await w.start(student, policyDue(deadline, { tuitionFee: FEE }));
      await activateAndSubmitForm(h, student);
      await submit(h, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
      await env.sleep(deadline + 3 * DAY - (await env.currentTimeMs()));
      assert.equal((await status(h)).status, 'IN_PROGRESS');
      const result = await h.result();
      assert.deepEqual([result.status, result.reason, result.items], ['WITHDRAWN', 'MISSED_FEE', ['TUITION_RECEIPT']]);
      // The timer fires at that instant (the server may report it a few milliseconds after).
      assert.ok(Date.parse(result.at) >= decided && Date.parse(result.at) < decided + MINUTE, result.at);
      assert.match(result.detail, /not settled by the registration deadline/);
      await recordHistory('fee-decided-after-grace-period', h);
    });
  });

  /**
   * While a workflow task waits for a worker, this server stops skipping time and its clock runs at the real pace.
   * So the cohort sends no reminders (no timer fires before the deadline while the worker is down), and the payment
   * reaches the workflow seconds after the deadline, not hours: the rule is the same for one second or one hour.
   */
  describe('the worker is down over the deadline', () => {
    /** A registration with everything in but the fee, left waiting for its deadline with no worker. */
    async function waitingWithNoWorker(deadline: number): Promise<{ h: RegistrationHandle; taskQueue: string }> {
      const taskQueue = uniq('q');
      const h = await withWorker(
        env,
        async (w) => {
          const student = ug();
          const handle = await w.start(student, policyDue(deadline, { tuitionFee: FEE, reminderOffsets: [] }));
          await activateAndSubmitForm(handle, student);
          await submit(handle, ['ID_DOCUMENT', 'PHOTO'], { verify: true });
          await eventually(handle, (s) => assert.deepEqual(emailKinds(s), ['INVITATION']));
          return handle;
        },
        { taskQueue, leaveOpen: true },
      );
      return { h, taskQueue };
    }

    it('a payment made after the deadline reaches the workflow with its deadline timer: never backdated; a late event, the registry told; withdrawn', async () => {
      const { deadline, decided } = await wednesdayDeadline();
      const { h, taskQueue } = await waitingWithNoWorker(deadline);
      await env.sleep(deadline + 2 * SECOND - (await env.currentTimeMs()));
      assert.ok((await env.currentTimeMs()) >= deadline + SECOND);
      await h.signal(paymentConfirmedSignal, pay('PAY-LATE', deadline + SECOND));
      await withWorker(
        env,
        async () => {
          const result = await h.result();
          assert.deepEqual([result.status, result.reason], ['WITHDRAWN', 'MISSED_FEE']);
          assert.ok(Date.parse(result.at) >= decided && Date.parse(result.at) < decided + MINUTE, result.at);
          const s = await status(h);
          assert.equal(itemState(s, 'TUITION_RECEIPT'), 'PENDING');
          assert.deepEqual(
            emailKinds(s).filter((k) => k === 'LATE_EVENT' || k === 'WITHDRAWAL'),
            ['LATE_EVENT', 'WITHDRAWAL'],
          );
          assert.deepEqual(s.emails.find((e) => e.kind === 'LATE_EVENT')!.to, ['registry-alerts@ust.hk']);
          await recordHistory('fee-paid-late-worker-down', h);
        },
        { taskQueue },
      );
      const { prisma } = await database();
      const late = await prisma.lateEvent.findMany({ where: { registrationNo: h.workflowId.replace(/^registration-/, '') } });
      assert.equal(late.length, 1, 'the registry sees it under Late events');
    });

    it('a payment made on time but confirmed while the worker was down counts when the worker is back', async () => {
      const { deadline } = await wednesdayDeadline();
      const { h, taskQueue } = await waitingWithNoWorker(deadline);
      await env.sleep(deadline + 2 * SECOND - (await env.currentTimeMs()));
      await h.signal(paymentConfirmedSignal, pay('PAY-ON-TIME', deadline - 10 * MINUTE, deadline + SECOND));
      await withWorker(
        env,
        async () => {
          const result = await h.result();
          assert.equal(result.status, 'COMPLETED');
        },
        { taskQueue },
      );
    });
  });
});
