/**
 * Determinism guard: histories of the main paths, recorded from real runs
 * (see histories.ts) and committed, are replayed against today's workflow
 * code. A change that would break a running registration fails here; put it
 * behind patched() (docs/registration-workflow.md) and record a new fixture.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/env';
import { RECORDED_PATHS, historiesDir, readHistory } from './histories';

const fixtures = fs.existsSync(historiesDir) ? fs.readdirSync(historiesDir).filter((f) => f.endsWith('.json')).sort() : [];

describe('replay of recorded registration histories', function () {
  this.timeout(120_000);

  it('every path the recorder records has its fixture, recorded with search attributes on', () => {
    for (const name of RECORDED_PATHS) {
      assert.ok(fixtures.includes(`${name}.json`), `${name}.json missing from ${historiesDir}: RECORD_HISTORIES=1 npx mocha test/workflow/record-histories.dev-server.test.ts`);
      const events = readHistory(path.join(historiesDir, `${name}.json`)).events ?? [];
      const upserts = events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes);
      assert.ok(upserts.length > 0, `${name}.json has no search-attribute upserts: record it on the dev server with search attributes on`);
    }
  });

  it('replays every recorded history without a non-determinism error', async () => {
    const histories = fixtures.map((f) => ({
      workflowId: path.basename(f, '.json'),
      history: readHistory(path.join(historiesDir, f)),
    }));
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) results.push(r);
    assert.equal(results.length, fixtures.length);
    for (const r of results) assert.equal(r.error, undefined, `${r.workflowId}: ${r.error?.message}`);
  });
});
