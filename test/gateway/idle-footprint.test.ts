/**
 * What a gateway loads before it is used (docs/gateway.md, "Live pages"): the
 * AWS SDK only when S3 is configured, the holiday library only on the first
 * staff page that counts working days. Checked in a fresh process, since this
 * one has loaded everything by now.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { projectRoot } from '../../src/paths';

/** The packages among `watched` that a fresh process has loaded after running `script`. */
function loadedAfter(script: string, watched: string[]): string[] {
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `${script}; const files = Object.keys(require.cache); console.log(JSON.stringify(${JSON.stringify(watched)}.filter((p) => files.some((f) => f.includes('/node_modules/' + p + '/')))));`,
    ],
    { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as string[];
}

describe('gateway: what it loads before it is used', function () {
  this.timeout(120_000);

  it('the gateway and a disk blob store load neither the AWS SDK nor the holiday library', () => {
    const loaded = loadedAfter(
      `const { createApp } = require('./src/gateway/app'); const { createBlobStore } = require('./src/uploads/store'); createBlobStore({ uploadDir: require('node:os').tmpdir() }); void createApp`,
      ['@aws-sdk/client-s3', 'date-holidays', 'express'],
    );
    // express proves the probe sees the gateway's own packages.
    assert.deepEqual(loaded, ['express']);
  });

  it('an S3 store loads the AWS SDK; working days load the holiday library', () => {
    const loaded = loadedAfter(
      `const { createBlobStore } = require('./src/uploads/store'); createBlobStore({ uploadDir: require('node:os').tmpdir(), S3_ENDPOINT: 'http://127.0.0.1:1' }); require('./src/calendar/holidays').holidaysBetween(Date.parse('2027-01-01'), Date.parse('2027-02-01'))`,
      ['@aws-sdk/client-s3', 'date-holidays'],
    );
    assert.deepEqual(loaded, ['@aws-sdk/client-s3', 'date-holidays']);
  });
});
