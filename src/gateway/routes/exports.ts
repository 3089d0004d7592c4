/**
 * `GET /api/exports/registrations?cohort=…&format=csv|json` (admin): the
 * cohort for the student record system, streamed page by page from the read
 * model (src/exports/). Headers go out before the first row, so a failure
 * half-way can only cut the stream short: the client sees a truncated body
 * (the CSV has no trailing line for the last page, the JSON does not close
 * its array), never a complete-looking file.
 */
import type { Response } from 'express';
import { Router } from 'express';
import { z } from 'zod';
import { REGISTRATION_STATUSES } from '../../../workflows/registration/api';
import { CSV_BOM, CSV_HEADER, EXPORT_ITEM_KEYS, csvLine, csvRow, exportRows } from '../../exports/registrations';
import type { RouterContext } from '../context';
import { AppError, ErrorCode } from '../errors';
import { SENT, route } from '../route';
import { filledText } from '../../text';

const ExportRowSchema = z
  .object({
    applicationNo: z.string(),
    name: z.string(),
    programCode: z.string(),
    studyLevel: z.string(),
    status: z.enum(REGISTRATION_STATUSES),
    outcomeReason: z.string().nullable(),
    outcomeAt: z.string().nullable().meta({ description: 'When the current outcome was reached; null while IN_PROGRESS.' }),
    cardReady: z.boolean(),
    items: z.record(z.string(), z.string()).meta({ description: `Item key → state, for the items this student has (of ${EXPORT_ITEM_KEYS.join(', ')}).` }),
  })
  .meta({ id: 'ExportRow' });

/** Waits for the socket to take more when it is full, so a slow client holds back the reading, not memory. */
async function write(res: Response, chunk: string): Promise<void> {
  if (!res.write(chunk)) {
    await new Promise<void>((resolve) => {
      const done = () => (res.off('drain', done), res.off('close', done), resolve());
      res.on('drain', done).on('close', done);
    });
  }
  if (res.destroyed) throw new Error('client went away');
}

export function exportsRouter(ctx: RouterContext): Router {
  const { kit, prisma } = ctx;
  const router = Router();

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/api/exports/registrations',
      tags: ['exports'],
      summary: 'Export a cohort for the student record system (CSV or JSON), one row per student',
      description:
        "Streamed from PostgreSQL in keyset pages. CSV: one column per item key (empty when the student has no such item); cells a spreadsheet would read as a formula are prefixed with `'`. JSON: an array of rows.",
      access: 'admin',
      query: z.object({ cohort: filledText({ multiline: true }).max(100), format: z.enum(['csv', 'json']).default('csv') }),
      responseContent: {
        'text/csv': { schema: z.string().meta({ description: `Header: ${CSV_HEADER.join(',')}` }) },
        'application/json': { schema: z.array(ExportRowSchema) },
      },
      responseDescription: 'The cohort, streamed.',
      errors: [ErrorCode.NOT_FOUND],
    },
    async ({ query, res }) => {
      const cohort = await prisma.cohort.findUnique({ where: { id: query.cohort }, select: { id: true } });
      if (!cohort) throw new AppError(ErrorCode.NOT_FOUND, `No cohort ${query.cohort}.`);
      const file = `registrations-${query.cohort.replace(/[^A-Za-z0-9_.-]+/g, '_')}.${query.format}`;
      res.status(200).set({
        'Content-Type': query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
        'Content-Disposition': `attachment; filename="${file}"`,
        'Cache-Control': 'no-store',
      });
      try {
        if (query.format === 'csv') {
          await write(res, CSV_BOM + csvLine(CSV_HEADER));
          for await (const page of exportRows(prisma, cohort.id)) await write(res, page.map(csvRow).join(''));
        } else {
          let first = true;
          await write(res, '[');
          for await (const page of exportRows(prisma, cohort.id)) {
            await write(res, `${first ? '' : ','}\n${page.map((r) => JSON.stringify(r)).join(',\n')}`);
            first = false;
          }
          await write(res, '\n]\n');
        }
        res.end();
      } catch (e) {
        // The status line is gone; the error handler will cut the connection so the file is visibly incomplete.
        if (res.destroyed) return SENT;
        throw e;
      }
      return SENT;
    },
  );

  return router;
}
