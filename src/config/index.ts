/**
 * The one place that reads the environment: loadConfig parses every variable
 * (variables.ts), fills the defaults that depend on each other, and refuses a
 * production start with unsafe settings, naming each variable at fault.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { z } from 'zod';
import { isDevelopment } from './mode';
import { oidcProductionProblems, oidcSettings, type OidcSettings } from './oidc';
import { isLoopbackHost, transportProblems } from './transport';
import { parsePayloadKeys, PayloadKeyRing, type PayloadKey } from '../temporal/payload-codec';
import {
  configVariables,
  isSecretName,
  DEV_PAYLOAD_KEYS,
  DEV_RESEND_WEBHOOK_SECRET,
  DEV_SECRET,
  MIN_SECRET_LENGTH,
  PUBLISHED_SECRETS,
  type Raw,
} from './variables';

export { isDevelopment } from './mode';
export type { OidcSettings, StaffRoleName } from './oidc';
export { configTable, PUBLISHED_SECRETS } from './variables';
export { temporalTlsEnabled } from './transport';

export interface Config extends Omit<Raw, 'TOKEN_SECRET' | 'WEBHOOK_SECRET'> {
  TOKEN_SECRET: string;
  WEBHOOK_SECRET: string;
  /** Undefined only in production without Resend: the email events webhook then refuses everything. */
  RESEND_WEBHOOK_SECRET: string | undefined;
  /** Where emails go: Resend, or the outbox (log table + files). */
  emailTransport: 'resend' | 'outbox';
  varDir: string;
  outboxDir: string;
  uploadDir: string;
  temporalUiUrl: string;
  /** TEMPORAL_IMPORT_TASK_QUEUE or its default. */
  importTaskQueue: string;
  publicBaseUrl: string;
  /** Undefined: no single sign-on (production without OIDC_ISSUER_URL); staff use API keys. */
  oidc: OidcSettings | undefined;
  /** The keys of the payload codec (TEMPORAL_PAYLOAD_KEYS or its file; development: the published key). */
  payloadKeys: PayloadKeyRing;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        '(NODE_ENV is production unless set; `npm start` and the tests run in development. See docs/operations.md, "Production settings".)',
    );
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /**
   * `tool`: a command-line tool (staff keys, import, OpenAPI) that neither
   * serves students, signs tokens nor sends email, so the exposure checks of a
   * production server do not apply to it. Default `server`.
   */
  purpose?: 'server' | 'tool';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): Config {
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};
  for (const [name, { schema }] of Object.entries(configVariables)) {
    const parsed = (schema as z.ZodType).safeParse(env[name]);
    if (parsed.success) raw[name] = parsed.data;
    else problems.push(`${name}${isSecretName(name) ? '' : `=${JSON.stringify(env[name])}`}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  const r = raw as Raw;
  const emailTransport = r.EMAIL_TRANSPORT ?? (r.RESEND_API_KEY ? 'resend' : 'outbox');
  if (emailTransport === 'resend' && !r.RESEND_API_KEY) problems.push('RESEND_API_KEY: must be set when EMAIL_TRANSPORT=resend');
  if (!isDevelopment(r)) {
    // Every problem at once (an operator fixes them in one go); a variable already refused above is not repeated.
    // Tools skip the server's exposure checks, not the transport ones: an import sends names to Temporal.
    const refused = new Set(problems.map((p) => p.split(/[=:]/)[0]));
    const found = options.purpose === 'tool' ? transportProblems(r) : productionProblems(r);
    problems.push(...found.filter((p) => !refused.has(p.split(':')[0])));
  }
  const oidc = oidcSettings(r, problems);
  if (!!r.TEMPORAL_TLS_CERT_FILE !== !!r.TEMPORAL_TLS_KEY_FILE)
    problems.push('TEMPORAL_TLS_KEY_FILE: mutual TLS needs both TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE');
  // Tools too: an import or staff-key run in production writes to Temporal, and must seal what it writes.
  const payloadKeys = payloadKeyRing(r, problems, options);
  if (problems.length) throw new ConfigError(problems);
  const varDir = path.resolve(r.VAR_DIR);
  return {
    ...r,
    // Only development reaches these defaults: production refused a missing secret above.
    TOKEN_SECRET: r.TOKEN_SECRET ?? DEV_SECRET,
    WEBHOOK_SECRET: r.WEBHOOK_SECRET ?? DEV_SECRET,
    RESEND_WEBHOOK_SECRET: r.RESEND_WEBHOOK_SECRET ?? (isDevelopment(r) ? DEV_RESEND_WEBHOOK_SECRET : undefined),
    emailTransport,
    varDir,
    outboxDir: path.resolve(r.OUTBOX_DIR ?? path.join(varDir, 'outbox')),
    uploadDir: path.resolve(r.UPLOAD_DIR ?? path.join(varDir, 'uploads')),
    temporalUiUrl: r.TEMPORAL_UI_URL ?? `http://localhost:${r.TEMPORAL_UI_PORT}`,
    importTaskQueue: r.TEMPORAL_IMPORT_TASK_QUEUE ?? `${r.TEMPORAL_TASK_QUEUE}-import`,
    publicBaseUrl: r.PUBLIC_BASE_URL ?? `http://localhost:${r.GATEWAY_PORT}`,
    oidc,
    payloadKeys: payloadKeys!,
  };
}

/** The payload keys from the environment or their file; a problem (never the key material) when they are missing or malformed. */
function payloadKeyRing(r: Raw, problems: string[], options: LoadOptions): PayloadKeyRing | undefined {
  if (r.TEMPORAL_PAYLOAD_KEYS && r.TEMPORAL_PAYLOAD_KEYS_FILE) {
    problems.push('TEMPORAL_PAYLOAD_KEYS_FILE: set either TEMPORAL_PAYLOAD_KEYS or TEMPORAL_PAYLOAD_KEYS_FILE, not both');
    return undefined;
  }
  let source = 'TEMPORAL_PAYLOAD_KEYS';
  let text = r.TEMPORAL_PAYLOAD_KEYS;
  if (r.TEMPORAL_PAYLOAD_KEYS_FILE) {
    source = 'TEMPORAL_PAYLOAD_KEYS_FILE';
    try {
      text = fs.readFileSync(r.TEMPORAL_PAYLOAD_KEYS_FILE, 'utf8');
    } catch (e) {
      problems.push(`TEMPORAL_PAYLOAD_KEYS_FILE: cannot read ${r.TEMPORAL_PAYLOAD_KEYS_FILE} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      return undefined;
    }
  }
  if (text === undefined || text.trim() === '') {
    // A tool without TEMPORAL_ADDRESS talks to the embedded dev server of `npm start`, which uses the development key.
    const embedded = options.purpose === 'tool' && !r.TEMPORAL_ADDRESS;
    if ((isDevelopment(r) || embedded) && !r.TEMPORAL_PAYLOAD_KEYS_FILE) return new PayloadKeyRing(parsePayloadKeys(DEV_PAYLOAD_KEYS));
    problems.push(
      `${source}: must be set in production: the keys that encrypt what is sent to Temporal (\`id:base64key\`, the key from \`openssl rand -base64 32\`)`,
    );
    return undefined;
  }
  let keys: PayloadKey[];
  try {
    keys = parsePayloadKeys(text);
    if (keys.length === 0) throw new Error('holds no key');
    const ring = new PayloadKeyRing(keys);
    const published = parsePayloadKeys(DEV_PAYLOAD_KEYS).map((k) => k.key.toString('base64'));
    if (!isDevelopment(r) && keys.some((k) => published.includes(k.key.toString('base64')))) {
      problems.push(`${source}: holds the development key published in the progreg repository; anyone can read it. Generate your own.`);
    }
    return ring;
  } catch (e) {
    problems.push(`${source}: ${(e as Error).message}`);
    return undefined;
  }
}

/** What a production server must not start with: each problem names its variable. */
function productionProblems(r: Raw): string[] {
  const problems: string[] = [];
  for (const name of ['TOKEN_SECRET', 'WEBHOOK_SECRET'] as const) {
    const value = r[name];
    if (value === undefined) problems.push(`${name}: must be set in production (${MIN_SECRET_LENGTH}+ random characters, e.g. \`openssl rand -base64 48\`)`);
    else if (PUBLISHED_SECRETS.includes(value))
      problems.push(`${name}: is a value published in the progreg repository; anyone can read it. Generate your own.`);
  }
  for (const name of ['TOKEN_SECRET', 'WEBHOOK_SECRET', 'OIDC_CLIENT_SECRET', 'METRICS_TOKEN'] as const) {
    const value = r[name];
    if (value !== undefined && !PUBLISHED_SECRETS.includes(value) && !looksRandom(value)) {
      problems.push(`${name}: is too predictable (repeated or few different characters); generate one with \`openssl rand -base64 48\``);
    }
  }
  if (r.METRICS_TOKEN !== undefined && PUBLISHED_SECRETS.includes(r.METRICS_TOKEN))
    problems.push('METRICS_TOKEN: is a value published in the progreg repository; anyone can read it. Generate your own.');
  if (!isLoopbackHost(r.METRICS_HOST) && r.METRICS_TOKEN === undefined && (r.GATEWAY_METRICS_PORT || r.WORKER_METRICS_PORT))
    problems.push(
      `METRICS_TOKEN: must be set in production when the metrics endpoints listen on ${r.METRICS_HOST}, which is not a loopback address (or set METRICS_HOST=127.0.0.1 and scrape from this host)`,
    );
  const proxy = trustProxyProblem(r.TRUST_PROXY);
  if (proxy) problems.push(proxy);
  if (r.TOKEN_SECRET !== undefined && r.TOKEN_SECRET === r.WEBHOOK_SECRET)
    problems.push('WEBHOOK_SECRET: must differ from TOKEN_SECRET (the webhook senders must not be able to sign student sessions)');
  if (!r.PUBLIC_BASE_URL?.startsWith('https://')) {
    problems.push(`PUBLIC_BASE_URL: must be the https:// address students reach the portal at in production (got ${r.PUBLIC_BASE_URL ?? 'nothing'})`);
  }
  if (!r.RESEND_API_KEY && r.EMAIL_TRANSPORT !== 'outbox') {
    problems.push('RESEND_API_KEY: must be set in production, or choose the outbox explicitly with EMAIL_TRANSPORT=outbox');
  }
  if (r.RESEND_WEBHOOK_SECRET !== undefined && PUBLISHED_SECRETS.includes(r.RESEND_WEBHOOK_SECRET)) {
    problems.push(
      'RESEND_WEBHOOK_SECRET: is a value published in the progreg repository; anyone can read it. Use the signing secret Resend shows for your webhook.',
    );
  } else if (r.RESEND_WEBHOOK_SECRET === undefined && r.EMAIL_TRANSPORT !== 'outbox') {
    problems.push(
      "RESEND_WEBHOOK_SECRET: must be set in production when emails go through Resend (the signing secret of the webhook to PUBLIC_BASE_URL/api/webhooks/email, in Resend's webhook settings): without it bounces go unnoticed",
    );
  }
  return [...problems, ...transportProblems(r), ...oidcProductionProblems(r)];
}

/**
 * A rough guard against secrets no generator made: 32 spaces, one character repeated, a short pattern
 * repeated. Refused: a value that repeats a shorter part of itself, one with fewer than 8 different
 * characters, or an empirical (Shannon) entropy under 80 bits over the whole value. `openssl rand -hex 16`
 * (128 bits) and anything longer from `openssl rand -base64` pass.
 */
function looksRandom(secret: string): boolean {
  const chars = [...secret];
  const n = chars.length;
  for (let period = 1; period <= n / 2; period++) if (chars.every((c, i) => i < period || c === chars[i - period])) return false;
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  const bitsPerChar = [...counts.values()].reduce((h, k) => h - (k / n) * Math.log2(k / n), 0);
  return counts.size >= 8 && bitsPerChar * n >= 80;
}

/**
 * TRUST_PROXY in production: a hop count, or the proxies' addresses and subnets (Express's named ranges
 * `loopback`, `linklocal`, `uniquelocal` included). `true` trusts whatever X-Forwarded-For a client sends,
 * so any client could pick the address the rate limits count.
 */
function trustProxyProblem(value: Raw['TRUST_PROXY']): string | undefined {
  if (value === undefined || typeof value === 'number') return undefined;
  const entries = String(value)
    .split(',')
    .map((e) => e.trim());
  const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
  const valid = (e: string) => {
    if (named.has(e)) return true;
    const [address, prefix, extra] = e.split('/');
    const family = net.isIP(address ?? '');
    if (!family || extra !== undefined) return false;
    if (prefix === undefined) return true;
    const bits = Number(prefix);
    return /^\d+$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
  };
  const bad = entries.filter((e) => !valid(e));
  if (value === true || bad.length) {
    return `TRUST_PROXY: must be a hop count (e.g. 1) or the proxies' addresses or subnets in production (got ${value === true ? 'true, which trusts any X-Forwarded-For a client sends' : bad.map((b) => JSON.stringify(b)).join(', ')})`;
  }
  return undefined;
}

/** DATABASE_URL is optional for `npm start` (embedded) but required by the production entry points. */
export function requireDatabaseUrl(config: Pick<Config, 'DATABASE_URL'>): string {
  if (!config.DATABASE_URL) throw new ConfigError(['DATABASE_URL: must be set (npm start sets it for the embedded stack)']);
  return config.DATABASE_URL;
}
