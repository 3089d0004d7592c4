/**
 * What an import file is, judged from its bytes (never its name or the browser's type): a cohort CSV
 * (UTF-8 text, an optional byte order mark, a header row naming the required columns) or JSON. Anything
 * else is refused with what it looks like and what to do, so a workbook or a letter saved as `.xlsx`
 * is never "imported" as zero rows.
 */
import { sniffMediaType } from '../uploads/store';
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

/**
 * Binary files staff are likely to pick instead of the CSV, by the media type file-type reads from
 * their bytes, and what the refusal calls them. Any other ZIP container is a `zip` too; other binary
 * files fall through to the text checks below (a UTF-16 text file can look like audio to file-type).
 */
const KNOWN_BINARY: Record<string, [RefusedFileKind, string]> = {
  'application/zip': ['zip', 'a ZIP archive, such as an Excel workbook (.xlsx)'],
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': ['zip', 'an Excel workbook (.xlsx)'],
  'application/vnd.oasis.opendocument.spreadsheet': ['zip', 'an OpenDocument spreadsheet (.ods)'],
  'application/x-cfb': ['ole', 'an old Excel workbook (.xls) or another Office document'],
  'application/pdf': ['pdf', 'a PDF document'],
};
const ZIP_CONTAINER = /zip|openxmlformats|opendocument/;

function refusedBinary(mime: string | undefined): [RefusedFileKind, string] | undefined {
  if (!mime) return undefined;
  return KNOWN_BINARY[mime] ?? (ZIP_CONTAINER.test(mime) ? ['zip', `a ZIP archive (${mime})`] : undefined);
}

/** The file's text and whether it is JSON or CSV; throws ImportFileTypeError for anything else. */
export async function sniffImportFile(bytes: Buffer): Promise<{ format: 'csv' | 'json'; text: string }> {
  if (bytes.length === 0) throw new ImportFileTypeError('empty', 'The file is empty.');
  const refused = refusedBinary(await sniffMediaType(bytes));
  if (refused) {
    const [kind, what] = refused;
    throw new ImportFileTypeError(kind, `The file is ${what}, not a CSV file.${kind === 'pdf' ? '' : ` ${SAVE_AS_CSV}`}`);
  }
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
