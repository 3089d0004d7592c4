/**
 * Every environment variable the service knows, declared once with its schema,
 * its default and a sentence for operators; the README's configuration table
 * is printed from this list (`npm run config:doc`). Read by loadConfig (index.ts).
 */
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const url = z.string().url();

/** The embedded-default secret: fine on a laptop (development), refused everywhere else. */
export const DEV_SECRET = 'progreg-dev-secret-change-me-0123456789';

/** The embedded-default signing secret of Resend's email events (Svix format): development only, like DEV_SECRET. */
export const DEV_RESEND_WEBHOOK_SECRET = 'whsec_cHJvZ3JlZy1kZXYtcmVzZW5kLXdlYmhvb2stc2VjcmV0LTAxMjM=';

/**
 * Every secret value ever published in this repository (code, compose file,
 * docs, or its history): anyone who reads the repository knows them, so no
 * production start accepts one. test/stack/published-secrets.test.ts checks this
 * list against the tree and the git history, both ways.
 */
export const PUBLISHED_SECRETS: readonly string[] = [
  DEV_SECRET,
  DEV_RESEND_WEBHOOK_SECRET,
  // docker-compose.yml's fallbacks before secrets came from .env.
  'compose-token-secret-please-change-0000',
  'compose-webhook-secret-change',
  // The cluster bench's and cluster test's token secrets before they were made at run time.
  'bench-token-secret-0123456789abcdefghij',
  'cluster-test-token-secret-0123456789abcdef',
];

/**
 * The development payload key ring (`npm start`, the tests): published here, so a
 * production start refuses it. The fixtures of encrypted histories are sealed with it.
 */
export const DEV_PAYLOAD_KEYS = 'dev-1:aZ1v+uLccTfW2PI1ZTBJ99uP/4pt4hQQo+jBSSfcFgw=';

export const MIN_SECRET_LENGTH = 32;
/** Variables whose value a refusal never prints. */
export const isSecretName = (name: string): boolean => /(SECRET|TOKEN)$/.test(name);
const secret = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v))
  .pipe(z.string().min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`).optional());

export const configVariables = {
  NODE_ENV: {
    schema: optionalString.pipe(z.enum(['development', 'production', 'test']).default('production')),
    doc: '`development` (set by `npm start`) and `test` (set by the test harness) allow the embedded defaults: the public dev secrets, http, the outbox, the identity-provider simulator. Anything else, unset included, is production and refuses to start without its own secrets, an https PUBLIC_BASE_URL and an email transport (exit code 2).',
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
  TEMPORAL_TLS: {
    schema: optionalString.pipe(z.enum(['true', 'false']).optional()),
    doc: "TLS to the Temporal frontend from the worker, the gateway and the tools (`true`/`false`). Unset: on when a TEMPORAL_TLS_* file or TEMPORAL_API_KEY is set. The server certificate is checked against TEMPORAL_TLS_CA_FILE, else the system's roots (Temporal Cloud).",
  },
  TEMPORAL_TLS_CA_FILE: {
    schema: optionalString,
    doc: "PEM file of the CA that signed the Temporal frontend's certificate (a private CA).",
  },
  TEMPORAL_TLS_CERT_FILE: {
    schema: optionalString,
    doc: "Client certificate (PEM) for mutual TLS, with TEMPORAL_TLS_KEY_FILE (Temporal Cloud's mTLS namespaces, a frontend with `requireClientAuth`).",
  },
  TEMPORAL_TLS_KEY_FILE: {
    schema: optionalString,
    doc: 'Private key (PEM) of TEMPORAL_TLS_CERT_FILE.',
  },
  TEMPORAL_TLS_SERVER_NAME: {
    schema: optionalString,
    doc: "Server name to check the frontend's certificate against (and send as SNI), when it differs from TEMPORAL_ADDRESS's host.",
  },
  TEMPORAL_API_KEY: {
    schema: optionalString,
    doc: 'API key sent to Temporal (Temporal Cloud API-key namespaces); implies TLS.',
  },
  TEMPORAL_NAMESPACE: {
    schema: z.string().default('default'),
    doc: 'Temporal namespace of the registration workflows.',
  },
  TEMPORAL_TASK_QUEUE: {
    schema: z.string().default('registration'),
    doc: 'Task queue of the registration workflows and their activities: the worker polls it, the gateway and the cohort import start registrations on it.',
  },
  TEMPORAL_IMPORT_TASK_QUEUE: {
    schema: optionalString,
    doc: "Task queue of the cohort import workflow and its activities, polled by the worker's import worker with slots of its own (docs/operations.md, Cohort import). Default TEMPORAL_TASK_QUEUE + `-import`.",
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
    doc: 'Resend API key. Unset in development: emails go to the outbox (email log table + files under OUTBOX_DIR). Required in production unless EMAIL_TRANSPORT=outbox.',
  },
  EMAIL_TRANSPORT: {
    schema: optionalString.pipe(z.enum(['resend', 'outbox']).optional()),
    doc: '`resend` or `outbox`. Unset: resend when RESEND_API_KEY is set, else the outbox (development only; production must choose `outbox` explicitly).',
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
    schema: secret,
    doc: 'Secret (32+ chars) that signs invitation links and student sessions. Required in production, and never a value published in this repository.',
  },
  WEBHOOK_SECRET: {
    schema: secret,
    doc: 'Shared secret (32+ chars) of the identity-provider and payment webhooks (HMAC-SHA256). Required in production, and never a value published in this repository.',
  },
  TEMPORAL_PAYLOAD_KEYS: {
    schema: optionalString,
    doc: 'The keys that encrypt every payload sent to Temporal (AES-256-GCM): `id:base64key` entries separated by commas, each key 32 random bytes (`openssl rand -base64 32`). The first seals new payloads; all of them open old ones (key rotation: docs/operations.md, "Personal data"). Required in production (this or TEMPORAL_PAYLOAD_KEYS_FILE), never the published development key; the same ring on every worker, gateway and tool.',
  },
  TEMPORAL_PAYLOAD_KEYS_FILE: {
    schema: optionalString,
    doc: 'A file holding the payload keys instead (same entries, one per line, `#` comments), e.g. a mounted secret. Not together with TEMPORAL_PAYLOAD_KEYS.',
  },
  RESEND_WEBHOOK_SECRET: {
    schema: optionalString.pipe(
      z
        .string()
        .regex(/^whsec_[A-Za-z0-9+/]{24,}={0,2}$/, 'must be the signing secret Resend shows for the webhook (whsec_ followed by base64)')
        .optional(),
    ),
    doc: "Signing secret of Resend's email events webhook (POST /api/webhooks/email; `whsec_...`, from Resend's webhook settings). Required in production when emails go through Resend; without it every email event is refused (401). Never a value published in this repository.",
  },
  OUTBOX_WEBHOOK_URL: {
    schema: optionalString.pipe(url.optional()),
    doc: "Outbox only: where the outbox posts Resend's email events for what it wrote, signed with RESEND_WEBHOOK_SECRET as Resend signs them (delivered; bounced or complained for Resend's test addresses `bounced@resend.dev` and `complained@resend.dev`, labels after a `+` included). `npm start` sets it to its gateway; unset: none.",
  },
  WEBHOOK_TOLERANCE_SECONDS: {
    schema: z.coerce.number().int().min(10).max(3600).default(300),
    doc: 'Replay window: a webhook whose signed timestamp is further than this from now is refused.',
  },
  INVITATION_TTL_DAYS: {
    schema: z.coerce.number().int().min(1).max(365).default(60),
    doc: 'Sign-in links (invitation, reminders, "Email me a new link") stay valid until the registration can no longer change (latest deadline + resubmission window), and at least this many days.',
  },
  ACTIVATION_LINK_TTL_HOURS: {
    schema: z.coerce.number().int().min(1).max(720).default(72),
    doc: "How long the account-activation link of an email works. Short, unlike the sign-in link, because its token passes through the identity provider's logs and Referer headers; 72 hours spans a weekend. An expired one is replaced by asking for a new link (the sign-in-link email carries a fresh activation link while the account is not activated).",
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
    doc: "Express's `trust proxy` behind a reverse proxy (a hop count such as 1, `loopback`, or a list of addresses and subnets such as `10.0.0.0/8`), so rate limits and logs see the client's address. Unset: the direct peer. Production refuses `true` (it would trust any X-Forwarded-For a client sends) and anything that is not a hop count, an address or a subnet.",
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
  WORKFLOW_UPDATE_TIMEOUT_SECONDS: {
    schema: z.coerce.number().int().min(1).max(300).default(20),
    doc: 'How long the gateway waits for a registration to answer an action; past it the client gets 503 and retries with the same Idempotency-Key.',
  },
  HTTP_HEADERS_TIMEOUT_SECONDS: {
    schema: z.coerce.number().int().min(1).max(300).default(20),
    doc: "How long a client may take to send a request's headers before the gateway answers 408 and closes the connection (a few hundred bytes: slow links send them in well under a second; sockets held open by sending them byte by byte are the point). docs/operations.md, Timeouts and caps.",
  },
  HTTP_BODY_IDLE_TIMEOUT_SECONDS: {
    schema: z.coerce.number().int().min(1).max(3600).default(60),
    doc: "How long a request body may pause (no byte arriving) before the gateway gives up on it and closes the connection: longer than a mobile link's stall in a lift or a cell handover, shorter than an abandoned upload.",
  },
  HTTP_REQUEST_TIMEOUT_SECONDS: {
    schema: z.coerce.number().int().min(1).max(7200).default(900),
    doc: 'The most a whole request (headers and body) may take to arrive, however steadily it trickles: the largest upload (20 MB) at 200 kbit/s, a weak mobile link, takes about 14 minutes. Not the time to answer it, and not the life of an event stream.',
  },
  EVENT_STREAMS_PER_PRINCIPAL: {
    schema: z.coerce.number().int().min(1).max(1000).default(8),
    doc: 'Open live-update streams one student or staff member may hold on one gateway (a page each: a few tabs); the next is 429 until one closes.',
  },
  EVENT_STREAMS_PER_ADDRESS: {
    schema: z.coerce.number().int().min(1).max(100_000).default(200),
    doc: 'Open live-update streams from one client address on one gateway, whoever holds them (a campus or an office behind one NAT address has many); the next is 429 until one closes.',
  },
  METRICS_HOST: {
    schema: z.string().min(1).default('127.0.0.1'),
    doc: "Address the gateway's and the worker's Prometheus endpoints (`GET /metrics`) listen on. Loopback by default: a Prometheus on the same host, or a sidecar, scrapes them. Production refuses any other address without METRICS_TOKEN (docs/operations.md, Metrics).",
  },
  METRICS_TOKEN: {
    schema: secret,
    doc: "Bearer token (32+ chars) the metrics endpoints then require (`Authorization: Bearer ...`, Prometheus's `authorization` scrape setting). Required in production when METRICS_HOST is not a loopback address; never a value published in this repository.",
  },
  GATEWAY_METRICS_PORT: {
    schema: z.coerce.number().int().min(0).max(65535).default(9464),
    doc: "Port of the gateway's metrics endpoint (HTTP requests, open registrations, email deliveries, verification breaches, event streams), never the public port. 0: none.",
  },
  WORKER_METRICS_PORT: {
    schema: z.coerce.number().int().min(0).max(65535).default(9465),
    doc: "Port of the worker's metrics endpoint (the Temporal SDK's worker metrics and the projection's lag). 0: none.",
  },
  OTEL_TRACES_EXPORTER: {
    schema: z.enum(['none', 'otlp']).default('none'),
    doc: "OpenTelemetry's standard variable: `otlp` sends traces (an HTTP request through the workflow's update or signal to its activities) to OTEL_EXPORTER_OTLP_ENDPOINT; `none` sends none (docs/operations.md, Traces).",
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: url.default('http://localhost:4318'),
    doc: 'OTLP over HTTP collector (an OpenTelemetry Collector, Jaeger, Tempo); traces go to its `/v1/traces`.',
  },
  OTEL_SERVICE_NAME: {
    schema: optionalString,
    doc: 'Service name on the spans. Default `progreg-gateway` or `progreg-worker`.',
  },
  IMPORT_CONCURRENCY: {
    schema: z.coerce.number().int().min(1).max(256).default(32),
    doc: 'How many workflow starts a cohort import keeps in flight at once (a worker setting: the import workflow runs there).',
  },
  WORKER_ROLE: {
    schema: z.enum(['all', 'registrations', 'imports']).default('all'),
    doc: "What a worker process polls: `all`, the registrations' task queue and the import's (one process, as `npm start` runs it); `registrations` or `imports`, one of them. `npm run cluster` and docker-compose.yml run the import in a process of its own, so that its starts never wait behind the new registrations' activities on one event loop (docs/operations.md, Cohort import).",
  },
  WORKFLOW_STACK_TRACES: {
    schema: z.enum(['on', 'off']).default('off'),
    doc: "`on`: the built worker collects workflow stack traces for the Temporal UI's Stack Trace tab (the SDK's stack-trace queries), at the cost of a stack captured for every promise a workflow makes, about a third of a replay's time. `off` (the default): that tab's query fails (the worker refuses it); `npm start`, which runs the worker from the sources, always has them (docs/operations.md, Workflow stack traces).",
  },
  WORKER_CACHED_WORKFLOWS: {
    schema: z.coerce.number().int().min(2).max(100_000).default(250),
    doc: "How many registrations a worker keeps in memory between their events (the SDK's maxCachedWorkflows). One left out replays its history on its next event, milliseconds of CPU; each one kept holds about 0.2 MB of the workflow thread's heap, and adds 0.4–0.5 MB to the worker's RSS. The worker refuses to start (exit 2) with more than its V8 heap limit holds (`--max-old-space-size` in `npm run worker`: 384 MB, room for 593; docs/operations.md, Worker memory).",
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
  OIDC_ISSUER_URL: {
    schema: optionalString.pipe(url.optional()),
    doc: 'Issuer of the identity provider staff and activated students sign in with (OpenID Connect, e.g. `https://login.microsoftonline.com/<tenant>/v2.0` or `https://keycloak.example/realms/ust`). Must be https in production. Unset in development: the identity-provider simulator at PUBLIC_BASE_URL/idp. Unset in production: no single sign-on (staff use API keys).',
  },
  OIDC_CLIENT_ID: {
    schema: optionalString,
    doc: 'Client id of the gateway at the identity provider (confidential client, authorization code flow with PKCE). Required with OIDC_ISSUER_URL. Development default `progreg-portal`.',
  },
  OIDC_CLIENT_SECRET: {
    schema: secret,
    doc: 'Client secret (32+ chars) of that client. Required with OIDC_ISSUER_URL, and never a value published in this repository. Development: generated at each start for the simulator.',
  },
  OIDC_REDIRECT_URL: {
    schema: optionalString.pipe(url.optional()),
    doc: "The redirect URI registered at the identity provider. Default PUBLIC_BASE_URL/auth/callback; in production it must be https on PUBLIC_BASE_URL's origin.",
  },
  OIDC_SCOPES: {
    schema: z.string().default('openid email profile'),
    doc: 'Scopes asked for at sign-in (must include `openid`); add the scope that releases the role claim if your provider needs one (e.g. `groups`).',
  },
  OIDC_ROLE_CLAIM: {
    schema: z
      .string()
      .regex(/^[\w:/.-]+$/)
      .default('groups'),
    doc: "ID-token claim holding the staff member's groups or roles, a string or a list; a dotted path reaches nested claims (Keycloak `realm_access.roles`). Entra ID: `roles` (app roles) or `groups`.",
  },
  OIDC_ROLE_MAP: {
    schema: optionalString,
    doc: 'Which claim values make an officer or an admin: `value=role` pairs separated by commas, e.g. `registry-admins=admin,registry-officers=officer` (admin wins when both match). Required with OIDC_ISSUER_URL. Development default `registry-admins=admin,registry-officers=officer`. Anyone else is refused the staff pages.',
  },
  TEMPORAL_UI_OIDC_CLIENT_ID: {
    schema: optionalString,
    doc: 'Client id of the Temporal UI at the identity provider (OIDC_ISSUER_URL), when the UI signs staff in there (its TEMPORAL_AUTH_* settings). The codec endpoint then accepts the ID token the signed-in UI passes (`TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true`, which the UI honours for an https codec only), checked against the provider\'s keys, this audience and OIDC_ROLE_MAP. Development default `temporal-ui`. Set-up: docs/operations.md, "Personal data".',
  },
  TEMPORAL_UI_OIDC_CLIENT_SECRET: {
    schema: secret,
    doc: "Development only: the identity-provider simulator registers the Temporal UI as a client with this secret (`npm run cluster` makes one at each start and gives it to the UI server). A real provider keeps the UI's secret itself; the gateway never needs it.",
  },
  OIDC_STUDENT_CLAIM: {
    schema: z
      .string()
      .regex(/^[\w:/.-]+$/)
      .default('email'),
    doc: "ID-token claim whose value is the student's university account as the activation webhook reported it (universityEmail); the student signs in to the registration holding that account. `email` (then only with `email_verified: true` in the ID token), `upn` or `preferred_username` (or `sub`, if the provider's subject is that address).",
  },
  STAFF_SESSION_TTL_HOURS: {
    schema: z.coerce.number().int().min(1).max(24).default(8),
    doc: 'How long a staff sign-in (single sign-on) lasts before the identity provider is asked again.',
  },
  REVIEW_CLAIM_MINUTES: {
    schema: z.coerce.number().int().min(1).max(120).default(5),
    doc: 'How long *Review next* holds an item for the reviewer it gave it to; after that any reviewer may be given it.',
  },
} as const;

export type Vars = typeof configVariables;
/** The variables as parsed, before the defaults that depend on each other (index.ts). */
export type Raw = { [K in keyof Vars]: z.output<Vars[K]['schema']> };

/** Markdown table of every variable, for the README. */
export function configTable(): string {
  const rows = Object.entries(configVariables).map(([name, { schema, doc }]) => {
    const d = (schema as z.ZodType).safeParse(undefined);
    const def = d.success && d.data !== undefined ? `\`${String(d.data)}\`` : '';
    return `| \`${name}\` | ${name.endsWith('SECRET') ? '(dev default)' : def} | ${doc} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
