/**
 * Files: a student (or staff on their behalf) uploads a file for a checklist
 * item; staff and the owning student download them. An upload is streamed to
 * disk while hashed, judged by its own bytes (type, size, and for the photo its
 * pixel size and orientation), stored once per content, recorded in
 * PostgreSQL, and only then registered with the workflow. If the workflow
 * refuses or does not answer, the student is told so and the document row is
 * removed again; the stored bytes stay (content-addressed, harmless).
 */
import { Router } from 'express';
import { Prisma } from '@prisma/client';
import { z } from 'zod';
import { itemKindOf, registerDocumentUpdate, type ItemView } from '../../../workflows/registration/api';
import { isFileItem, photoSpecViolations } from '../../../workflows/registration/checklist';
import { sanitizeFileName } from '../../uploads/names';
import { photoDimensions } from '../../uploads/photo';
import { describeTypes, uploadRule } from '../../uploads/rules';
import { sniffMediaType } from '../../uploads/store';
import { actorOf } from '../auth/principal';
import type { RouterContext } from '../context';
import { AppError, ErrorCode } from '../errors';
import { formatBytes, receiveUpload, FILE_FIELD } from '../multipart';
import { route, SENT } from '../route';
import { ApplicationNo, ItemParams, ItemViewSchema, RegistrationParams } from '../schemas';
import { photoSpecOf } from './student';

export const DocumentSchema = z
  .object({
    id: z.string(),
    itemKey: z.string(),
    version: z.number().int(),
    sha256: z.string(),
    size: z.number().int(),
    mediaType: z.string(),
    originalName: z.string(),
    uploadedBy: z.string(),
    uploadedAt: z.string(),
  })
  .meta({ id: 'Document' });

const UploadResultSchema = ItemViewSchema.extend({
  document: DocumentSchema,
  duplicate: z.boolean().meta({ description: 'true: these exact bytes were already the current submission; nothing new was recorded.' }),
}).meta({ id: 'UploadResult', description: 'The checklist item after the upload, and the stored document.' });

type DocumentRow = Awaited<ReturnType<RouterContext['prisma']['document']['create']>>;
const documentOut = (d: DocumentRow) => ({ ...d, uploadedAt: d.uploadedAt.toISOString() });

export function documentsRouter(ctx: RouterContext): Router {
  const { kit, prisma, registrations, blobs } = ctx;
  const router = Router();

  route(
    kit,
    router,
    {
      method: 'post',
      path: '/api/registrations/:applicationNo/items/:itemKey/documents',
      tags: ['documents'],
      summary: 'Upload a file for a checklist item',
      description:
        `multipart/form-data with the file in the field \`${FILE_FIELD}\`. Identification, visa, receipt and supplementary documents: PDF, JPEG or PNG. ` +
        'Photo: JPEG or PNG meeting the cohort\'s photo specification (422 says what to fix). The type is judged from the file\'s bytes, not its name. ' +
        'Re-sending the bytes that are already the item\'s current submission records nothing new (`duplicate: true`).',
      access: 'ownerOrStaff',
      params: ItemParams,
      rawBody: {
        content: {
          'multipart/form-data': {
            schema: z.object({ [FILE_FIELD]: z.string().meta({ format: 'binary' }) }),
          },
        },
      },
      status: 201,
      response: UploadResultSchema,
      errors: [
        ErrorCode.EMPTY_FILE,
        ErrorCode.REGISTRATION_NOT_FOUND,
        ErrorCode.ITEM_NOT_FOUND,
        ErrorCode.INVALID_TRANSITION,
        ErrorCode.INVALID_INPUT,
        ErrorCode.PAYLOAD_TOO_LARGE,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        ErrorCode.PHOTO_SPEC_NOT_MET,
        ErrorCode.WORKFLOW_UNAVAILABLE,
      ],
    },
    async ({ params, principal, req, res }) => {
      const { applicationNo, itemKey } = params;
      const view = await registrations.status(applicationNo);
      const item = view.items.find((i) => i.key === itemKey);
      if (!item) throw new AppError(ErrorCode.ITEM_NOT_FOUND, `This registration has no item ${itemKey}.`, { itemKey });
      if (!isFileItem(item.kind)) throw new AppError(ErrorCode.INVALID_TRANSITION, `${item.label} takes no file.`, { itemKey });
      const photoSpec = await photoSpecOf(ctx, view.student.cohortId);
      const rule = uploadRule(itemKindOf(itemKey), photoSpec)!;

      const upload = await receiveUpload(req, blobs, rule.maxBytes);
      let image: { width: number; height: number } | undefined;
      let mediaType: string | undefined;
      try {
        mediaType = await sniffMediaType(upload.head);
        if (!mediaType || !rule.mediaTypes.includes(mediaType)) {
          throw new AppError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            `${item.label} must be ${describeTypes(rule.mediaTypes)}; this file is ${mediaType ? describeTypes([mediaType]) : 'not a recognised type'}.`,
            { detected: mediaType ?? null, claimed: upload.claimedType, allowed: rule.mediaTypes },
          );
        }
        if (item.kind === 'PHOTO') {
          image = photoDimensions(upload.tmpPath);
          const problems = photoSpecViolations(photoSpec, { mediaType, size: upload.size, imageWidth: image?.width, imageHeight: image?.height });
          if (problems.length) {
            throw new AppError(
              ErrorCode.PHOTO_SPEC_NOT_MET,
              `The photo does not meet the specification: ${problems.join('; ')}. Please upload a ${describeTypes(photoSpec.mediaTypes)} ` +
                `${photoSpec.portrait ? 'portrait ' : ''}photo of ${photoSpec.minWidth}–${photoSpec.maxWidth} × ${photoSpec.minHeight}–${photoSpec.maxHeight} pixels ` +
                `(width × height), ${formatBytes(photoSpec.minBytes)}–${formatBytes(photoSpec.maxBytes)}, on a plain background.`,
              { problems, spec: photoSpec, measured: { ...image, size: upload.size, mediaType } },
            );
          }
        }
      } catch (e) {
        await blobs.discard(upload);
        throw e;
      }
      await blobs.commit(upload);

      const current = item.submissions[item.submissions.length - 1];
      if (current?.sha256 === upload.sha256 && (item.state === 'SUBMITTED' || item.state === 'VERIFIED')) {
        // A retried upload of what the workflow already has: nothing new to record.
        const existing = await prisma.document.findFirst({ where: { registrationNo: applicationNo, itemKey, sha256: upload.sha256 }, orderBy: { version: 'desc' } });
        if (existing) {
          res.status(200).json({ ...item, document: documentOut(existing), duplicate: true });
          return SENT;
        }
      }

      const actor = actorOf(principal);
      await projected(ctx, applicationNo);
      const originalName = sanitizeFileName(upload.clientName, `${itemKey.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`);
      await prisma.storedFile.upsert({
        where: { sha256: upload.sha256 },
        create: { sha256: upload.sha256, size: upload.size, mediaType },
        update: {},
      });
      const document = await createDocument(ctx, {
        registrationNo: applicationNo,
        itemKey,
        version: item.submissions.length + 1,
        sha256: upload.sha256,
        size: upload.size,
        mediaType,
        originalName,
        uploadedBy: actor,
      });
      let updated: ItemView;
      try {
        updated = await registrations.update(
          applicationNo,
          registerDocumentUpdate,
          {
            actor,
            itemKey: item.key,
            sha256: upload.sha256,
            size: upload.size,
            mediaType,
            originalName,
            documentId: document.id,
            uploadedBy: actor,
            ...(image ? { imageWidth: image.width, imageHeight: image.height } : {}),
          },
          `upload-${document.id}`,
        );
      } catch (e) {
        // Never leave a record of a submission the workflow did not take.
        await prisma.document.delete({ where: { id: document.id } }).catch(() => {});
        throw e;
      }
      return { ...updated, document: documentOut(document), duplicate: false };
    },
  );

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/registrations/:applicationNo/documents',
      tags: ['documents'],
      summary: 'Every uploaded file of a registration (every version)',
      access: 'ownerOrStaff',
      params: RegistrationParams,
      response: z.object({ items: z.array(DocumentSchema) }),
    },
    async ({ params }) => {
      const rows = await prisma.document.findMany({
        where: { registrationNo: params.applicationNo },
        orderBy: [{ itemKey: 'asc' }, { version: 'asc' }],
      });
      return { items: rows.map(documentOut) };
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
      const doc = await prisma.document.findUnique({ where: { id: params.documentId } });
      if (!doc || doc.registrationNo !== params.applicationNo) throw new AppError(ErrorCode.NOT_FOUND, 'No such document for this registration.');
      const stream = blobs.open(doc.sha256);
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', () => reject(new AppError(ErrorCode.NOT_FOUND, 'The file is no longer stored.')));
      });
      res.setHeader('Content-Type', doc.mediaType);
      res.setHeader('Content-Length', String(doc.size));
      res.setHeader('Content-Disposition', `attachment; filename="${doc.originalName.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(doc.originalName)}`);
      // Even if a browser is told to render it, nothing in it may run.
      res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
      res.setHeader('Cache-Control', 'private, max-age=0');
      stream.pipe(res);
      return SENT;
    },
  );

  return router;
}

/**
 * Document rows hang off the registration's read-model row, which the
 * workflow's projection writes moments after the workflow starts. An upload in
 * those first moments waits for it rather than failing.
 */
async function projected(ctx: Pick<RouterContext, 'prisma'>, applicationNo: string, timeoutMs = 10_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; ; ) {
    if (await ctx.prisma.registration.findUnique({ where: { applicationNo }, select: { seq: true } })) return;
    if (Date.now() > until) {
      throw new AppError(ErrorCode.WORKFLOW_UNAVAILABLE, 'Your registration is still being set up; please retry in a minute.');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Inserts the next version; if a concurrent upload took that version number, takes the next free one. */
async function createDocument(ctx: Pick<RouterContext, 'prisma'>, data: Omit<DocumentRow, 'id' | 'uploadedAt'>): Promise<DocumentRow> {
  for (let version = data.version; ; version++) {
    try {
      return await ctx.prisma.document.create({ data: { ...data, version } });
    } catch (e) {
      if (!(e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') || version > data.version + 20) throw e;
    }
  }
}
