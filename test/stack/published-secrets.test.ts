/**
 * PUBLISHED_SECRETS (src/config/variables.ts) must name every secret value this
 * repository has ever shown, in its files or its git history, and nothing
 * else: a production start refuses exactly those.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PUBLISHED_SECRETS, loadConfig } from '../../src/config';
import { projectRoot } from '../../src/paths';

const SELF = 'test/stack/published-secrets.test.ts';
const git = (...args: string[]) => execFileSync('git', ['-C', projectRoot, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });

/**
 * Literal values given to a *SECRET* variable: `NAME=value`, `NAME: value`,
 * `NAME = 'value'`, and compose fallbacks `${NAME:-value}`. References
 * (`$NAME`, `${NAME:?…}`), code (`'x'.repeat(32)`) and anything shorter than 16
 * characters are not secrets anyone could deploy.
 */
export function secretValuesIn(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/[A-Z_]*SECRET[A-Z_]*['"]?\s*[:=]\s*['"]?([^'"\s,;}]+)/g)) found.push(m[1]!);
  for (const m of text.matchAll(/\$\{[A-Z_]*SECRET[A-Z_]*:-([^}]*)\}/g)) found.push(m[1]!);
  // Property paths (`opts.s3.secretAccessKey`) are code, not values.
  return found.filter((v) => v.length >= 16 && /^[A-Za-z0-9_+/=.-]+$/.test(v) && !v.includes('SECRET') && !/^[a-z]\w*(\.\w+)+$/.test(v));
}

describe('published secrets', () => {
  const tracked = git('ls-files', '-z')
    .split('\0')
    .filter((f) => f && !/\.(png|jpe?g|pdf)$/i.test(f) && f !== 'package-lock.json' && f !== SELF && fs.existsSync(path.join(projectRoot, f)));
  const treeText = tracked.map((f) => fs.readFileSync(path.join(projectRoot, f), 'utf8')).join('\n');
  // This branch's history (what a clone has), without this file's own examples.
  const historyText = git('log', 'HEAD', '-p', '-G', 'SECRET', '--format=', '--', '.', ':!package-lock.json', `:!${SELF}`);

  it('the extractor finds the forms secrets are written in', () => {
    assert.deepEqual(
      secretValuesIn(
        "TOKEN_SECRET: ${TOKEN_SECRET:-fallback-value-0123456789}\nX_SECRET=plain-value-0123456789\nconst DEV_SECRET = 'code-value-0123456789';\nA_SECRET: ${A_SECRET:?set it}\nB_SECRET: 'x'.repeat(32)",
      ),
      ['plain-value-0123456789', 'code-value-0123456789', 'fallback-value-0123456789'],
    );
  });

  it('lists every secret value in the tree and in the git history', () => {
    const seen = new Set([...secretValuesIn(treeText), ...secretValuesIn(historyText)]);
    assert.ok(seen.size > 0, 'the scan found nothing at all: the extractor is broken');
    assert.deepEqual(
      [...seen].filter((v) => !PUBLISHED_SECRETS.includes(v)),
      [],
    );
  });

  it('lists nothing the repository never showed, and the development default is among them', () => {
    for (const value of PUBLISHED_SECRETS) assert.ok(treeText.includes(value) || historyText.includes(value), `${value} is not in the repository`);
    const dev = loadConfig({ NODE_ENV: 'development' });
    assert.ok(PUBLISHED_SECRETS.includes(dev.TOKEN_SECRET) && PUBLISHED_SECRETS.includes(dev.WEBHOOK_SECRET));
  });

  it('.env.example and docker-compose.yml ship no usable secret', () => {
    const example = fs.readFileSync(path.join(projectRoot, '.env.example'), 'utf8');
    for (const name of ['TOKEN_SECRET', 'WEBHOOK_SECRET']) assert.match(example, new RegExp(`^${name}=$`, 'm'));
    const compose = fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8');
    for (const name of ['TOKEN_SECRET', 'WEBHOOK_SECRET', 'PUBLIC_BASE_URL']) assert.match(compose, new RegExp(`${name}: \\$\\{${name}:\\?`));
    assert.deepEqual(secretValuesIn(compose), []);
    // Temporal's frontend has no authentication (--allow-no-auth), so it is not published at all (the
    // replicas reach it on the compose network). The UI signs staff in at the identity provider, and
    // is still published on loopback only, for the TLS proxy in front of it (its callback URL's host).
    assert.match(compose, /allow-no-auth/);
    assert.match(compose, /TEMPORAL_AUTH_ENABLED: ['"]true['"]/);
    // Either YAML quote: Prettier writes single quotes, a hand edit may bring double ones back.
    assert.doesNotMatch(compose, /:7233['"]/);
    assert.match(compose, /['"]127\.0\.0\.1:8233:8080['"]/);
    assert.doesNotMatch(compose, /['"](7233|8233):/);
  });
});
