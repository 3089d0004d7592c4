/**
 * Files: a student (or staff on their behalf) uploads a file for a checklist
 * item; staff and the owning student download them.
 *
 * An upload is refused up front when it can never be taken (an item that takes
 * no file, no such registration, a closed one, quota spent), then streamed to staging
 * while hashed, judged by its own bytes (type, size, and for the photo its
 * pixel size and orientation), committed by content and registered with the
 * workflow under a document id made here. The workflow decides duplicates and
 * its projection writes the Document row; the gateway writes only the bytes
 * and StoredFile. A refusal removes the bytes (unless something else needs
 * them); a timeout keeps them, since the workflow may still take the upload.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { UpdateDefinition } from '@temporalio/common';
import {
  defaultCohortPolicy,
  registerDocumentUpdate,
  removePageUpdate,
  sendForReviewUpdate,
  type ItemKey,
  type ItemUpdateResult,
  type ItemKind,
  type ItemView,
  type PhotoSpec,
  type RegistrationStatusView,
  type SubmissionView,
} from '../../../workflows/registration/api';
import { photoSpecViolations } from '../../../workflows/registration/checklist';
import { MAX_PAGES_PER_SUBMISSION } from '../../../workflows/registration/policy';
import { describeMediaTypes, isFileItem, ITEM_LABELS, SUPPLEMENTARY_PREFIX } from '../../../workflows/registration/vocabulary';
import { plainSql } from '../../db/plain-sql';
import { sanitizeFileName } from '../../uploads/names';
import { photoDimensions } from '../../uploads/photo';
import { uploadRule } from '../../uploads/rules';
import { sniffMediaType } from '../../uploads/store';
import { claimStoredFile, releaseStoredFile } from '../../uploads/stored-files';
import { actorOf, type Principal } from '../auth/principal';
import type { RouterContext } from '../context';
import { AppError, ErrorCode } from '../errors';
import { fileTooLarge, formatBytes, receiveUpload, FILE_FIELD } from '../multipart';
import { IdempotencyHeaders, updateIdFor } from '../idempotency';
import { refuseUnmadeChange } from '../projected';
import { route, SENT } from '../route';
import { ApplicationNo, ItemParams, ItemViewSchema, RegistrationParams, SeenChangeQuery, UPLOADED_BY } from '../schemas';
import { documentFor, itemFor } from '../student-view';

const DocumentSchema = z
  .object({
    id: z.string(),
    itemKey: z.string(),
    version: z.number().int().meta({ description: 'The submission the file belongs to; its pages share it.' }),
    page: z.number().int().meta({ description: "The page's number among those added to this version (1 for a file sent alone)." }),
    sha256: z.string().meta({ description: "The file's SHA-256 checksum (lower-case hex): each page has its own." }),
    size: z.number().int(),
    mediaType: z.string(),
    originalName: z.string(),
    uploadedBy: z.string().meta({ description: UPLOADED_BY }),
    uploadedAt: z.string(),
  })
  .meta({ id: 'Document' });

const UploadResultSchema = ItemViewSchema.extend({
  document: DocumentSchema,
  duplicate: z.boolean().meta({ description: 'true: these exact bytes were already the current submission; nothing new was recorded.' }),
}).meta({ id: 'UploadResult', description: 'The checklist item after the upload, and the stored document.' });

type DocumentRow = Awaited<ReturnType<RouterContext['prisma']['document']['create']>>;
/** The pages a sending page showed, so that only those are sent (the send route's query; both or neither). */
const ShownPages = z
  .object({
    version: z.coerce
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: "The submission the pages shown belong to (their `version` in the item's `draft`)." }),
    pages: z
      .string()
      .regex(/^\d{1,3}(,\d{1,3}){0,49}$/, 'page numbers separated by commas')
      .optional()
      .meta({ description: "The numbers of the pages shown, as the item's `draft` lists them, separated by commas (e.g. `1,3`)." }),
  })
  .refine((q) => (q.version === undefined) === (q.pages === undefined), { message: '`version` and `pages` are given together', path: ['pages'] });

/** A file's fields as the API's Document shows them; a submission the workflow holds has them, and so has its projected row. */
type DocumentFields = Pick<SubmissionView, 'version' | 'page' | 'sha256' | 'size' | 'mediaType' | 'originalName' | 'uploadedBy' | 'at'>;

/**
 * A file as the API's Document, whichever source answers: the workflow's submission (the projection writes the same
 * fields into its row, under the same id) or that row (`documentOfRow`), so a list reads the same from either.
 */
function documentOfSubmission(itemKey: string, s: DocumentFields, id: string) {
  return {
    id,
    itemKey,
    version: s.version,
    page: s.page ?? 1,
    sha256: s.sha256,
    size: s.size,
    mediaType: s.mediaType,
    originalName: s.originalName,
    uploadedBy: s.uploadedBy,
    uploadedAt: s.at,
  };
}

const documentOfRow = (row: DocumentRow) => documentOfSubmission(row.itemKey, { ...row, at: row.uploadedAt.toISOString() }, row.id);

/** Every file a workflow's view holds, with its item: each page of every submission and of the draft. */
const filesOf = (view: Pick<RegistrationStatusView, 'items'>) =>
  view.items.flatMap((item) => [...item.submissions, ...item.draft].map((file) => ({ itemKey: item.key, file })));

export function documentsRouter(ctx: RouterContext): Router {
  const { kit, prisma, registrations, blobs } = ctx;
  const router = Router();
  const uploadErrors = [
    ErrorCode.EMPTY_FILE,
    ErrorCode.REGISTRATION_NOT_FOUND,
    ErrorCode.ITEM_NOT_FOUND,
    ErrorCode.INVALID_TRANSITION,
    ErrorCode.INVALID_INPUT,
    ErrorCode.PAYLOAD_TOO_LARGE,
    ErrorCode.QUOTA_EXCEEDED,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    ErrorCode.PHOTO_SPEC_NOT_MET,
    ErrorCode.WORKFLOW_UNAVAILABLE,
  ];
  const multipartBody = {
    content: {
      'multipart/form-data': {
        schema: z.object({ [FILE_FIELD]: z.string().meta({ format: 'binary' }) }),
      },
    },
  };

  /** The two ways a file comes in (sent at once, or kept as a page of the next submission) take the same body and answer alike. */
  const fileRoute = (path: string, summary: string, description: string, keepDraft: boolean) =>
    route(
      kit,
      router,
      {
        method: 'post',
        path,
        tags: ['documents'],
        summary,
        description,
        access: 'ownerOrStaff',
        params: ItemParams,
        limit: ctx.limits.registrationAction,
        rawBody: multipartBody,
        status: 201,
        response: UploadResultSchema,
        errors: [...uploadErrors, ErrorCode.SUBMISSION_LIMIT_REACHED, ErrorCode.PAGE_LIMIT_REACHED],
        // Its round trip runs alongside the session's revocation check and the rate limit.
        early: (params) => storedTarget(ctx, params.applicationNo, params.itemKey),
      },
      (call) => receiveFile(ctx, call, keepDraft),
    );

  /**
   * A change to an item's pages that carries no file: the workflow's update, under an update id from the
   * request's Idempotency-Key (a retry is the same change), answered with the item as the caller may see it.
   */
  const pagesChange =
    <P extends { applicationNo: string; itemKey: string }, A, Q = unknown>(
      def: UpdateDefinition<ItemUpdateResult, [A]>,
      input: (params: P, actor: string, query: Q) => A,
    ) =>
    async ({ params, query, principal, req }: { params: P; query: Q; principal: Principal; req: Request }) => {
      const actor = actorOf(principal);
      // The change's target in its update id: one Idempotency-Key sent for page 1 and then for page 2 is two removals.
      const { applicationNo: _no, ...target } = params;
      const action = [def.name, ...Object.values(target).map(String)].join(':');
      return itemFor(principal, await registrations.update(params.applicationNo, def, input(params, actor, query), updateIdFor(req, action, actor)));
    };

  fileRoute(
    '/api/registrations/:applicationNo/items/:itemKey/documents',
    'Upload a file for a checklist item',
    `multipart/form-data with the file in the field \`${FILE_FIELD}\`. Identification, visa, receipt and supplementary documents: PDF, JPEG or PNG. ` +
      "Photo: JPEG or PNG meeting the cohort's photo specification (422 says what to fix). The type is judged from the file's bytes, not its name. " +
      'The file is sent for review at once, with any pages added before it (bytes already among them are not added twice). ' +
      "Re-sending the bytes that are already the item's current submission records nothing new (`duplicate: true`); " +
      'any other file while the item awaits review is refused (409 `INVALID_TRANSITION`): the registry decides on what was sent. ' +
      'Send an `Idempotency-Key` header to make a retry (after a timeout) the same upload: it is recorded once. ' +
      'Each registration has a storage quota (413 `QUOTA_EXCEEDED`) and a rate limit on its actions (429).',
    false,
  );

  fileRoute(
    '/api/registrations/:applicationNo/items/:itemKey/pages',
    "Add a page to a checklist item's next submission",
    `multipart/form-data with the file in the field \`${FILE_FIELD}\`, as for an upload; the file is kept as a page of the item's next submission, ` +
      'which stays open for more pages (or for removing one) until it is sent for review (`POST …/send`). ' +
      `A submission takes at most ${MAX_PAGES_PER_SUBMISSION} pages (the photo one; 409 \`PAGE_LIMIT_REACHED\`). ` +
      'No page can be added while the item awaits review (409 `INVALID_TRANSITION`): the registry decides on what was sent. ' +
      'The same bytes twice in one submission are one page (`duplicate: true`). Send an `Idempotency-Key` header to make a retry the same page.',
    true,
  );

  route(
    kit,
    router,
    {
      method: 'delete',
      path: '/api/registrations/:applicationNo/items/:itemKey/pages/:page',
      tags: ['documents'],
      summary: "Remove a page from a checklist item's next submission (before it is sent)",
      description:
        "The page (its number in the item's `draft`) leaves the submission; the read model keeps a record of it and its bytes are removed by the " +
        'blob cleanup unless something else holds them. Pages of a submission already sent cannot be removed (409).',
      access: 'ownerOrStaff',
      params: ItemParams.extend({ page: z.coerce.number().int().min(1).meta({ description: "The page's number, as the item's `draft` lists it." }) }),
      headers: IdempotencyHeaders,
      limit: ctx.limits.registrationAction,
      response: ItemViewSchema,
      errors: [
        ErrorCode.REGISTRATION_NOT_FOUND,
        ErrorCode.ITEM_NOT_FOUND,
        ErrorCode.PAGE_NOT_FOUND,
        ErrorCode.INVALID_TRANSITION,
        ErrorCode.WORKFLOW_UNAVAILABLE,
      ],
    },
    pagesChange(removePageUpdate, (params: { applicationNo: string; itemKey: string; page: number }, actor) => ({
      actor,
      itemKey: params.itemKey as ItemKey,
      page: params.page,
    })),
  );

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/registrations/:applicationNo/items/:itemKey/send',
      tags: ['documents'],
      summary: "Send a checklist item's pages for review",
      description:
        "The pages added so far become the item's next submission: the item is SUBMITTED, its verification clock starts, and its pages cannot change " +
        'until the registry decides (a rejection opens the next submission). 409 when there is no page to send or the item already awaits review. ' +
        'A page that shows the pages before sending them names them in `version` and `pages`: if a page was added or taken out elsewhere since ' +
        '(another tab, another device), nothing is sent and the answer is 409 `PAGES_CHANGED` with the pages the item holds.',
      access: 'ownerOrStaff',
      params: ItemParams,
      query: ShownPages,
      headers: IdempotencyHeaders,
      limit: ctx.limits.registrationAction,
      response: ItemViewSchema,
      errors: [
        ErrorCode.REGISTRATION_NOT_FOUND,
        ErrorCode.ITEM_NOT_FOUND,
        ErrorCode.INVALID_TRANSITION,
        ErrorCode.SUBMISSION_LIMIT_REACHED,
        ErrorCode.PAGES_CHANGED,
        ErrorCode.WORKFLOW_UNAVAILABLE,
      ],
    },
    pagesChange(sendForReviewUpdate, (params, actor, shown: z.infer<typeof ShownPages>) => ({
      actor,
      itemKey: params.itemKey as ItemKey,
      ...(shown.version !== undefined && shown.pages !== undefined ? { shown: { version: shown.version, pages: shown.pages.split(',').map(Number) } } : {}),
    })),
  );

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/registrations/:applicationNo/documents',
      tags: ['documents'],
      summary: 'Every uploaded file of a registration (every page of every version, pages not yet sent included)',
      description:
        'Read from the read model, which follows each change by a moment: a list read right after an upload (or a page taken out) ' +
        "holds it when `seq` names that action's answer's `seq`. While the read model has not reached `seq`, the list is the workflow's own; " +
        'once it has (and always without `seq`), the workflow is not asked.',
      access: 'ownerOrStaff',
      params: RegistrationParams,
      query: SeenChangeQuery,
      response: z.object({ items: z.array(DocumentSchema) }),
    },
    async ({ params, query, principal }) => {
      const [rows, projected] = await Promise.all([
        prisma.document.findMany({
          where: { registrationNo: params.applicationNo, removedAt: null },
          orderBy: [{ itemKey: 'asc' }, { version: 'asc' }, { page: 'asc' }],
        }),
        prisma.registration.findUnique({ where: { applicationNo: params.applicationNo }, select: { seq: true } }),
      ]);
      const projectedSeq = projected?.seq ?? -1;
      // The workflow answers an upload (or a page taken out) before it projects it: where the read model has not reached
      // the change the caller has seen, the list is the workflow's, and a change the workflow has not made either is
      // refused (docs/architecture.md, "Reading one's own change"). Asked only then, which is mostly right after an action, while
      // the registration is in the worker's cache; a closed one too, since only its workflow knows its latest change.
      // Unreachable (past Temporal's retention, a worker down): the read model answers alone.
      let live: RegistrationStatusView | undefined;
      if (query.seq !== undefined && projectedSeq < query.seq) {
        live = await registrations.status(params.applicationNo).catch(() => undefined);
        if (live) refuseUnmadeChange(query.seq, live.seq);
      }
      const documents = live && live.seq > projectedSeq ? liveDocuments(live, rows) : rows.map(documentOfRow);
      return { items: documents.map((d) => documentFor(principal, d)) };
    },
  );

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/registrations/:applicationNo/documents/:documentId',
      tags: ['documents'],
      summary: 'Download an uploaded file',
      access: 'ownerOrStaff',
      params: z.object({ applicationNo: ApplicationNo, documentId: z.uuid() }),
      responseContent: {
        'application/pdf': { schema: z.string().meta({ format: 'binary' }) },
        'image/jpeg': { schema: z.string().meta({ format: 'binary' }) },
        'image/png': { schema: z.string().meta({ format: 'binary' }) },
      },
      responseDescription: 'The file, as an attachment.',
      errors: [ErrorCode.NOT_FOUND],
    },
    async ({ params, res }) => {
      const row = await prisma.document.findUnique({ where: { id: params.documentId } });
      // The workflow may show a submission a moment before its projection lands (or while the read model is down):
      // then the live status has what the row would. A page taken out before its submission was sent is gone.
      const doc = row ? (row.removedAt ? undefined : row) : await submittedDocument(ctx, params.applicationNo, params.documentId);
      if (!doc || doc.registrationNo !== params.applicationNo) throw new AppError(ErrorCode.NOT_FOUND, 'No such document for this registration.');
      const stream = await blobs.open(doc.sha256);
      if (!stream) throw new AppError(ErrorCode.NOT_FOUND, 'The file is no longer stored.');
      res.setHeader('Content-Type', doc.mediaType);
      res.setHeader('Content-Length', String(doc.size));
      res.setHeader(
        'Content-Disposition',
        `attachment; filename="${doc.originalName.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(doc.originalName)}`,
      );
      // Even if a browser is told to render it, nothing in it may run.
      res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
      res.setHeader('Cache-Control', 'private, max-age=0');
      stream.pipe(res);
      return SENT;
    },
  );

  return router;
}

async function submittedDocument(ctx: Pick<RouterContext, 'registrations'>, registrationNo: string, documentId: string) {
  const view = await ctx.registrations.status(registrationNo).catch(() => undefined);
  const found = view && filesOf(view).find(({ file }) => file.documentId === documentId);
  return found && { registrationNo, ...documentOfSubmission(found.itemKey, found.file, documentId) };
}

/**
 * Every file the workflow holds (each page of every submission and of the draft), as the read model lists them and in
 * its order. A file registered without the gateway (CLI, tests) has no id of ours: the read model's row has it, else ''.
 */
function liveDocuments(view: RegistrationStatusView, rows: readonly DocumentRow[]) {
  const idOf = new Map(rows.map((r) => [`${r.itemKey}\n${r.version}\n${r.page}`, r.id]));
  return filesOf(view)
    .map(({ itemKey, file }) => documentOfSubmission(itemKey, file, file.documentId ?? idOf.get(`${itemKey}\n${file.version}\n${file.page ?? 1}`) ?? ''))
    .sort((a, b) => (a.itemKey < b.itemKey ? -1 : a.itemKey > b.itemKey ? 1 : a.version - b.version || a.page - b.page));
}

/** The bytes of a registration's files as the workflow holds them (every page of every submission and draft, identical bytes once). */
async function usedBytesOf(ctx: Pick<RouterContext, 'registrations'>, applicationNo: string): Promise<number | undefined> {
  const view = await ctx.registrations.status(applicationNo).catch(() => undefined);
  return view && usedBytesIn(view);
}

/** The bytes a registration's files take, each distinct content once (identical bytes are stored once). */
function usedBytesIn(view: Pick<RegistrationStatusView, 'items'>): number {
  const sizes = new Map(filesOf(view).map(({ file }) => [file.sha256, file.size]));
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}

interface UploadTarget {
  status: string;
  closed: boolean;
  /** What the student calls the item, for refusals that name it. */
  itemLabel: string;
  photo: PhotoSpec;
  /** Bytes of the registration's documents (pages removed before sending not counted), identical bytes counted once. */
  usedBytes: number;
}

/** An item's kind is in its key (`SUPPLEMENTARY:<code>` for supplementary documents, else the kind itself). */
const kindOfKey = (itemKey: string): ItemKind => (itemKey.startsWith(SUPPLEMENTARY_PREFIX) ? 'SUPPLEMENTARY' : (itemKey as ItemKind));

const labelOfKey = (itemKey: string, kind: ItemKind): string => (kind === 'SUPPLEMENTARY' ? itemKey.slice(SUPPLEMENTARY_PREFIX.length) : ITEM_LABELS[kind]);

/**
 * What only the gateway judges before reading a byte, in one query of the read
 * model: that the registration exists (no bytes are stored for none), whether it
 * is closed (final, so a read model that lags cannot refuse wrongly), the cohort's
 * photo specification and the storage in use. Whether the item exists, and what
 * it takes now, is the workflow's validator's to say: the read model may not have
 * an item the workflow has just added (a reclassification, a supplementary
 * document). A registration the read model does not have yet (started moments
 * ago) is `undefined` here: `workflowTarget` asks the workflow, which says the
 * same without waiting for its projection. Only this query runs alongside the
 * request's checks (the route's `early`): the workflow is asked once they passed.
 */
async function storedTarget(ctx: Pick<RouterContext, 'prisma'>, applicationNo: string, itemKey: string): Promise<UploadTarget | undefined> {
  // In plain SQL, as every upload asks it (src/db/plain-sql.ts says why); usedBytes is an int8, read as a string.
  const [row] = await plainSql(ctx.prisma)<{ status: string; photo: PhotoSpec | null; itemLabel: string | null; usedBytes: string }>`
    SELECT r.status, c.policy -> 'photo' AS photo, i.label AS "itemLabel",
      (SELECT COALESCE(SUM(u.size), 0) FROM (SELECT DISTINCT d.sha256, d.size FROM "Document" d WHERE d."registrationNo" = r."applicationNo" AND d."removedAt" IS NULL) u)::bigint AS "usedBytes"
    FROM "Registration" r
    LEFT JOIN "Cohort" c ON c.id = r."cohortId"
    LEFT JOIN "ChecklistItem" i ON i."registrationNo" = r."applicationNo" AND i.key = ${itemKey}
    WHERE r."applicationNo" = ${applicationNo}`;
  if (!row) return undefined;
  return {
    status: row.status,
    closed: isClosedStatus(row.status),
    itemLabel: row.itemLabel ?? labelOfKey(itemKey, kindOfKey(itemKey)),
    photo: row.photo ?? defaultCohortPolicy(new Date().toISOString()).photo,
    usedBytes: Number(row.usedBytes),
  };
}

/** The same facts from the workflow, for a registration the read model does not have yet (see `storedTarget`). */
async function workflowTarget(ctx: Pick<RouterContext, 'registrations' | 'photoSpecs'>, applicationNo: string, itemKey: string): Promise<UploadTarget> {
  const view = await ctx.registrations.status(applicationNo); // 404 if there is no such registration
  return {
    status: view.status,
    closed: isClosedStatus(view.status),
    itemLabel: view.items.find((i) => i.key === itemKey)?.label ?? labelOfKey(itemKey, kindOfKey(itemKey)),
    photo: await ctx.photoSpecs.of(view.student.cohortId),
    usedBytes: usedBytesIn(view),
  };
}

function noSuchItem(itemKey: string, cause: Error): AppError {
  return new AppError(ErrorCode.ITEM_NOT_FOUND, `This registration has no item ${itemKey}.`, { itemKey }, { cause });
}

const isClosedStatus = (status: string) => status === 'COMPLETED' || status === 'WITHDRAWN';

/**
 * The gateway's id for this upload: new, or derived from the request's
 * Idempotency-Key so a retry of a timed-out upload is the same document (and the
 * same Temporal update id); the workflow records it once.
 */
function documentIdOf(req: Request, applicationNo: string, itemKey: string): string {
  const key = req.get('idempotency-key');
  if (key === undefined) return randomUUID();
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, 'Idempotency-Key must be 1–255 visible ASCII characters.', {
      issues: [{ in: 'header', path: 'Idempotency-Key', message: '1–255 visible ASCII characters' }],
    });
  }
  // A name-based (version 5 layout) uuid from a hash of the key and what it is for.
  const b = createHash('sha256').update(`upload\n${applicationNo}\n${itemKey}\n${key}`).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A submission as the API's Document, under the id the projection gives its row. */
async function documentOf(ctx: Pick<RouterContext, 'prisma'>, registrationNo: string, itemKey: string, s: SubmissionView) {
  // Submissions registered without the gateway (CLI, tests) have no id of ours: the projection made one.
  const id =
    s.documentId ??
    (
      await ctx.prisma.document.findUnique({
        where: { registrationNo_itemKey_version_page: { registrationNo, itemKey, version: s.version, page: s.page ?? 1 } },
        select: { id: true },
      })
    )?.id ??
    '';
  return documentOfSubmission(itemKey, s, id);
}

/** Receives one file for an item and registers it: a page kept open (`keepDraft`) or sent for review at once. */
async function receiveFile(
  ctx: RouterContext,
  {
    params,
    principal,
    req,
    setStatus,
    early,
  }: {
    params: { applicationNo: string; itemKey: string };
    principal: Principal;
    req: Request;
    setStatus: (status: number) => void;
    /** storedTarget's answer, asked while the request's checks ran. */
    early: Promise<UploadTarget | undefined>;
  },
  keepDraft: boolean,
) {
  const { prisma, registrations, blobs, config } = ctx;
  const { applicationNo, itemKey } = params;
  const documentId = documentIdOf(req, applicationNo, itemKey);
  const itemKind = kindOfKey(itemKey);
  // ACTIVATION and FORM: no file, whatever the registration (their keys say so).
  if (!isFileItem(itemKind)) throw new AppError(ErrorCode.INVALID_TRANSITION, `${ITEM_LABELS[itemKind]} takes no file.`, { itemKey });
  // Refused up front (facts that never change back, and what only the gateway judges) before a byte is read.
  const target = (await early) ?? (await workflowTarget(ctx, applicationNo, itemKey));
  if (target.closed) {
    throw new AppError(ErrorCode.INVALID_TRANSITION, `This registration is closed (${target.status.toLowerCase()}); nothing more can change.`, {
      reason: 'Closed',
    });
  }
  const photoSpec = target.photo;
  const rule = uploadRule(itemKind, photoSpec)!;
  const quota = Math.floor(config.UPLOAD_QUOTA_MB * 1024 * 1024);
  // The read model may not hold the files of the latest answered uploads yet (the workflow projects them after it
  // answers): where it leaves less room than this item's largest file, the workflow's own list counts them.
  const usedBytes = quota - target.usedBytes < rule.maxBytes ? ((await usedBytesOf(ctx, applicationNo)) ?? target.usedBytes) : target.usedBytes;
  const left = quota - usedBytes;
  const overQuota = () =>
    new AppError(
      ErrorCode.QUOTA_EXCEEDED,
      `This registration's files may take ${formatBytes(quota)} in all; ${formatBytes(Math.max(0, left))} is left, and this file is larger.`,
      { quotaBytes: quota, usedBytes, remainingBytes: Math.max(0, left) },
    );
  if (left <= 0) throw overQuota();
  const maxBytes = Math.min(rule.maxBytes, left);
  const upload = await receiveUpload(req, blobs, maxBytes, maxBytes < rule.maxBytes ? overQuota : () => fileTooLarge(rule.maxBytes));

  let image: { width: number; height: number } | undefined;
  let mediaType: string;
  try {
    const sniffed = await sniffMediaType(upload.head);
    if (!sniffed || !rule.mediaTypes.includes(sniffed)) {
      throw new AppError(
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        `${target.itemLabel} must be ${describeMediaTypes(rule.mediaTypes)}; this file is ${sniffed ? describeMediaTypes([sniffed]) : 'not a recognised type'}.`,
        { detected: sniffed ?? null, claimed: upload.claimedType, allowed: rule.mediaTypes },
      );
    }
    mediaType = sniffed;
    if (itemKind === 'PHOTO') {
      image = photoDimensions(await blobs.readReceived(upload));
      const problems = photoSpecViolations(photoSpec, { mediaType, size: upload.size, imageWidth: image?.width, imageHeight: image?.height });
      if (problems.length) {
        throw new AppError(
          ErrorCode.PHOTO_SPEC_NOT_MET,
          `The photo does not meet the specification: ${problems.join('; ')}. Please upload a ${describeMediaTypes(photoSpec.mediaTypes)} ` +
            `${photoSpec.portrait ? 'portrait ' : ''}photo of ${photoSpec.minWidth}–${photoSpec.maxWidth} × ${photoSpec.minHeight}–${photoSpec.maxHeight} pixels ` +
            `(width × height), ${formatBytes(photoSpec.minBytes)}–${formatBytes(photoSpec.maxBytes)}, on a plain background.`,
          { problems, spec: photoSpec, measured: { ...image, size: upload.size, mediaType } },
        );
      }
    }
    // Claimed before the bytes are committed, so neither a refusal elsewhere nor the cleanup removes them under us.
    await claimStoredFile(prisma, { sha256: upload.sha256, size: upload.size, mediaType });
  } catch (e) {
    await blobs.discard(upload);
    throw e;
  }
  // Committed before the workflow is asked: if its answer is lost (timeout), it may still take the
  // upload later, and the download link it then shows must find the bytes.
  await blobs.commit(upload);

  const actor = actorOf(principal);
  const originalName = sanitizeFileName(upload.clientName, `${itemKey.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`);
  let updated: ItemView;
  try {
    updated = await registrations.update(
      applicationNo,
      registerDocumentUpdate,
      {
        actor,
        itemKey: itemKey as ItemKey,
        sha256: upload.sha256,
        size: upload.size,
        mediaType,
        originalName,
        documentId,
        uploadedBy: actor,
        ...(image ? { imageWidth: image.width, imageHeight: image.height } : {}),
        ...(keepDraft ? { keepDraft: true } : {}),
      },
      `upload-${documentId}`,
    );
  } catch (e) {
    // Refused: the bytes go unless something else needs them. No answer (503): kept, the workflow may still take them.
    if (e instanceof AppError && e.status < 500) await releaseStoredFile(prisma, blobs, upload.sha256);
    // The validator decides whether the item exists; its refusal reads as the gateway's own always did.
    if (e instanceof AppError && e.code === ErrorCode.ITEM_NOT_FOUND) throw noSuchItem(itemKey, e);
    throw e;
  }
  const files = [...updated.submissions, ...updated.draft];
  const mine = files.find((s) => s.documentId === documentId);
  if (mine && mine.sha256 !== upload.sha256) {
    // Temporal answered an earlier update with this id (same Idempotency-Key) that carried other bytes.
    await releaseStoredFile(prisma, blobs, upload.sha256);
    throw new AppError(ErrorCode.INVALID_INPUT, 'This Idempotency-Key was already used for another file; use a new key for a new upload.', {
      reason: 'IdempotencyKeyReused',
      documentId,
    });
  }
  // Taken (or a duplicate): the claim stays, so a refusal of the same bytes keeps them while the projection has not yet written this document's row.
  // Not recorded: these bytes are already a page of the draft or of the current submission (the workflow said so).
  const recorded = mine ?? [...files].reverse().find((s) => s.sha256 === upload.sha256) ?? files[files.length - 1]!;
  if (!mine) setStatus(200);
  return { ...itemFor(principal, updated), document: documentFor(principal, await documentOf(ctx, applicationNo, itemKey, recorded)), duplicate: !mine };
}
