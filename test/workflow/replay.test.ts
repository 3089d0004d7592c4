/**
 * Determinism guard: histories of the main paths, recorded from real runs
 * (see histories.ts) and committed, are replayed against today's workflow
 * code. A change that would break a running registration or import fails here; put it
 * behind patched() (docs/registration-workflow.md) and record a new fixture.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { testDataConverter, workflowBundle } from '../kit/servers';
import { RECORDED_PATHS, RECORDED_PATH_MARKERS, historiesDir, historyFacts, readHistory, updateAndProjectionShape, type PathMarkers } from './histories';
import { workerTracing } from '../../src/temporal/worker-options';

/**
 * Recorded by continue-as-new.test.ts (RECORD_HISTORIES=1, -g "small budget"): a registration that continued as new,
 * its first and last run. The continued-registration ones were recorded before the projector (patch
 * 'update-answers-before-projection') and guard the histories of that path; the projector-continued ones are today's.
 */
const CONTINUED_FIXTURES = ['continued-registration-first-run', 'continued-registration-last-run'];
const PROJECTOR_CONTINUED_FIXTURES = ['projector-continued-first-run', 'projector-continued-last-run'];
/** The same since the third patch generation (workflows/patches.ts), today's path. */
const GENERATION_CONTINUED_FIXTURES = ['generation-3-continued-first-run', 'generation-3-continued-last-run'];
/** Recorded by test/import/import-workflow.test.ts (RECORD_HISTORIES=1): a cohort import, with rows started and rows already there. */
const IMPORT_FIXTURES = ['cohort-import'];
/**
 * Recorded by paths.test.ts on the time-skipping server (attributes off; RECORD_HISTORIES=1, -g "verification service
 * level"): the only one with a service-level alert, which needs days to pass.
 */
const TIME_SKIPPING_FIXTURES = [
  'verification-overdue',
  // Recorded by fee-paths.test.ts (RECORD_HISTORIES=1): the tuition fee's settlement grace period is working days.
  'fee-confirmed-in-grace-period',
  'fee-decided-after-grace-period',
  'fee-paid-late-worker-down',
];

/**
 * Recorded by encryption.dev-server.test.ts (RECORD_HISTORIES=1): a completed registration whose payloads are sealed
 * with the development key. The other fixtures predate payload encryption: their plaintext payloads pass through
 * the codec, as a registration started before encryption does.
 */
const ENCRYPTED_FIXTURES = ['encrypted-completed-on-time'];

const fixtures = fs.existsSync(historiesDir)
  ? fs
      .readdirSync(historiesDir)
      .filter((f) => f.endsWith('.json'))
      .sort()
  : [];

describe('replay of recorded registration histories', function () {
  this.timeout(120_000);

  it('every path the recorder records has its fixture, recorded with search attributes on, and shows what it is named for', () => {
    for (const name of RECORDED_PATHS) {
      assert.ok(
        fixtures.includes(`${name}.json`),
        `${name}.json missing from ${historiesDir}: RECORD_HISTORIES=1 npx mocha test/workflow/record-histories.dev-server.test.ts -g '${name}'`,
      );
      const facts = historyFacts(readHistory(path.join(historiesDir, `${name}.json`)));
      const markers: PathMarkers = RECORDED_PATH_MARKERS[name];
      assert.equal(facts.workflowType, markers.workflowType ?? 'registrationWorkflow', `${name}.json: workflow type`);
      // A registration upserts its search attributes on every change; the late-event workflow has none.
      if (facts.workflowType === 'registrationWorkflow') {
        assert.ok(facts.upserts > 0, `${name}.json has no search-attribute upserts: record it on the dev server with search attributes on`);
      }
      for (const kind of ['updates', 'signals', 'audit', 'emails', 'activities', 'patches'] as const) {
        for (const [what, atLeast] of Object.entries(markers[kind] ?? {})) {
          assert.ok((facts[kind][what] ?? 0) >= atLeast, `${name}.json: expected at least ${atLeast} ${kind} ${what}, found ${facts[kind][what] ?? 0}`);
        }
      }
    }
  });

  it('every fixture on disk is one the tests name (a stale file would replay but prove nothing)', () => {
    const named = new Set<string>(
      [
        ...RECORDED_PATHS,
        ...CONTINUED_FIXTURES,
        ...PROJECTOR_CONTINUED_FIXTURES,
        ...GENERATION_CONTINUED_FIXTURES,
        ...IMPORT_FIXTURES,
        ...TIME_SKIPPING_FIXTURES,
        ...ENCRYPTED_FIXTURES,
      ].map((n) => `${n}.json`),
    );
    assert.deepEqual(
      fixtures.filter((f) => !named.has(f)),
      [],
    );
  });

  // The patch markers of each path's first run: the projector's own, then its generation's alone.
  for (const [path_, [firstName, lastName], patches] of [
    ['before the projector', CONTINUED_FIXTURES, (p: Record<string, number>) => assert.equal(p['update-answers-before-projection'], undefined)],
    ['with the projector', PROJECTOR_CONTINUED_FIXTURES, (p: Record<string, number>) => assert.ok(p['update-answers-before-projection'])],
    ['since the third patch generation', GENERATION_CONTINUED_FIXTURES, (p: Record<string, number>) => assert.deepEqual(p, { 'patches-2026-12-07-3': 1 })],
  ] as const) {
    it(`a continued registration is recorded ${path_}: the run that continued as new and the run that resumed from it`, () => {
      for (const name of [firstName!, lastName!]) {
        assert.ok(
          fixtures.includes(`${name}.json`),
          `${name}.json missing: RECORD_HISTORIES=1 npx mocha test/workflow/continue-as-new.test.ts -g "small budget"`,
        );
      }
      const first = readHistory(path.join(historiesDir, `${firstName}.json`));
      assert.ok(first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes, 'the first run ends by continuing as new');
      const last = readHistory(path.join(historiesDir, `${lastName}.json`)).events ?? [];
      assert.ok(last[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId, 'the last run starts from a continuation');
      patches(historyFacts(first).patches);
    });
  }

  it('a cohort import is recorded: its page of starts and the closing of its job', () => {
    for (const name of IMPORT_FIXTURES) {
      assert.ok(fixtures.includes(`${name}.json`), `${name}.json missing: RECORD_HISTORIES=1 npx mocha test/import/import-workflow.test.ts`);
      const facts = historyFacts(readHistory(path.join(historiesDir, `${name}.json`)));
      assert.equal(facts.workflowType, 'cohortImportWorkflow');
      assert.deepEqual([facts.activities.openImport, facts.activities.startImportPage, facts.activities.closeImport], [1, 1, 1]);
    }
  });

  it('an encrypted registration is recorded: its inputs are sealed, and it completed', () => {
    for (const name of ENCRYPTED_FIXTURES) {
      assert.ok(fixtures.includes(`${name}.json`), `${name}.json missing: RECORD_HISTORIES=1 npx mocha test/workflow/encryption.dev-server.test.ts`);
      const history = readHistory(path.join(historiesDir, `${name}.json`));
      const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      assert.equal(Buffer.from(input?.metadata?.encoding ?? []).toString(), 'binary/encrypted');
      assert.ok(history.events?.at(-1)?.workflowExecutionCompletedEventAttributes, `${name}.json: the registration completed`);
      // Read through the codec, the history shows what it was recorded for.
      const facts = historyFacts(history);
      assert.deepEqual([facts.emails.INVITATION, facts.emails.ACKNOWLEDGEMENT], [1, 1]);
    }
  });

  it('the projector is recorded: each update completed in the workflow task that accepted it, the changes made during a projection projected together', () => {
    // Before the patch generations and since the second: the same shape.
    for (const name of ['projector-batched-changes', 'projector-generation-batched-changes']) projectorShape(name);
  });

  function projectorShape(name: string): void {
    const { updates, projections } = updateAndProjectionShape(readHistory(path.join(historiesDir, `${name}.json`)));
    assert.deepEqual(
      updates.map((u) => [u.update, u.waited]),
      [
        ['submitForm', false],
        ['registerDocument', false],
        ['registerDocument', false],
        ['verifyItem', false],
        ['verifyItem', false],
      ],
    );
    const seqs = projections.flat().map((e) => Number(e.split(':')[0]));
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i + 1),
      'every event projected once, in seq order',
    );
    // Held: the projection that carried the identification document (with whatever else was recorded before the
    // projector took it). What was answered meanwhile, the last verification among it, went out together in the next
    // and last one.
    const held = projections.findIndex((p) => p.some((e) => e.endsWith(':DOCUMENT_REGISTERED')));
    assert.equal(projections.length, held + 2, `${name}.json: one projection after the held one`);
    assert.ok(
      projections[held + 1]!.some((e) => e.endsWith(':ITEM_VERIFIED')),
      `${name}.json: a verification in it`,
    );
  }

  it('an old fixture: each update waited for its projection (a workflow task completed before it did)', () => {
    const old = updateAndProjectionShape(readHistory(path.join(historiesDir, 'completed-on-time.json')));
    assert.ok(old.updates.length > 0 && old.updates.every((u) => u.waited));
  });

  it("a registration started since a patch generation records its generation's marker and no other patch marker", () => {
    // workflows/patches.ts: the generation covers every patch this path takes; each on its own was a marker and a
    // TemporalChangeVersion upsert (the fixture recorded just before it holds eight of each).
    const generation = historyFacts(readHistory(path.join(historiesDir, 'patch-generation-completed-on-time.json')));
    assert.deepEqual(generation.patches, { 'patches-2026-12-07': 1 });
    const before = historyFacts(readHistory(path.join(historiesDir, 'attributes-on-change-completed-on-time.json')));
    assert.equal(Object.keys(before.patches).length, 8);
    // The second generation covers the first's and the wake-up timers' (the fixture recorded before it holds both).
    const second = historyFacts(readHistory(path.join(historiesDir, 'patch-generation-2-completed-on-time.json')));
    assert.deepEqual(second.patches, { 'patches-2026-12-07-2': 1 });
    const beforeSecond = historyFacts(readHistory(path.join(historiesDir, 'kept-timers-completed-on-time.json')));
    assert.deepEqual(beforeSecond.patches, { 'patches-2026-12-07': 1, 'wake-up-timers-kept-across-messages': 1 });
    // The third covers the second's and the projector's (the fixture recorded before it holds both).
    const third = historyFacts(readHistory(path.join(historiesDir, 'patch-generation-3-completed-on-time.json')));
    assert.deepEqual(third.patches, { 'patches-2026-12-07-3': 1 });
    const beforeThird = historyFacts(readHistory(path.join(historiesDir, 'projector-generation-batched-changes.json')));
    assert.deepEqual(beforeThird.patches, { 'patches-2026-12-07-2': 1, 'update-answers-before-projection': 1 });
  });

  it('replays every recorded history without a non-determinism error', async () => {
    const histories = fixtures.map((f) => ({
      workflowId: path.basename(f, '.json'),
      history: readHistory(path.join(historiesDir, f)),
    }));
    const results = [];
    for await (const r of Worker.runReplayHistories(
      { workflowBundle: await workflowBundle(), dataConverter: testDataConverter(), sinks: workerTracing().sinks },
      histories,
    ))
      results.push(r);
    assert.equal(results.length, fixtures.length);
    for (const r of results) assert.equal(r.error, undefined, `${r.workflowId}: ${r.error?.message}`);
  });
});
