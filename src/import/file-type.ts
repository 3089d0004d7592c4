/**
 * What an import file is, judged from its bytes (never its name or the browser's type): a cohort CSV
 * (UTF-8 text, an optional byte order mark, a header row naming the required columns) or JSON. Anything
 * else is refused with what it looks like and what to do, so a workbook or a letter saved as `.xlsx`
 * is never "imported" as zero rows.
 */
import { CSV_COLUMNS, OPTIONAL_CSV_COLUMNS } from './rows';

/** What a refused file looked like (machine-readable, in the 415 answer's `details.detected`). */
type RefusedFileKind = 'empty' | 'zip' | 'ole' | 'pdf' | 'binary' | 'not-utf8' | 'text-without-header';

export class ImportFileTypeError extends Error {
  constructor(
    readonly detected: RefusedFileKind,
    message: string,
  ) {
    super(message);
    this.name = 'ImportFileTypeError';
  }
}

const REQUIRED = CSV_COLUMNS.filter((c) => !OPTIONAL_CSV_COLUMNS.includes(c));
const SAVE_AS_CSV = 'Save the sheet as "CSV UTF-8" and import that file.';

const startsWith = (bytes: Buffer, magic: number[]) => magic.every((b, i) => bytes[i] === b);

/** The file's text and whether it is JSON or CSV; throws ImportFileTypeError for anything else. */
export function sniffImportFile(bytes: Buffer): { format: 'csv' | 'json'; text: string } {
  if (bytes.length === 0) throw new ImportFileTypeError('empty', 'The file is empty.');
  // ZIP: an Excel workbook (.xlsx), an OpenDocument sheet, or any archive.
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06]))
    throw new ImportFileTypeError('zip', `The file is a ZIP archive, such as an Excel workbook (.xlsx), not a CSV file. ${SAVE_AS_CSV}`);
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0]))
    throw new ImportFileTypeError('ole', `The file is an old Excel workbook (.xls) or another Office document, not a CSV file. ${SAVE_AS_CSV}`);
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46])) throw new ImportFileTypeError('pdf', 'The file is a PDF document, not a CSV file.');
  if (bytes.subarray(0, 8192).includes(0)) throw new ImportFileTypeError('binary', 'The file is not text (it has binary bytes), so it is not a CSV file.');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ImportFileTypeError('not-utf8', `The file is not UTF-8 text. ${SAVE_AS_CSV}`);
  }
  if (/^\s*[[{]/.test(text)) return { format: 'json', text };
  const header = text
    .split(/\r?\n/)
    .find((l) => l.trim() !== '')
    ?.split(/[,;\t]/)
    .map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  const missing = REQUIRED.filter((c) => !header?.includes(c));
  if (missing.length === REQUIRED.length)
    throw new ImportFileTypeError(
      'text-without-header',
      `The file is text but not a cohort CSV: its first line must name the columns (${REQUIRED.join(', ')}).`,
    );
  return { format: 'csv', text };
}
