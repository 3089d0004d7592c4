/**
 * The payload codec (src/temporal/payload-codec.ts) and its keys: sealed
 * payloads name their key and open only with it; a ring of several keys opens
 * the old while the first seals the new (rotation); plaintext payloads of old
 * histories pass through; production refuses to start without keys of its own.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { ConfigError, loadConfig } from '../../src/config';
import { EncryptionCodec, PayloadKeyRing, UnknownPayloadKeyError, parsePayloadKeys } from '../../src/temporal/payload-codec';

const key = () => randomBytes(32).toString('base64');
const ring = (text: string) => new PayloadKeyRing(parsePayloadKeys(text));
const student = { name: 'Ho Mei Ling', dateOfBirth: '2005-02-03', personalEmail: 'ho.mei.ling@example.com' };
const plain = () => defaultPayloadConverter.toPayload(student);

describe('payload codec', () => {
  it('seals a payload under the first key, naming it, and opens it again exactly', async () => {
    const codec = new EncryptionCodec(ring(`k2:${key()},k1:${key()}`));
    const [sealed] = await codec.encode([plain()]);
    assert.equal(Buffer.from(sealed!.metadata!.encoding!).toString(), 'binary/encrypted');
    assert.equal(Buffer.from(sealed!.metadata!['encryption-key-id']!).toString(), 'k2');
    for (const value of Object.values(student)) assert.equal(Buffer.from(sealed!.data!).includes(value), false);
    const [opened] = await codec.decode([sealed!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened!), student);
    assert.equal(Buffer.from(opened!.metadata!.encoding!).toString(), 'json/plain');
    // A fresh nonce each time: the same payload never seals to the same bytes.
    const [again] = await codec.encode([plain()]);
    assert.notDeepEqual(Buffer.from(again!.data!), Buffer.from(sealed!.data!));
  });

  it('rotation: a ring with a new first key still opens what the old key sealed, and seals with the new one', async () => {
    const old = `2026a:${key()}`;
    const [sealedOld] = await new EncryptionCodec(ring(old)).encode([plain()]);
    const rotated = new EncryptionCodec(ring(`2026b:${key()},${old}`));
    assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([sealedOld!]))[0]!), student);
    const [sealedNew] = await rotated.encode([plain()]);
    assert.equal(Buffer.from(sealedNew!.metadata!['encryption-key-id']!).toString(), '2026b');
    // Once the old key is dropped, what it sealed no longer opens, and the error names the key.
    await assert.rejects(
      new EncryptionCodec(ring(`2026b:${key()}`)).decode([sealedOld!]),
      (e: unknown) => e instanceof UnknownPayloadKeyError && /"2026a"/.test(e.message),
    );
  });

  it('refuses a payload that was altered, truncated or relabelled with another key id', async () => {
    const k = key();
    const codec = new EncryptionCodec(ring(`a:${k},b:${k}`));
    const [sealed] = await codec.encode([plain()]);
    const flipped = Buffer.from(sealed!.data!);
    flipped[20]! ^= 1;
    await assert.rejects(codec.decode([{ ...sealed!, data: flipped }]));
    await assert.rejects(codec.decode([{ ...sealed!, data: Buffer.from(sealed!.data!).subarray(0, 20) }]));
    // Same key material under another id: the id is authenticated, so it does not open.
    await assert.rejects(codec.decode([{ ...sealed!, metadata: { ...sealed!.metadata, 'encryption-key-id': Buffer.from('b') } }]));
  });

  it('passes a plaintext payload (a history from before encryption) through unchanged', async () => {
    const p = plain();
    assert.deepEqual(await new EncryptionCodec(ring(`k:${key()}`)).decode([p]), [p]);
  });

  it('parses keys from commas, spaces and lines with comments, and says what is wrong without quoting a key', () => {
    const [a, b] = [key(), key()];
    assert.deepEqual(
      parsePayloadKeys(`# rotated 2026-09\nnew:${a}\n\nold:${b}\n`).map((k) => k.id),
      ['new', 'old'],
    );
    assert.deepEqual(
      parsePayloadKeys(`new:${a}, old:${b}`).map((k) => k.id),
      ['new', 'old'],
    );
    const short = randomBytes(16).toString('base64');
    assert.throws(
      () => parsePayloadKeys(`k:${short}`),
      (e: Error) => /must be 32 bytes/.test(e.message) && !e.message.includes(short),
    );
    assert.throws(
      () => parsePayloadKeys(a),
      (e: Error) => /entry 1 is not `id:base64key`/.test(e.message) && !e.message.includes(a),
    );
    assert.throws(() => ring(`k:${a},k:${b}`), /unique/);
  });
});

describe('payload keys in the configuration', () => {
  const prod = {
    NODE_ENV: 'production',
    TOKEN_SECRET: randomBytes(24).toString('base64url'),
    WEBHOOK_SECRET: randomBytes(24).toString('base64url'),
    PUBLIC_BASE_URL: 'https://register.example.edu',
    RESEND_API_KEY: 're_live_key',
    RESEND_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
  };
  const problemsOf = (env: NodeJS.ProcessEnv, purpose: 'server' | 'tool' = 'server'): string[] => {
    try {
      loadConfig(env, { purpose });
      return [];
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.problems;
    }
  };

  it('production, server or tool, refuses to start without payload keys; a tool beside `npm start` uses its development key', () => {
    const cluster = { ...prod, TEMPORAL_ADDRESS: 'temporal.internal:7233' };
    for (const purpose of ['server', 'tool'] as const) {
      assert.deepEqual(
        problemsOf(cluster, purpose)
          .filter((p) => p.startsWith('TEMPORAL_PAYLOAD_KEYS'))
          .map((p) => p.split(':')[0]),
        ['TEMPORAL_PAYLOAD_KEYS'],
        purpose,
      );
    }
    assert.deepEqual(problemsOf(prod, 'server').filter((p) => p.startsWith('TEMPORAL_PAYLOAD_KEYS')).length, 1);
    // No TEMPORAL_ADDRESS: the tool talks to the embedded dev server, whose registrations carry the development key.
    assert.equal(loadConfig({}, { purpose: 'tool' }).payloadKeys.active.id, 'dev-1');
  });

  it('production refuses the published development key, even beside a key of its own', () => {
    const dev = loadConfig({ NODE_ENV: 'development' }).payloadKeys.active;
    const text = `mine:${key()},${dev.id}:${dev.key.toString('base64')}`;
    assert.match(problemsOf({ ...prod, TEMPORAL_PAYLOAD_KEYS: text }).join(), /^TEMPORAL_PAYLOAD_KEYS: holds the development key published/);
  });

  it('reads the keys from the environment or from a file, not both, and development falls back to its published key', () => {
    const k = key();
    assert.equal(loadConfig({ ...prod, TEMPORAL_PAYLOAD_KEYS: `prod-1:${k}` }).payloadKeys.active.id, 'prod-1');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-keys-'));
    const file = path.join(dir, 'keys');
    fs.writeFileSync(file, `# active first\nprod-2:${key()}\nprod-1:${k}\n`);
    try {
      const fromFile = loadConfig({ ...prod, TEMPORAL_PAYLOAD_KEYS_FILE: file }).payloadKeys;
      assert.deepEqual(
        fromFile.keys.map((x) => x.id),
        ['prod-2', 'prod-1'],
      );
      assert.match(problemsOf({ ...prod, TEMPORAL_PAYLOAD_KEYS: `prod-1:${k}`, TEMPORAL_PAYLOAD_KEYS_FILE: file }).join(), /not both/);
      assert.match(problemsOf({ ...prod, TEMPORAL_PAYLOAD_KEYS_FILE: path.join(dir, 'missing') }).join(), /^TEMPORAL_PAYLOAD_KEYS_FILE: cannot read .*ENOENT/);
      // A key file named but empty is a mistake even in development: no silent fall back to the published key.
      fs.writeFileSync(file, '# nothing yet\n');
      assert.match(problemsOf({ NODE_ENV: 'development', TEMPORAL_PAYLOAD_KEYS_FILE: file }).join(), /^TEMPORAL_PAYLOAD_KEYS_FILE: holds no key/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(loadConfig({ NODE_ENV: 'development' }).payloadKeys.active.id, 'dev-1');
    // A malformed key is named, its value never printed (the message lands in logs).
    const bad = randomBytes(8).toString('hex');
    const problems = problemsOf({ ...prod, TEMPORAL_PAYLOAD_KEYS: `k:${bad}` }).join();
    assert.match(problems, /^TEMPORAL_PAYLOAD_KEYS: key k must be 32 bytes/);
    assert.doesNotMatch(problems, new RegExp(bad));
  });
});
