/**
 * A client's file name is only ever metadata (files are stored by content
 * hash), but it is shown to staff and sent back in Content-Disposition, so it
 * is reduced to a harmless display name: no directories, no control or
 * reserved characters, no leading dots, a bounded length that keeps the
 * extension.
 */
const MAX_LENGTH = 120;

export function sanitizeFileName(name: string | undefined, fallback = 'upload'): string {
  const base = (name ?? '').normalize('NFC').split(/[\\/]/).pop() ?? '';
  let clean = base
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/[^\p{L}\p{N} ._()+-]/gu, '_')
    .replace(/\s+/g, ' ')
    .replace(/_{2,}/g, '_')
    .replace(/^[.\s_-]+/, '')
    .trim();
  if (clean.length > MAX_LENGTH) {
    const dot = clean.lastIndexOf('.');
    const ext = dot > 0 && clean.length - dot <= 10 ? clean.slice(dot) : '';
    clean = clean.slice(0, MAX_LENGTH - ext.length) + ext;
  }
  return clean || fallback;
}
