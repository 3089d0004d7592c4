/**
 * A registration no student (or staff member) can break: a thousand message
 * round trips on one registration leave it running, with its history under
 * the budget (continue-as-new carries the state across runs) and its deadline
 * intact; the deadline still fires at the right moment after continuation.
 * On the time-skipping server, so the deadline is reached by skipping time.
 *
 * The second part records (RECORD_HISTORIES=1) and checks the replay fixture
 * of a continued registration, on the dev server with search attributes on.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { outboxPaths } from '../../activities/email/send-email';
import { hkTime } from '../../activities/email/templates';
import type { RegistrationHandle } from '../../src/client';
import {
  MAX_SUBMISSIONS_PER_ITEM,
  RegistrationFailure,
  extendDeadlineUpdate,
  registerDocumentUpdate,
  registrationWorkflowId,
  rejectItemUpdate,
  verifyItemUpdate,
} from '../../workflows/registration/api';
import * as SA from '../../workflows/registration/search-attributes';
import { HISTORY_BUDGET } from '../../workflows/registration/workflow';
import { database, devServerEnv, ownTimeSkippingEnv } from '../kit/servers';
import { recordRunHistory } from './histories';
import { ErrorCode } from '../../src/gateway/errors';
import { fromTemporal } from '../../src/gateway/temporal-errors';
import {
  DAY,
  MINUTE,
  STAFF,
  aStudent,
  activateAndSubmitForm,
  emailKinds,
  eventually,
  policyDue,
  status,
  submit,
  upload,
  Phase,
  releaseLeakedClockLocks,
  withWorker,
} from './support';

/** What a continued run may carry (docs/registration-workflow.md): the bounded state, the latest update answers, emails in flight. */
const CARRIED_BUDGET_BYTES = 256 * 1024;
/**
 * Events a run may add past the budget while it drains (docs/registration-workflow.md): what is in flight, and
 * workflow tasks retried on a loaded machine (seen: 2,051–2,111 events on a machine at load 20).
 */
const IN_FLIGHT_EVENTS = 500;
/** 3 MB: far under Temporal's 50 MB, whatever the number of messages (see the budget check below). */
const HISTORY_BYTES_BOUND = 3 * 1024 * 1024;

/** An update's answer not received in time (the round trip is then sent again with the same update id). */
class AnswerAwaited extends Error {
  constructor(updateId: string) {
    super(`no answer to update ${updateId} after two minutes`);
  }
}

/**
 * Sends an update as the gateway's caller does: what the gateway answers 503 "retry" (fromTemporal; e.g. the task
 * that carried it failed because the run continued as new as it arrived) is sent again under the same update id.
 */
async function sentAgainIfRetryable<R>(updateId: string, send: (updateId: string) => Promise<R>): Promise<R> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send(updateId);
    } catch (e) {
      if (attempt >= 3 || fromTemporal(e)?.code !== ErrorCode.WORKFLOW_UNAVAILABLE) throw e;
    }
  }
}

interface Run {
  runId: string;
  events: number;
  /** The run's history size as the server counts it (what the budget is checked against: workflowInfo().historySize). */
  bytes: number;
  /** The same history as JSON (payloads in base64), for comparison with earlier measurements. */
  jsonBytes: number;
  /** The size of the run's input as the server stored it: for a continued run, the state carried across. */
  inputBytes: number;
  /** Workflow tasks the server failed (an update arriving as the run continues as new is retried in a new task). */
  failedTasks: number;
  continuedTo?: string;
}

/** Every run of a registration, first to latest, with its history size (events, and bytes as the server counts them). */
async function runsOf(client: Client, h: RegistrationHandle): Promise<Run[]> {
  const runs: Run[] = [];
  // startRegistration's handle is the one client.workflow.start returned, which knows the first run.
  let runId: string | undefined = (h as unknown as { firstExecutionRunId?: string }).firstExecutionRunId;
  assert.ok(runId, 'the handle knows its first run');
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(h.workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    const last = events[events.length - 1];
    const continuedTo: string | undefined = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    const jsonBytes = Buffer.byteLength(JSON.stringify(history));
    const bytes = (await client.workflow.getHandle(h.workflowId, runId).describe()).historySize || jsonBytes;
    const input = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    const inputBytes = input.reduce((n, p) => n + (p.data?.length ?? 0), 0);
    const failedTasks = events.filter((e) => e.workflowTaskFailedEventAttributes).length;
    runs.push({ runId, events: events.length, bytes, jsonBytes, inputBytes, failedTasks, ...(continuedTo ? { continuedTo } : {}) });
    runId = continuedTo;
  }
  return runs;
}

describe('continue-as-new keeps a registration bounded', function () {
  this.timeout(600_000);

  describe('1,000 message round trips (time-skipping)', () => {
    // Its own server: one this test leaves with its clock locked (see releaseLeakedClockLocks) or stops mid-way
    // cannot make a later test's skipped time wait in real time.
    let env: TestWorkflowEnvironment;
    before(async function () {
      this.timeout(180_000);
      env = await ownTimeSkippingEnv();
      await database();
    });
    after(async () => env?.teardown());

    // 979 extensions in a burst decide emails faster than one-at-a-time delivery sends them. The queue of emails
    // decided and not yet sent is carried as keys and the decision's facts (the context is rendered when sent), and
    // an extension folds into an extension email still waiting, so what is carried stays bounded (it grew 120 KB →
    // 336 KB over 14 runs when each queued email carried its full context and every extension had its own email).
    it('ends with the workflow running, every run under the history budget, the carried state bounded, no email repeated, and the extended deadline firing on time after continuation', async function () {
      // ~1 min on an idle 2-core machine, ~3 min with its cores shared three ways; allow for more.
      this.timeout(1_800_000);
      const phase = new Phase();
      await withWorker(env, (w) =>
        phase.within(1_700_000, async () => {
          const student = aStudent();
          const no = student.applicationNo;
          const start = await env.currentTimeMs();
          const firstDeadline = start + 30 * DAY;
          const h = await w.start(student, policyDue(firstDeadline));
          let trips = 0;
          phase.now(() => `round trip ${trips} of 1,000`);

          let retried = 0;
          /**
           * As the gateway does with the request's Idempotency-Key: one update id per round trip, sent again when
           * the answer was lost. The time-skipping server reports an update that completed in a run which then
           * continued as new as "not found"; the retry reaches the next run, which answers it from the carried
           * answers (not applied twice: the seq below counts every change once). An answer still awaited after two
           * minutes is asked for again the same way, as the gateway's caller would after its own timeout.
           */
          const send = async <A>(def: UpdateDefinition<unknown, [A]>, arg: A) => {
            const updateId = randomUUID();
            for (let attempt = 0; ; attempt++) {
              let timer: NodeJS.Timeout | undefined;
              const silence = new Promise<never>((_, reject) => {
                timer = setTimeout(() => reject(new AnswerAwaited(updateId)), 120_000);
              });
              try {
                return await Promise.race([h.executeUpdate(def, { args: [arg], updateId }), silence]);
              } catch (e) {
                const lost =
                  e instanceof AnswerAwaited ||
                  (e instanceof WorkflowNotFoundError && /update .* not found/i.test(e.message)) ||
                  fromTemporal(e)?.code === ErrorCode.WORKFLOW_UNAVAILABLE;
                if (attempt >= 3 || !lost) throw e;
                retried++;
              } finally {
                clearTimeout(timer);
              }
            }
          };

          // Uploads up to the cap, each after the registry rejected the one before (a file sent for review is not
          // replaced), then one more while the last waits for review, refused before anything is recorded.
          for (let i = 0; i < MAX_SUBMISSIONS_PER_ITEM; i++, trips++) {
            if (i > 0) {
              await send(rejectItemUpdate, { actor: STAFF, itemKey: 'PHOTO', reasonCode: 'UNREADABLE', note: `rejection ${i}` });
              trips++;
            }
            await send(registerDocumentUpdate, upload('PHOTO'));
          }
          await assert.rejects(h.executeUpdate(registerDocumentUpdate, { args: [upload('PHOTO')] }), (e: unknown) => {
            assert.ok(e instanceof WorkflowUpdateFailedError && e.cause instanceof ApplicationFailure);
            assert.equal(e.cause.type, RegistrationFailure.InvalidTransition);
            return true;
          });
          trips++;
          await send(verifyItemUpdate, { actor: STAFF, itemKey: 'PHOTO' });
          trips++;

          // The rest: staff extend the registration deadline by one minute each time (each extension is a change
          // and decides a DEADLINE_EXTENDED email to the student).
          let extensions = 0;
          for (; trips < 1000; trips++) {
            extensions++;
            await send(extendDeadlineUpdate, {
              actor: STAFF,
              deadline: 'REGISTRATION',
              until: new Date(firstDeadline + extensions * MINUTE).toISOString(),
              reason: `extension ${extensions}`,
            });
          }
          assert.equal(trips, 1000);
          assert.equal(extensions, 979); // 1000 − 10 uploads − 9 rejections − 1 refused − 1 verification, by hand
          const finalDeadline = firstDeadline + 979 * MINUTE;

          // Every email decided so far delivered: the invitation, then the extension emails, the last of which tells the
          // final date. An extension decided while an extension email waited folded into it, so there are `told` ≤ 979
          // of them (how many depends on how fast the emails went out), keys DEADLINE_EXTENDED:1..told.
          const finalText = hkTime(new Date(finalDeadline).toISOString());
          const extensionEmail = (n: number) => {
            const file = outboxPaths(w.config.outboxDir, { registrationNo: no, idempotencyKey: `registration-${no}:DEADLINE_EXTENDED:${n}` }).text;
            const m = /extended from (.+) to (.+)\.\n/.exec(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
            return m ? { from: m[1]!, until: m[2]! } : undefined;
          };
          let told = 0;
          phase.now(() => `waiting for the extension emails (${told} told so far)`);
          const s = await eventually(
            h,
            (v) => {
              const last = v.emails[v.emails.length - 1]?.idempotencyKey ?? '';
              told = Number(/:DEADLINE_EXTENDED:(\d+)$/.exec(last)?.[1] ?? 0);
              assert.equal(extensionEmail(told)?.until, finalText);
              // seq: 1 start + 10 uploads + 9 rejections + 1 verification + 979 extensions + 1 EMAIL_SENT (invitation)
              // + 9 (rejection emails) + one per extension email
              assert.equal(v.seq, 1 + 10 + 9 + 1 + 979 + 1 + 9 + told);
            },
            600_000,
          );
          assert.ok(told >= 1 && told <= 979, `${told} extension emails`);
          // The student was told every date in turn: each email extends from the date the one before told.
          let previous = hkTime(new Date(firstDeadline).toISOString());
          for (let n = 1; n <= told; n++) {
            const e = extensionEmail(n)!;
            assert.equal(e.from, previous, `extension email ${n}`);
            previous = e.until;
          }
          const runs = await runsOf(env.client, h);
          const d = await env.client.workflow.getHandle(h.workflowId).describe();
          assert.equal(d.status.name, 'RUNNING');
          assert.ok(runs.length >= 3, `expected several runs, got ${runs.length}`);
          console.log(
            `      ${runs.length} runs; events per run ${runs.map((r) => r.events).join(', ')}; largest ${Math.max(...runs.map((r) => r.bytes))} bytes (${Math.max(...runs.map((r) => r.jsonBytes))} as JSON); ` +
              `carried input ${runs
                .slice(1)
                .map((r) => r.inputBytes)
                .join(
                  ', ',
                )} bytes; ${told} extension emails; ${retried} answers lost and retried; ${runs.reduce((n, r) => n + r.failedTasks, 0)} workflow tasks failed by the server`,
          );
          for (const r of runs) {
            // The budget is checked between changes, and the run drains what is in flight before it continues (the
            // update being answered, an email being sent and its projection): a run may pass it by those events.
            assert.ok(r.events <= HISTORY_BUDGET.events + IN_FLIGHT_EVENTS, `run ${r.runId} has ${r.events} events`);
            // The time-skipping server does not report history sizes (historySize 0), so here the event budget ends each
            // run; 2,000 events of extension round trips (each with its email's request) are ~2.2 MB as JSON.
            assert.ok(r.bytes <= HISTORY_BYTES_BOUND, `run ${r.runId} has ${r.bytes} bytes`);
            // What a run carries to the next does not grow with the messages (it was ~944 KB at this point before).
            assert.ok(r.inputBytes <= CARRIED_BUDGET_BYTES, `run ${r.runId} started with ${r.inputBytes} bytes of input`);
          }
          // The state crossed every run whole, its lists bounded.
          assert.equal(s.deadlines.registration, new Date(finalDeadline).toISOString());
          assert.equal(s.status, 'IN_PROGRESS');
          const photo = s.items.find((i) => i.key === 'PHOTO')!;
          const rejectionKeys = Array.from({ length: 9 }, (_, i) => `registration-${no}:REJECTION:${i + 1}`);
          assert.deepEqual([photo.state, photo.submissions.length], ['VERIFIED', 10]);
          // The latest 10 extensions (970th to 979th) are listed, the 969 before them counted.
          assert.equal(s.deadlineChangesOmitted, 969);
          assert.deepEqual(
            s.deadlineChanges.map((c) => c.until),
            Array.from({ length: 10 }, (_, i) => new Date(firstDeadline + (970 + i) * MINUTE).toISOString()),
          );
          // 1 + 9 + told emails sent: the latest 50 listed, the ones before them counted.
          const sentKeys = [
            `registration-${no}:INVITATION:1`,
            ...rejectionKeys,
            ...Array.from({ length: told }, (_, i) => `registration-${no}:DEADLINE_EXTENDED:${i + 1}`),
          ];
          assert.equal(s.emailsOmitted, Math.max(0, 1 + 9 + told - 50));
          assert.deepEqual(
            s.emails.map((e) => e.idempotencyKey),
            sentKeys.slice(-50),
          );

          phase.now(() => 'skipping to the deadline');
          const released = await releaseLeakedClockLocks(env);
          console.log(`      ${released} clock locks the server kept given back`);

          // The deadline still fires, at the extended moment and not at the first one.
          await env.sleep(firstDeadline + 60 * MINUTE - (await env.currentTimeMs()));
          assert.equal((await status(h)).status, 'IN_PROGRESS');
          await env.sleep(finalDeadline - (await env.currentTimeMs()) - MINUTE);
          assert.equal((await status(h)).status, 'IN_PROGRESS');
          await env.sleep(2 * MINUTE);
          phase.now(() => 'the withdrawal and its read model');
          const result = await env.client.workflow.getHandle(h.workflowId).result();
          assert.equal(result.status, 'WITHDRAWN');
          assert.equal(result.reason, 'MISSED_COMPULSORY_ITEM');
          assert.deepEqual(result.items, ['ACTIVATION', 'FORM', 'ID_DOCUMENT']);
          // At the extended deadline (the timer fires a few milliseconds after it), not at the first one.
          assert.ok(Date.parse(result.at) >= finalDeadline && Date.parse(result.at) < finalDeadline + MINUTE, result.at);

          // The read model followed every run: its seq is the last one, with every audit event once.
          // After the 1,010 + told above: 2 reminders (7 days and 1 day before the final date; REMINDER_DUE + EMAIL_SENT
          // each), DEADLINE_PASSED, STATUS_CHANGED, and the withdrawal's EMAIL_SENT.
          const { prisma } = await database();
          const row = await prisma.registration.findUniqueOrThrow({ where: { applicationNo: no } });
          assert.equal(row.status, 'WITHDRAWN');
          assert.equal(row.seq, 1010 + told + 2 * 2 + 1 + 1 + 1);
          const audit = await prisma.auditEvent.findMany({ where: { registrationNo: no }, select: { seq: true, type: true, data: true } });
          assert.equal(audit.length, row.seq);
          // Every extension is in the audit trail, whether or not its email was folded into a later one.
          assert.equal(audit.filter((e) => e.type === 'DEADLINE_EXTENDED').length, 979);
          assert.equal(await prisma.document.count({ where: { registrationNo: no } }), 10);

          // No email decided twice or lost across the continuations: exactly the keys the rules give, each
          // delivered once (one email-log row, one EMAIL_SENT event, one outbox file per key).
          const expected = [
            `registration-${no}:INVITATION:1`,
            ...rejectionKeys,
            ...Array.from({ length: told }, (_, i) => `registration-${no}:DEADLINE_EXTENDED:${i + 1}`),
            `registration-${no}:REMINDER:1`,
            `registration-${no}:REMINDER:2`,
            `registration-${no}:WITHDRAWAL:1`,
          ].sort();
          const logged = await prisma.emailLog.findMany({ where: { registrationNo: no }, select: { idempotencyKey: true, status: true } });
          assert.deepEqual(logged.map((l) => l.idempotencyKey).sort(), expected);
          assert.ok(logged.every((l) => l.status === 'OUTBOX'));
          const sentEvents = audit.filter((e) => e.type === 'EMAIL_SENT').map((e) => String((e.data as { idempotencyKey: string }).idempotencyKey));
          assert.deepEqual(sentEvents.sort(), expected);
          const outbox = fs
            .readdirSync(path.dirname(outboxPaths(w.config.outboxDir, { registrationNo: no, idempotencyKey: expected[0]! }).text))
            .filter((f) => f.endsWith('.txt'));
          assert.equal(outbox.length, expected.length);
        }),
      );
    });
  });

  describe('replay fixture of a continued registration (dev server, search attributes on)', () => {
    let env: TestWorkflowEnvironment;
    before(async function () {
      this.timeout(180_000);
      env = await devServerEnv();
      await database();
    });

    it('updates sent concurrently while the run continues as new are all answered, none lost or refused', async () => {
      await withWorker(env, async (w) => {
        const student = aStudent({ residency: 'NON_LOCAL' });
        // A budget the first updates already pass, so the run continues while others are in flight.
        const h = await w.start(student, policyDue(Date.now() + 30 * DAY), { historyBudget: { events: 30 } });
        // Pages kept in each item's draft: a file sent for review takes no other until the registry decides.
        const keys = ['ID_DOCUMENT', 'VISA'] as const;
        // The server aborts an update that reaches a run as it continues; the client retries it on the next run.
        const results = await Promise.allSettled(
          keys.flatMap((key) => Array.from({ length: 9 }, () => h.executeUpdate(registerDocumentUpdate, { args: [upload(key, { keepDraft: true })] }))),
        );
        const failed = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
        assert.deepEqual(failed, []);
        const s = await status(h);
        assert.deepEqual(
          keys.map((k) => s.items.find((i) => i.key === k)!.draft?.length ?? 0),
          [9, 9],
        );
        assert.ok((await runsOf(env.client, h)).length >= 2, 'continued at least once meanwhile');
      });
    });

    it('an update id answered before the continuation gets the same answer after it, and is not applied twice', async () => {
      await withWorker(env, async (w) => {
        const student = aStudent();
        const deadline = Date.now() + 30 * DAY;
        const h = await w.start(student, policyDue(deadline), { historyBudget: { events: 40 } });
        const photo = upload('PHOTO');
        const first = await h.executeUpdate(registerDocumentUpdate, { args: [photo], updateId: 'retry-me-1' });
        for (let i = 1; i <= 6; i++) {
          const extend = { actor: STAFF, deadline: 'REGISTRATION', until: new Date(deadline + i * MINUTE).toISOString(), reason: 'x' } as const;
          await sentAgainIfRetryable(`extend-${i}`, (updateId) => h.executeUpdate(extendDeadlineUpdate, { args: [extend], updateId }));
        }
        // The run continues once the projection of the last change has landed, a moment after its answer.
        const until = Date.now() + 10_000;
        while ((await runsOf(env.client, h)).length < 2) {
          assert.ok(Date.now() < until, 'continued at least once');
          await new Promise((r) => setTimeout(r, 100));
        }
        const again = await h.executeUpdate(registerDocumentUpdate, { args: [photo], updateId: 'retry-me-1' });
        assert.deepEqual(again, first);
        assert.equal((await status(h)).items.find((i) => i.key === 'PHOTO')!.submissions.length, 1);
      });
    });

    it('a small budget continues mid-way; the next run completes with memo, search attributes and emails intact', async () => {
      await withWorker(
        env,
        async (w) => {
          const student = aStudent();
          // Past 30 events by the identification document's verification (a whole journey is about 75 today), so the
          // run continues before the photo's steps whatever the timing; a budget near the journey's end may be
          // crossed only by the step that completes it, and a completed run does not continue.
          const h = await w.start(student, policyDue(Date.now() + 30 * DAY), { historyBudget: { events: 30 } });
          await activateAndSubmitForm(h, student);
          await submit(h, ['ID_DOCUMENT'], { verify: true });
          await h.executeUpdate(registerDocumentUpdate, { args: [upload('PHOTO')] });
          await h.executeUpdate(verifyItemUpdate, { args: [{ actor: STAFF, itemKey: 'PHOTO' }] });
          const result = await env.client.workflow.getHandle(registrationWorkflowId(student.applicationNo)).result();
          assert.equal(result.status, 'COMPLETED');
          const runs = await runsOf(env.client, h);
          assert.ok(runs.length >= 2, `expected a continued run, got ${runs.length}`);
          const last = env.client.workflow.getHandle(h.workflowId);
          const d = await last.describe();
          assert.equal(d.memo?.studentName, student.name);
          assert.equal(d.typedSearchAttributes.get(SA.RegistrationStatus), 'COMPLETED');
          assert.equal(d.typedSearchAttributes.get(SA.ProgramCode), student.programCode);
          const s = await status(h);
          assert.deepEqual(emailKinds(s), ['INVITATION', 'ACKNOWLEDGEMENT']);
          // The production path: the projector's runs, under the newest patch generation (workflows/patches.ts). The
          // fixtures of the paths before it stay as they were recorded, for old histories: continued-registration-*
          // (before the projector) and projector-continued-* (before the generations).
          await recordRunHistory('generation-3-continued-first-run', env.client, h.workflowId, runs[0]!.runId);
          await recordRunHistory('generation-3-continued-last-run', env.client, h.workflowId, runs[runs.length - 1]!.runId);
        },
        { searchAttributes: true },
      );
    });
  });
});
