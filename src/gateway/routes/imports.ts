/**
 * Cohort import (admin): a CSV or JSON list of admitted students. Rows are
 * validated one by one; the answer lists rejected rows with their reasons and
 * the valid ones are started by a Temporal workflow (idempotently: the same
 * file twice starts nothing new; while it runs, it is the same import). The
 * import runs on after the answer (202), whatever happens to this gateway; poll
 * GET /api/imports/{id} for progress, or pass `?wait=true` to get the final
 * report in the answer.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import {
  beginImport,
  importReport,
  ImportFormatError,
  PolicyOverridesSchema,
  toReport,
  UnknownTuitionFees,
  watchImport,
  type ImportInput,
  type ImportReport,
  type PolicyOverrides,
} from '../../import';
import { sanitizeFileName } from '../../uploads/names';
import { actorOf } from '../auth/principal';
import type { RouterContext } from '../context';
import { AppError, ErrorCode, validationError, type FieldIssue } from '../errors';
import { receiveUpload, FILE_FIELD } from '../multipart';
import { route } from '../route';
import { flag, ImportJobSchema, pageOf, pageQuery, pageResult, pageWindow } from '../schemas';
import { text } from '../../text';

const MAX_IMPORT_BYTES = 20 * 1024 * 1024;

const JsonImportSchema = z
  .object({
    students: z.array(z.unknown()).min(1).max(50_000).meta({ description: 'StudentRow objects; each is validated on its own.' }),
    policy: PolicyOverridesSchema.optional(),
    source: text().max(200).optional(),
  })
  .meta({ id: 'JsonImport' });

const out = (r: ImportReport) => ({ ...r, createdAt: r.createdAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null });

async function readText(req: Request, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `The import is larger than ${limit / 1024 / 1024} MB.`, { maxBytes: limit });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): ImportInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError(ErrorCode.VALIDATION_FAILED, 'The body is not valid JSON.', { issues: [{ in: 'body', path: '', message: 'not valid JSON' }] });
  }
  const body = JsonImportSchema.safeParse(Array.isArray(value) ? { students: value } : value);
  if (!body.success) throw validationError('body', body.error);
  return { format: 'json', students: body.data.students, policy: body.data.policy };
}

/** The `policy` field of a multipart import: JSON of PolicyOverrides; anything else is a 400 naming the field. */
function parsePolicyField(raw: string): PolicyOverrides {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new AppError(ErrorCode.VALIDATION_FAILED, 'Invalid body field "policy": not valid JSON.', {
      issues: [{ in: 'body', path: 'policy', message: 'not valid JSON' }],
    });
  }
  const parsed = PolicyOverridesSchema.safeParse(value);
  if (!parsed.success) {
    const error = validationError('body', parsed.error);
    const issues = (error.details.issues as FieldIssue[]).map((i) => ({ ...i, path: i.path ? `policy.${i.path}` : 'policy' }));
    throw new AppError(ErrorCode.VALIDATION_FAILED, `Invalid body field "${issues[0]!.path}": ${issues[0]!.message}`, { issues });
  }
  return parsed.data;
}

/** The file name the import is recorded under: display-only, so reduced to harmless text. */
const sourceName = (name: string | undefined) => (name ? sanitizeFileName(name, 'import') : undefined);

/** The import in whichever form it came: text/csv, application/json, or a file in multipart/form-data. */
async function readImport(req: Request, ctx: RouterContext): Promise<{ input: ImportInput; source?: string }> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/csv') return { input: { format: 'csv', text: await readText(req, MAX_IMPORT_BYTES) }, source: sourceName(req.get('x-file-name')) };
  if (type === 'application/json') return { input: parseJson(await readText(req, MAX_IMPORT_BYTES)) };
  if (type === 'multipart/form-data') {
    const upload = await receiveUpload(req, ctx.blobs, MAX_IMPORT_BYTES);
    try {
      const text = (await ctx.blobs.readReceived(upload)).toString('utf8');
      const isJson = /\.json$/i.test(upload.clientName ?? '') || /^\s*[[{]/.test(text);
      const policy = upload.fields.policy ? parsePolicyField(upload.fields.policy) : undefined;
      const input: ImportInput = isJson ? { ...parseJson(text), ...(policy ? { policy } : {}) } : { format: 'csv', text, policy };
      return { input, source: sourceName(upload.clientName) };
    } finally {
      await ctx.blobs.discard(upload);
    }
  }
  throw new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send the cohort as text/csv, application/json, or a file in multipart/form-data.');
}

export function importsRouter(ctx: RouterContext): Router {
  const { kit, prisma, temporal, config, logger } = ctx;
  const router = Router();

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/imports',
      tags: ['imports'],
      summary: 'Import a cohort of admitted students (admin)',
      description:
        'Columns / fields: applicationNo, name, personalEmail, programCode, studyLevel (UG|TPG|RPG), admissionRoute (JUPAS|NON_JUPAS, undergraduates only), residency (LOCAL|NON_LOCAL), cohortId, registrationDeadline, paymentDeadline (optional), supplementary (optional, codes separated by ";"), tuitionFee (optional, e.g. "42100 HKD"). ' +
        "A student who owes the tuition fee (local non-JUPAS undergraduates) needs a known fee, the row's tuitionFee or the import's policy.tuitionFee: otherwise the import is refused whole (422 INVALID_INPUT, `details.rows` names each row by line and field). " +
        'Deadlines: ISO instants, or a date meaning the end of that day in Hong Kong. 202 with the job while it runs; 200 with the final report with `?wait=true`.',
      access: 'admin',
      query: z.object({ wait: flag }),
      rawBody: {
        content: {
          'text/csv': { schema: z.string() },
          'application/json': { schema: JsonImportSchema },
          'multipart/form-data': { schema: z.object({ [FILE_FIELD]: z.string().meta({ format: 'binary' }), policy: z.string().optional() }) },
        },
      },
      status: 202,
      response: ImportJobSchema,
      responseDescription: 'The import job (final when `wait=true`, then with status 200).',
      errors: [ErrorCode.PAYLOAD_TOO_LARGE, ErrorCode.UNSUPPORTED_MEDIA_TYPE, ErrorCode.COHORT_POLICY_CONFLICT, ErrorCode.INVALID_INPUT],
    },
    async ({ query, principal, req, setStatus }) => {
      const { input, source } = await readImport(req, ctx);
      const actor = actorOf(principal);
      let begun;
      try {
        begun = await beginImport({ prisma, temporal, config }, input, { actor, source });
      } catch (e) {
        if (e instanceof ImportFormatError)
          throw new AppError(ErrorCode.VALIDATION_FAILED, e.message, { issues: [{ in: 'body', path: '', message: e.message }] });
        if (e instanceof UnknownTuitionFees) throw new AppError(ErrorCode.INVALID_INPUT, e.message, { rows: e.rows });
        throw e;
      }
      const log = logger.child({ importId: begun.job.id, actor });
      if (begun.created) log.info({ total: begun.job.total, valid: begun.job.valid, rejected: begun.job.rejected.length }, 'cohort import started');
      else log.info('the same file is being imported already: answering with that import');
      // The import workflow runs it from here; waiting only watches the job's projected progress.
      if (query.wait) {
        setStatus(200);
        return out(await watchImport(prisma, begun.job.id));
      }
      return out(begun.job);
    },
  );

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/imports',
      tags: ['imports'],
      summary: 'Recent imports (admin)',
      access: 'admin',
      query: z.object(pageQuery),
      response: pageOf(ImportJobSchema, 'ImportJobPage'),
    },
    async ({ query }) => {
      const [total, rows] = await Promise.all([prisma.importJob.count(), prisma.importJob.findMany({ orderBy: { createdAt: 'desc' }, ...pageWindow(query) })]);
      return pageResult(
        rows.map((r) => out({ ...toReport(r), duplicateOf: null })),
        total,
        query,
      );
    },
  );

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/imports/:id',
      tags: ['imports'],
      summary: "An import's progress and report (admin)",
      access: 'admin',
      params: z.object({ id: z.uuid() }),
      response: ImportJobSchema,
      errors: [ErrorCode.NOT_FOUND],
    },
    async ({ params }) => {
      const report = await importReport(prisma, params.id);
      if (!report) throw new AppError(ErrorCode.NOT_FOUND, 'No such import.');
      return out(report);
    },
  );

  return router;
}
