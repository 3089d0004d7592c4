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
  ImportChangedError,
  ImportFileTypeError,
  importReport,
  ImportFormatError,
  previewImport,
  sniffImportFile,
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
import { flag, ImportJobSchema, ImportPreviewSchema, pageOf, pageQuery, pageResult, pageWindow } from '../schemas';
import { text } from '../../text';
import { inOneSnapshot } from '../../db/one-snapshot';

const MAX_IMPORT_BYTES = 20 * 1024 * 1024;

const JsonImportSchema = z
  .object({
    students: z.array(z.unknown()).min(1).max(50_000).meta({ description: 'StudentRow objects; each is validated on its own.' }),
    policy: PolicyOverridesSchema.optional(),
    source: text().max(200).optional(),
  })
  .meta({ id: 'JsonImport' });

const out = (r: ImportReport) => ({ ...r, createdAt: r.createdAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null });

async function readBytes(req: Request, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `The import is larger than ${limit / 1024 / 1024} MB.`, { maxBytes: limit });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A file's bytes as an import: CSV or JSON judged from the bytes (file-type.ts), anything else a 415 saying what it is. */
async function sniffed(bytes: Buffer, policy?: PolicyOverrides): Promise<ImportInput> {
  let file;
  try {
    file = await sniffImportFile(bytes);
  } catch (e) {
    if (e instanceof ImportFileTypeError)
      throw new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, e.message, {
        detected: e.detected,
        expected: ['text/csv (UTF-8, with the header row)', 'application/json'],
      });
    throw e;
  }
  if (file.format === 'json') return { ...parseJson(file.text), ...(policy ? { policy } : {}) };
  return { format: 'csv', text: file.text, policy };
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
  if (type === 'text/csv') return { input: await sniffed(await readBytes(req, MAX_IMPORT_BYTES)), source: sourceName(req.get('x-file-name')) };
  if (type === 'application/json') return { input: parseJson((await readBytes(req, MAX_IMPORT_BYTES)).toString('utf8')) };
  if (type === 'multipart/form-data') {
    const upload = await receiveUpload(req, ctx.blobs, MAX_IMPORT_BYTES);
    try {
      const policy = upload.fields.policy ? parsePolicyField(upload.fields.policy) : undefined;
      return { input: await sniffed(await ctx.blobs.readReceived(upload), policy), source: sourceName(upload.clientName) };
    } finally {
      await ctx.blobs.discard(upload);
    }
  }
  throw new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send the cohort as text/csv, application/json, or a file in multipart/form-data.');
}

/** The import's own refusals as HTTP errors: an unreadable CSV (400), a file other than the one checked (409), students without a known fee (422). */
function asHttpError(e: unknown): unknown {
  if (e instanceof ImportFormatError) return new AppError(ErrorCode.VALIDATION_FAILED, e.message, { issues: [{ in: 'body', path: '', message: e.message }] });
  if (e instanceof ImportChangedError) return new AppError(ErrorCode.IMPORT_CHANGED, e.message, { expected: e.expected, actual: e.actual });
  if (e instanceof UnknownTuitionFees) return new AppError(ErrorCode.INVALID_INPUT, e.message, { rows: e.rows });
  return e;
}

const IMPORT_BODY = {
  content: {
    'text/csv': { schema: z.string() },
    'application/json': { schema: JsonImportSchema },
    'multipart/form-data': { schema: z.object({ [FILE_FIELD]: z.string().meta({ format: 'binary' }), policy: z.string().optional() }) },
  },
};

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
      query: z.object({
        wait: flag,
        sha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .optional()
          .meta({
            description: 'The hash from POST /api/imports/preview: the import goes ahead only if this is the file that was checked, with the same policy.',
          }),
      }),
      rawBody: IMPORT_BODY,
      status: 202,
      response: ImportJobSchema,
      responseDescription: 'The import job (final when `wait=true`, then with status 200).',
      errors: [
        ErrorCode.PAYLOAD_TOO_LARGE,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        ErrorCode.COHORT_POLICY_CONFLICT,
        ErrorCode.INVALID_INPUT,
        ErrorCode.IMPORT_CHANGED,
      ],
    },
    async ({ query, principal, req, setStatus }) => {
      const { input, source } = await readImport(req, ctx);
      const actor = actorOf(principal);
      let begun;
      try {
        begun = await beginImport({ prisma, temporal, config }, input, { actor, source, ...(query.sha256 ? { sha256: query.sha256 } : {}) });
      } catch (e) {
        throw asHttpError(e);
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
      method: 'post',
      path: '/api/imports/preview',
      tags: ['imports'],
      summary: 'Check a cohort file: what its import would do, starting nothing (admin)',
      description:
        'The same bodies as POST /api/imports. Every row is validated; the answer counts the registrations the import would start, ' +
        'the students already registered, the rows it would refuse (with reasons) and the invitation emails it would send. Nothing is written or started.',
      access: 'admin',
      rawBody: IMPORT_BODY,
      response: ImportPreviewSchema,
      errors: [ErrorCode.PAYLOAD_TOO_LARGE, ErrorCode.UNSUPPORTED_MEDIA_TYPE, ErrorCode.COHORT_POLICY_CONFLICT],
    },
    async ({ req }) => {
      const { input } = await readImport(req, ctx);
      try {
        return await previewImport(prisma, input);
      } catch (e) {
        throw asHttpError(e);
      }
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
      const [total, rows] = await inOneSnapshot(prisma, [
        prisma.importJob.count(),
        prisma.importJob.findMany({ orderBy: { createdAt: 'desc' }, ...pageWindow(query) }),
      ]);
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
