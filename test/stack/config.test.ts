import assert from 'node:assert/strict';
import fs from 'node:fs';
import { README, withConfigTable } from '../../scripts/config-doc';
import { ConfigError, loadConfig, requireDatabaseUrl } from '../../src/config';

describe('config', () => {
  it('runs on embedded defaults with nothing set', () => {
    const c = loadConfig({});
    assert.equal(c.DATABASE_URL, undefined);
    assert.equal(c.GATEWAY_PORT, 3000);
    assert.equal(c.temporalUiUrl, 'http://localhost:8233');
    assert.ok(c.outboxDir.endsWith('/var/outbox'));
  });

  it('names every bad variable in one clear error', () => {
    assert.throws(
      () => loadConfig({ GATEWAY_PORT: 'eighty', DATABASE_URL: 'not a url', LOG_LEVEL: 'loud' }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.problems.map((p) => p.split('=')[0]), ['LOG_LEVEL', 'DATABASE_URL', 'GATEWAY_PORT']);
        assert.match(e.message, /GATEWAY_PORT="eighty"/);
        return true;
      },
    );
  });

  it('the production entry points require DATABASE_URL, with a message saying so', () => {
    assert.throws(() => requireDatabaseUrl(loadConfig({})), (e: unknown) => e instanceof ConfigError && /DATABASE_URL: must be set/.test(e.message));
    assert.equal(requireDatabaseUrl(loadConfig({ DATABASE_URL: 'postgresql://db/progreg' })), 'postgresql://db/progreg');
  });

  it('refuses the embedded-default secrets in production', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /TOKEN_SECRET: must be set in production/);
    const c = loadConfig({ NODE_ENV: 'production', TOKEN_SECRET: 'x'.repeat(32), WEBHOOK_SECRET: 'y'.repeat(16) });
    assert.equal(c.NODE_ENV, 'production');
  });
});

describe('README configuration table', () => {
  it('matches src/config.ts (run `npm run config:doc -- --write` after adding a variable)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    assert.equal(readme, withConfigTable(readme));
  });
});
