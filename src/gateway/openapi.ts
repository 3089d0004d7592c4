/**
 * The API description, generated from the same zod schemas that validate the
 * requests (routes register themselves through route.ts), plus a plain HTML
 * rendering of it served at /docs: no CDN, no client-side script.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ErrorCode, errorDescriptions, httpStatus } from './errors';

export { OpenAPIRegistry };
export type OpenAPIObject = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const ErrorBodySchema = z
  .object({
    code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
    message: z.string().meta({ description: 'Human-readable; safe to show.' }),
    details: z.record(z.string(), z.unknown()).meta({ description: 'Machine-readable particulars, e.g. `issues` for VALIDATION_FAILED.' }),
    requestId: z.string().optional().meta({ description: 'Same as the X-Request-Id response header.' }),
  })
  .meta({ id: 'Error' });

const securitySchemes = {
  studentSession: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'Student session from POST /api/session (also sent as the HttpOnly `progreg_session` cookie, `__Host-progreg_session` when the portal is served over https).',
  },
  staffApiKey: {
    type: 'http',
    scheme: 'bearer',
    description: 'Staff API key (`pgk_…`), created with `npm run staff-key` or POST /api/staff/keys. Roles: officer, admin.',
  },
  staffSession: {
    type: 'apiKey',
    in: 'cookie',
    name: 'progreg_staff',
    description:
      'Staff single sign-on session (GET /auth/staff/sign-in through the identity provider; the cookie is `__Host-progreg_staff` when the portal is served over https), checked against the server on every request. Roles from the configured claim mapping.',
  },
  webhookSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Progreg-Signature',
    description:
      '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with WEBHOOK_SECRET>`. Deliveries outside the replay window, or whose `id` was already accepted, are refused.',
  },
} as const;

export function createRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  for (const [name, scheme] of Object.entries(securitySchemes)) registry.registerComponent('securitySchemes', name, scheme);
  return registry;
}

export function openApiDocument(registry: OpenAPIRegistry, serverUrl?: string): OpenAPIObject {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'progreg gateway',
      version: '0.1.0',
      description:
        'Online program registration for newly admitted students. Every registration is a Temporal workflow; this API authenticates, validates, stores files and passes each action to the workflow. ' +
        'Errors always have the shape `{ code, message, details }`; the codes are listed under "Errors".',
    },
    servers: serverUrl ? [{ url: serverUrl }] : [],
  });
}

/** Error codes grouped by HTTP status, for the OpenAPI responses of a route. */
export function errorResponses(codes: Iterable<ErrorCode>) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) byStatus.set(httpStatus[code], [...(byStatus.get(httpStatus[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: list.map((c) => `\`${c}\`: ${errorDescriptions[c]}`).join(' '),
        content: { 'application/json': { schema: ErrorBodySchema } },
      },
    ]),
  );
}

// ---------------------------------------------------------------------------
// The human-readable page
// ---------------------------------------------------------------------------

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Inline code spans from the descriptions' backticks, nothing more. */
const md = (s: unknown) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON Schema walked by hand; each use reads the fields it knows
type Json = Record<string, any>;

function resolve(doc: OpenAPIObject, schema: Json | undefined): Json | undefined {
  if (schema && typeof schema.$ref === 'string') return doc.components?.schemas?.[schema.$ref.split('/').pop()!] as Json;
  return schema;
}

function schemaBlock(doc: OpenAPIObject, schema: Json | undefined): string {
  if (!schema) return '';
  const name = typeof schema.$ref === 'string' ? schema.$ref.split('/').pop() : undefined;
  const body = JSON.stringify(resolve(doc, schema), null, 2);
  // A schema longer than its box scrolls; tabindex lets keyboard users scroll it too (WCAG 2.1.1).
  return `${name ? `<div class="ref">${esc(name)}</div>` : ''}<pre tabindex="0">${esc(body)}</pre>`;
}

/** A parameter's schema in a few words: type, allowed values or pattern, default. */
function paramSchema(schema: Json): string {
  const parts = [`<code>${esc(schema.type ?? (schema.anyOf ? 'any of' : 'value'))}</code>`];
  if (Array.isArray(schema.enum)) parts.push(`one of ${schema.enum.map((v: unknown) => `<code>${esc(v)}</code>`).join(' ')}`);
  else if (schema.pattern) parts.push(`matching <code>${esc(schema.pattern)}</code>`);
  if (schema.minimum !== undefined || schema.maximum !== undefined) parts.push(`${schema.minimum ?? ''}–${schema.maximum ?? ''}`);
  if (schema.default !== undefined) parts.push(`default <code>${esc(JSON.stringify(schema.default))}</code>`);
  return parts.join(', ');
}

export function renderDocsPage(doc: OpenAPIObject): string {
  const ops: Array<{ method: string; path: string; op: Json }> = [];
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item as Json)) ops.push({ method, path: p, op: op as Json });
  }
  const tags = [...new Set(ops.flatMap((o) => (o.op.tags as string[] | undefined) ?? ['other']))];
  const anchor = (o: { method: string; path: string }) => `${o.method}-${o.path.replace(/[^a-z0-9]+/gi, '-')}`;
  const section = (tag: string) => {
    const list = ops.filter((o) => ((o.op.tags as string[] | undefined) ?? ['other']).includes(tag));
    return `<h2 id="tag-${esc(tag)}">${esc(tag)}</h2>${list.map(operation).join('')}`;
  };
  const operation = (o: { method: string; path: string; op: Json }) => {
    const { op } = o;
    const security = ((op.security as Json[] | undefined) ?? []).flatMap((s) => Object.keys(s));
    const params = (op.parameters as Json[] | undefined) ?? [];
    const body = op.requestBody?.content as Json | undefined;
    const responses = Object.entries((op.responses as Json) ?? {});
    return `<section class="op" id="${anchor(o)}">
<h3><span class="m ${esc(o.method)}">${esc(o.method.toUpperCase())}</span> <code>${esc(o.path)}</code></h3>
<p class="summary">${md(op.summary)}</p>${op.description ? `<p>${md(op.description)}</p>` : ''}
<p class="auth">Authentication: ${security.length ? security.map((s) => `<code>${esc(s)}</code>`).join(' or ') : 'none'}</p>
${
  params.length
    ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th><th>description</th></tr>${params
        .map(
          (p) =>
            `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : 'no'}</td><td>${paramSchema(
              p.schema ?? {},
            )}</td><td>${md(p.description ?? p.schema?.description)}</td></tr>`,
        )
        .join('')}</table>`
    : ''
}
${
  body
    ? Object.entries(body)
        .map(([type, c]) => `<h4>Request body <code>${esc(type)}</code></h4>${schemaBlock(doc, (c as Json).schema)}`)
        .join('')
    : ''
}
<h4>Responses</h4><dl>${responses
      .map(([status, r]) => {
        const content = (r as Json).content as Json | undefined;
        const first = content ? Object.entries(content)[0] : undefined;
        const showSchema = first && !String(status).match(/^[45]/);
        return `<dt>${esc(status)}${first ? ` <code>${esc(first[0])}</code>` : ''}</dt><dd>${md((r as Json).description)}${
          showSchema ? schemaBlock(doc, (first[1] as Json).schema) : ''
        }</dd>`;
      })
      .join('')}</dl></section>`;
  };
  const errors = Object.values(ErrorCode)
    .map((c) => `<tr><td><code>${c}</code></td><td>${httpStatus[c]}</td><td>${md(errorDescriptions[c])}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;display:grid;grid-template-columns:18rem 1fr;color:#1d232b}
nav{position:sticky;top:0;height:100vh;overflow:auto;background:#f3f5f8;padding:1rem;box-sizing:border-box;font-size:13px}
nav a{display:block;color:#003366;text-decoration:none;padding:4px 0;min-height:24px;box-sizing:border-box;overflow-wrap:anywhere}main{padding:1rem 2rem;max-width:70rem;min-width:0}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f6f8fa;padding:.6rem;overflow:auto;max-height:24rem}pre:focus-visible{outline:2px solid #003366}
.op{border-top:1px solid #dde2e8;padding:.5rem 0}.m{display:inline-block;min-width:4rem;text-align:center;border-radius:4px;color:#fff;font-size:12px;padding:2px 6px}
.get{background:#2f6f44}.post{background:#1f4f8f}.delete{background:#9b2c2c}.put,.patch{background:#8a5a00}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #dde2e8;padding:3px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}.ref{font-weight:600}
dt{font-weight:600}.summary{font-weight:600}th,td:nth-child(-n+3){white-space:nowrap}
</style></head><body>
<nav><strong>${esc(doc.info.title)}</strong><p><a href="/openapi.json">openapi.json</a></p>
${tags
  .map(
    (t) =>
      `<a href="#tag-${esc(t)}"><strong>${esc(t)}</strong></a>${ops
        .filter((o) => ((o.op.tags as string[] | undefined) ?? ['other']).includes(t))
        .map((o) => `<a href="#${anchor(o)}">${esc(o.method.toUpperCase())} ${esc(o.path)}</a>`)
        .join('')}`,
  )
  .join('')}
<a href="#errors"><strong>Errors</strong></a></nav>
<main><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1><p>${md(doc.info.description)}</p>
${tags.map(section).join('')}
<h2 id="errors">Errors</h2><table><tr><th>code</th><th>status</th><th>meaning</th></tr>${errors}</table>
</main></body></html>`;
}
