/**
 * The one place that reads the environment. Every variable the service knows is
 * declared here with its default and a sentence for operators; the README's
 * configuration table is printed from this list (`npm run config:doc`).
 */
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const url = z.string().url();

/** Embedded-default secrets: fine for a laptop, refused in production. */
const DEV_SECRET = 'progreg-dev-secret-change-me-0123456789';

export const configVariables = {
  NODE_ENV: {
    schema: z.enum(['development', 'production', 'test']).default('development'),
    doc: 'production refuses the embedded-default secrets.',
  },
  LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    doc: 'pino log level for the worker and the gateway.',
  },
  VAR_DIR: {
    schema: z.string().default('var'),
    doc: 'Where embedded defaults keep their state (PostgreSQL data, Temporal SQLite, outbox, uploads).',
  },
  DATABASE_URL: {
    schema: optionalString.pipe(url.optional()),
    doc: 'PostgreSQL URL. Unset: `npm start` runs an embedded PostgreSQL under VAR_DIR/postgres.',
  },
  EMBEDDED_PG_PORT: {
    schema: port.default(54329),
    doc: 'Port of the embedded PostgreSQL (only when DATABASE_URL is unset).',
  },
  TEMPORAL_ADDRESS: {
    schema: optionalString,
    doc: 'host:port of the Temporal frontend. Unset: `npm start` runs `temporal server start-dev` on localhost:7233.',
  },
  TEMPORAL_DEV_PORT: {
    schema: port.default(7233),
    doc: 'gRPC port of the embedded Temporal dev server (only when TEMPORAL_ADDRESS is unset).',
  },
  TEMPORAL_NAMESPACE: {
    schema: z.string().default('default'),
    doc: 'Temporal namespace of the registration workflows.',
  },
  TEMPORAL_TASK_QUEUE: {
    schema: z.string().default('registration'),
    doc: 'Task queue the worker polls and the gateway starts workflows on.',
  },
  TEMPORAL_UI_PORT: {
    schema: port.default(8233),
    doc: 'Port of the embedded Temporal Web UI.',
  },
  TEMPORAL_UI_URL: {
    schema: optionalString.pipe(url.optional()),
    doc: 'Base URL of the Temporal Web UI, for links from the staff pages. Default http://localhost:TEMPORAL_UI_PORT.',
  },
  GATEWAY_PORT: {
    schema: port.default(3000),
    doc: 'Port the HTTP gateway listens on.',
  },
  PUBLIC_BASE_URL: {
    schema: optionalString.pipe(url.optional()),
    doc: 'Base URL students reach the portal at; used in invitation links. Default http://localhost:GATEWAY_PORT.',
  },
  RESEND_API_KEY: {
    schema: optionalString,
    doc: 'Resend API key. Unset: emails go to the outbox (email log table + files under OUTBOX_DIR).',
  },
  RESEND_BASE_URL: {
    schema: optionalString.pipe(url.optional()),
    doc: 'Resend API base URL. Unset: https://api.resend.com (tests point it at a local fake).',
  },
  EMAIL_FROM: {
    schema: z.string().default('HKUST Academic Registry <progreg@ust.hk>'),
    doc: 'Sender of every email.',
  },
  REGISTRY_ALERT_EMAIL: {
    schema: z.string().email().default('progreg@ust.hk'),
    doc: 'Where verification service-level alerts go.',
  },
  OUTBOX_DIR: {
    schema: optionalString,
    doc: 'Folder for rendered outbox emails. Default VAR_DIR/outbox.',
  },
  UPLOAD_DIR: {
    schema: optionalString,
    doc: 'Folder for uploaded files, stored by sha256. Default VAR_DIR/uploads.',
  },
  UPLOAD_QUOTA_MB: {
    schema: z.coerce.number().positive().default(100),
    doc: 'Storage per registration (its documents, identical bytes counted once); an upload past it is refused with 413 QUOTA_EXCEEDED.',
  },
  BLOB_GC_GRACE_MINUTES: {
    schema: z.coerce.number().int().min(1).default(60),
    doc: 'Stored bytes no document references are removed only once no upload has brought them for this long (uploads in flight are safe); stale temporary upload files likewise.',
  },
  BLOB_GC_INTERVAL_MINUTES: {
    schema: z.coerce.number().int().min(0).default(60),
    doc: 'How often the gateway removes unreferenced stored bytes (0: never; `npm run blobs:gc` does it by hand). Stale temporary upload files are also removed at gateway start.',
  },
  TOKEN_SECRET: {
    schema: z.string().min(32).default(DEV_SECRET),
    doc: 'Secret (32+ chars) that signs invitation links and student sessions. Required in production.',
  },
  WEBHOOK_SECRET: {
    schema: z.string().min(16).default(DEV_SECRET),
    doc: 'Shared secret of the identity-provider and payment webhooks (HMAC-SHA256). Required in production.',
  },
  WEBHOOK_TOLERANCE_SECONDS: {
    schema: z.coerce.number().int().min(10).max(3600).default(300),
    doc: 'Replay window: a webhook whose signed timestamp is further than this from now is refused.',
  },
  INVITATION_TTL_DAYS: {
    schema: z.coerce.number().int().min(1).max(365).default(60),
    doc: 'Sign-in links (invitation, reminders, "Email me a new link") stay valid until the registration can no longer change (latest deadline + resubmission window), and at least this many days.',
  },
  SESSION_TTL_HOURS: {
    schema: z.coerce.number().int().min(1).max(720).default(12),
    doc: 'How long a student session (after opening the invitation link) lasts.',
  },
  IDP_ACTIVATION_URL: {
    schema: optionalString.pipe(url.optional()),
    doc: 'Account-activation page of the identity provider (the invitation token is appended as ?token=). Unset: the gateway serves a simulator at /idp/activate (not in production).',
  },
  AUTH_RATE_LIMIT_PER_MINUTE: {
    schema: z.coerce.number().int().min(1).default(20),
    doc: 'Failed attempts per minute and client address at token exchange and staff sign-in.',
  },
  TRUST_PROXY: {
    schema: optionalString.transform((v) => (v === undefined ? undefined : v === 'true' ? true : /^\d+$/.test(v) ? Number(v) : v)),
    doc: "Express's `trust proxy` behind a reverse proxy (a hop count such as 1, `loopback`, or a subnet list), so rate limits and logs see the client's address. Unset: the direct peer.",
  },
  SIGN_IN_LINK_RATE_LIMIT_PER_HOUR: {
    schema: z.coerce.number().int().min(1).default(10),
    doc: '"Email me a new link" requests per hour and client address (every request counts: each may send an email).',
  },
  REGISTRATION_ACTION_RATE_LIMIT_PER_MINUTE: {
    schema: z.coerce.number().int().min(1).default(30),
    doc: 'Uploads, form submissions and declines per minute and registration (application number), whoever sends them.',
  },
  WEBHOOK_RATE_LIMIT_PER_MINUTE: {
    schema: z.coerce.number().int().min(1).default(600),
    doc: 'Requests per minute and client address to the webhook endpoints.',
  },
  IMPORT_CONCURRENCY: {
    schema: z.coerce.number().int().min(1).max(256).default(32),
    doc: 'How many workflow starts a cohort import keeps in flight at once (a worker setting: the import workflow runs there).',
  },
  RATE_LIMIT_STORE: {
    schema: z.enum(['memory', 'postgres']).default('memory'),
    doc: 'Where the gateway counts rate-limited requests: `memory` (one gateway) or `postgres` (the read-model database, so the limits hold across every gateway behind a load balancer).',
  },
  S3_ENDPOINT: {
    schema: optionalString.pipe(url.optional()),
    doc: 'S3-compatible endpoint for uploaded files (SeaweedFS under `npm run cluster` and docker-compose). Unset: local disk under UPLOAD_DIR.',
  },
  S3_BUCKET: {
    schema: z.string().default('progreg-uploads'),
    doc: 'Bucket of the uploaded files (created if missing).',
  },
  S3_REGION: {
    schema: z.string().default('us-east-1'),
    doc: 'Region sent to the S3 endpoint.',
  },
  S3_ACCESS_KEY_ID: {
    schema: optionalString,
    doc: 'Access key of the S3 endpoint.',
  },
  S3_SECRET_ACCESS_KEY: {
    schema: optionalString,
    doc: 'Secret key of the S3 endpoint.',
  },
  CLUSTER_S3_PORT: {
    schema: port.default(8333),
    doc: "S3 port of `npm run cluster`'s SeaweedFS (its master, volume and filer take the next ports).",
  },
  REVIEW_CLAIM_MINUTES: {
    schema: z.coerce.number().int().min(1).max(120).default(5),
    doc: 'How long *Review next* holds an item for the reviewer it gave it to; after that any reviewer may be given it.',
  },
} as const;

type Vars = typeof configVariables;
type Raw = { [K in keyof Vars]: z.output<Vars[K]['schema']> };

export interface Config extends Raw {
  varDir: string;
  outboxDir: string;
  uploadDir: string;
  temporalUiUrl: string;
  publicBaseUrl: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};
  for (const [name, { schema }] of Object.entries(configVariables)) {
    const parsed = (schema as z.ZodType).safeParse(env[name]);
    if (parsed.success) raw[name] = parsed.data;
    else problems.push(`${name}=${JSON.stringify(env[name])}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (problems.length) throw new ConfigError(problems);
  const r = raw as Raw;
  if (r.NODE_ENV === 'production') {
    for (const name of ['TOKEN_SECRET', 'WEBHOOK_SECRET'] as const) {
      if (r[name] === DEV_SECRET) problems.push(`${name}: must be set in production`);
    }
    if (problems.length) throw new ConfigError(problems);
  }
  const varDir = path.resolve(r.VAR_DIR);
  return {
    ...r,
    varDir,
    outboxDir: path.resolve(r.OUTBOX_DIR ?? path.join(varDir, 'outbox')),
    uploadDir: path.resolve(r.UPLOAD_DIR ?? path.join(varDir, 'uploads')),
    temporalUiUrl: r.TEMPORAL_UI_URL ?? `http://localhost:${r.TEMPORAL_UI_PORT}`,
    publicBaseUrl: r.PUBLIC_BASE_URL ?? `http://localhost:${r.GATEWAY_PORT}`,
  };
}

/** DATABASE_URL is optional for `npm start` (embedded) but required by the production entry points. */
export function requireDatabaseUrl(config: Pick<Config, 'DATABASE_URL'>): string {
  if (!config.DATABASE_URL) throw new ConfigError(['DATABASE_URL: must be set (npm start sets it for the embedded stack)']);
  return config.DATABASE_URL;
}

/** Markdown table of every variable, for the README. */
export function configTable(): string {
  const rows = Object.entries(configVariables).map(([name, { schema, doc }]) => {
    const d = (schema as z.ZodType).safeParse(undefined);
    const def = d.success && d.data !== undefined ? `\`${String(d.data)}\`` : '';
    return `| \`${name}\` | ${name.endsWith('SECRET') ? '(dev default)' : def} | ${doc} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
