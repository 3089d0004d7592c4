/**
 * Text the registration can keep. PostgreSQL (the read model) cannot store NUL
 * nor lone UTF-16 surrogates, and control characters in a name, an address or
 * a note are never meant: they come from broken clients or from someone
 * probing. One rule for the whole system: the gateway's zod schemas
 * (src/text.ts) and the workflow's validators both use `textProblem`.
 *
 * Multi-line fields (address, notes, reasons) may hold line breaks and tabs;
 * single-line fields (names, phone numbers, references) may not.
 */

/** C0 controls, DEL and C1 controls; multi-line text keeps tab, LF and CR. */
const CONTROL_CHARS = '\\u0000-\\u001f\\u007f-\\u009f';
const CONTROL_CHARS_MULTILINE = '\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f';
const CONTROL = new RegExp(`[${CONTROL_CHARS}]`);
const CONTROL_MULTILINE = new RegExp(`[${CONTROL_CHARS_MULTILINE}]`);
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface TextRule {
  multiline?: boolean;
}

/**
 * The rule as a JSON Schema pattern, for the OpenAPI document (the gateway's schemas): no control character, and
 * with `filled`, at least one character that is not white space (what is left after trimming). Written so that
 * ECMAScript and Python read it alike (schemathesis generates from it); the BOM is named because JavaScript's
 * trim removes it and Python's `\s` does not. Lone surrogates cannot be said in a pattern; `textProblem` refuses them.
 */
export function keepableTextPattern(rule: TextRule = {}, filled = false): string {
  const allowed = `[^${rule.multiline ? CONTROL_CHARS_MULTILINE : CONTROL_CHARS}]`;
  if (!filled) return `^${allowed}*$`;
  const visible = `[^${rule.multiline ? CONTROL_CHARS_MULTILINE : CONTROL_CHARS}\\s\\ufeff]`;
  return `^${allowed}*${visible}${allowed}*$`;
}

/** Why `value` cannot be kept, or undefined when it can. */
export function textProblem(value: string, rule: TextRule = {}): string | undefined {
  const control = (rule.multiline ? CONTROL_MULTILINE : CONTROL).exec(value);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return `must not contain control characters (found U+${code}${rule.multiline ? '' : '; line breaks and tabs are not allowed here'})`;
  }
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode text (found a lone surrogate)';
  return undefined;
}

/** Problems of every string inside `value` (objects and arrays walked, keys too), with the path of each (`a.b.0`). */
export function textProblemsIn(value: unknown, rule: TextRule = {}, path: string[] = []): Array<{ path: string; problem: string }> {
  if (typeof value === 'string') {
    const problem = textProblem(value, rule);
    return problem ? [{ path: path.join('.'), problem }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => textProblemsIn(v, rule, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => {
      const key = textProblem(k, rule);
      return [...(key ? [{ path: [...path, '(a key)'].join('.'), problem: key }] : []), ...textProblemsIn(v, rule, [...path, k])];
    });
  }
  return [];
}
