/**
 * The one place that reads the environment: loadConfig parses every variable
 * (variables.ts), fills the defaults that depend on each other, and refuses a
 * production start with unsafe settings, naming each variable at fault.
 */
import path from 'node:path';
import type { z } from 'zod';
import { isDevelopment } from './mode';
import { oidcProductionProblems, oidcSettings, type OidcSettings } from './oidc';
import { configVariables, DEV_SECRET, MIN_SECRET_LENGTH, PUBLISHED_SECRETS, type Raw } from './variables';

export { isDevelopment } from './mode';
export type { OidcSettings, StaffRoleName } from './oidc';
export { configTable, PUBLISHED_SECRETS } from './variables';

export interface Config extends Omit<Raw, 'TOKEN_SECRET' | 'WEBHOOK_SECRET'> {
  TOKEN_SECRET: string;
  WEBHOOK_SECRET: string;
  /** Where emails go: Resend, or the outbox (log table + files). */
  emailTransport: 'resend' | 'outbox';
  varDir: string;
  outboxDir: string;
  uploadDir: string;
  temporalUiUrl: string;
  publicBaseUrl: string;
  /** Undefined: no single sign-on (production without OIDC_ISSUER_URL); staff use API keys. */
  oidc: OidcSettings | undefined;
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
    else problems.push(`${name}${name.endsWith('SECRET') ? '' : `=${JSON.stringify(env[name])}`}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  const r = raw as Raw;
  const emailTransport = r.EMAIL_TRANSPORT ?? (r.RESEND_API_KEY ? 'resend' : 'outbox');
  if (emailTransport === 'resend' && !r.RESEND_API_KEY) problems.push('RESEND_API_KEY: must be set when EMAIL_TRANSPORT=resend');
  if (!isDevelopment(r) && options.purpose !== 'tool') {
    // Every problem at once (an operator fixes them in one go); a variable already refused above is not repeated.
    const refused = new Set(problems.map((p) => p.split(/[=:]/)[0]));
    problems.push(...productionProblems(r).filter((p) => !refused.has(p.split(':')[0])));
  }
  const oidc = oidcSettings(r, problems);
  if (problems.length) throw new ConfigError(problems);
  const varDir = path.resolve(r.VAR_DIR);
  return {
    ...r,
    // Only development reaches these defaults: production refused a missing secret above.
    TOKEN_SECRET: r.TOKEN_SECRET ?? DEV_SECRET,
    WEBHOOK_SECRET: r.WEBHOOK_SECRET ?? DEV_SECRET,
    emailTransport,
    varDir,
    outboxDir: path.resolve(r.OUTBOX_DIR ?? path.join(varDir, 'outbox')),
    uploadDir: path.resolve(r.UPLOAD_DIR ?? path.join(varDir, 'uploads')),
    temporalUiUrl: r.TEMPORAL_UI_URL ?? `http://localhost:${r.TEMPORAL_UI_PORT}`,
    publicBaseUrl: r.PUBLIC_BASE_URL ?? `http://localhost:${r.GATEWAY_PORT}`,
    oidc,
  };
}

/** What a production server must not start with: each problem names its variable. */
function productionProblems(r: Raw): string[] {
  const problems: string[] = [];
  for (const name of ['TOKEN_SECRET', 'WEBHOOK_SECRET'] as const) {
    const value = r[name];
    if (value === undefined) problems.push(`${name}: must be set in production (${MIN_SECRET_LENGTH}+ random characters, e.g. \`openssl rand -base64 48\`)`);
    else if (PUBLISHED_SECRETS.includes(value)) problems.push(`${name}: is a value published in the progreg repository; anyone can read it. Generate your own.`);
  }
  if (r.TOKEN_SECRET !== undefined && r.TOKEN_SECRET === r.WEBHOOK_SECRET) problems.push('WEBHOOK_SECRET: must differ from TOKEN_SECRET (the webhook senders must not be able to sign student sessions)');
  if (!r.PUBLIC_BASE_URL?.startsWith('https://')) {
    problems.push(`PUBLIC_BASE_URL: must be the https:// address students reach the portal at in production (got ${r.PUBLIC_BASE_URL ?? 'nothing'})`);
  }
  if (!r.RESEND_API_KEY && r.EMAIL_TRANSPORT !== 'outbox') {
    problems.push('RESEND_API_KEY: must be set in production, or choose the outbox explicitly with EMAIL_TRANSPORT=outbox');
  }
  return [...problems, ...oidcProductionProblems(r)];
}

/** DATABASE_URL is optional for `npm start` (embedded) but required by the production entry points. */
export function requireDatabaseUrl(config: Pick<Config, 'DATABASE_URL'>): string {
  if (!config.DATABASE_URL) throw new ConfigError(['DATABASE_URL: must be set (npm start sets it for the embedded stack)']);
  return config.DATABASE_URL;
}
