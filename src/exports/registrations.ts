/**
 * The cohort export for the student record system: one row per student from
 * the read model, read in keyset pages (by application number, over the
 * (cohortId, applicationNo) index) so a 50,000-student cohort never sits in
 * memory: the gateway writes each page out and waits for the socket to drain
 * before it reads the next.
 *
 * The columns are fixed (every item key the service knows, supplementary
 * documents included) so the receiving system's mapping does not change with
 * the cohort; a student without an item has an empty cell there.
 */
import type { PrismaClient } from '../db/prisma';
import { SUPPLEMENTARY_DOCUMENTS } from '../../workflows/registration/policy';
import { REPORT_ITEM_ORDER, SUPPLEMENTARY_PREFIX } from '../../workflows/registration/vocabulary';

export interface ExportRow {
  applicationNo: string;
  name: string;
  programCode: string;
  studyLevel: string;
  status: string;
  outcomeReason: string | null;
  /** When the registration reached its current outcome; null while IN_PROGRESS. */
  outcomeAt: string | null;
  cardReady: boolean;
  /** Item key → state. */
  items: Record<string, string>;
}

export const EXPORT_ITEM_KEYS = [...REPORT_ITEM_ORDER, ...Object.keys(SUPPLEMENTARY_DOCUMENTS).map((code) => `${SUPPLEMENTARY_PREFIX}${code}`)];

const PAGE = 1000;

/** The cohort's rows in application-number order, one keyset page per query. */
export async function* exportRows(prisma: PrismaClient, cohortId: string, pageSize = PAGE): AsyncGenerator<ExportRow[]> {
  let after = '';
  for (;;) {
    const rows = await prisma.$queryRaw<Array<Omit<ExportRow, 'outcomeAt' | 'items'> & { outcomeAt: Date | null; items: Record<string, string> | null }>>`
      SELECT r."applicationNo", r.name, r."programCode", r."studyLevel", r.status, r."outcomeReason", r."cardReady",
             r."outcomeAt",
             (SELECT json_object_agg(i.key, i.state) FROM "ChecklistItem" i WHERE i."registrationNo" = r."applicationNo") AS items
      FROM "Registration" r
      WHERE r."cohortId" = ${cohortId} AND r."applicationNo" > ${after}
      ORDER BY r."applicationNo"
      LIMIT ${pageSize}`;
    if (rows.length === 0) return;
    yield rows.map((r) => ({ ...r, outcomeAt: r.outcomeAt?.toISOString() ?? null, items: r.items ?? {} }));
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.applicationNo;
  }
}

// ---------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------

export const CSV_HEADER = ['applicationNo', 'name', 'programCode', 'studyLevel', 'status', 'outcomeReason', 'outcomeAt', 'cardReady', ...EXPORT_ITEM_KEYS];

/**
 * One CSV cell, safe to open in a spreadsheet: a value a spreadsheet would
 * read as a formula (leading `=`, `+`, `-`, `@`, or a tab or carriage return
 * that some programs skip before one) is prefixed with `'`, which makes it
 * text (OWASP's advice for CSV injection); then it is quoted when it holds a
 * quote, comma or line break.
 */
export function csvCell(value: string | boolean | null | undefined): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The UTF-8 byte order mark the file starts with: Excel reads a CSV without it
 * in the machine's legacy code page ("MÜLLER" shows as "MÃœLLER"); with it,
 * as UTF-8. Spreadsheets and CSV libraries take it as the encoding mark, not as data.
 */
export const CSV_BOM = '\uFEFF';

export const csvLine = (cells: Array<string | boolean | null | undefined>) => `${cells.map(csvCell).join(',')}\r\n`;

export const csvRow = (r: ExportRow) =>
  csvLine([
    r.applicationNo,
    r.name,
    r.programCode,
    r.studyLevel,
    r.status,
    r.outcomeReason,
    r.outcomeAt,
    r.cardReady,
    ...EXPORT_ITEM_KEYS.map((k) => r.items[k] ?? ''),
  ]);
