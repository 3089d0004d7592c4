/**
 * A refused row's reasons in the registry's words: the column, then what is wrong with it, written by
 * hand for each kind of problem ("personalEmail: is not an email address"), never the validator's own
 * text ("Too small: expected string to have >=1 characters"). The staff import page, its preview and
 * the CLI all show these.
 */
import type { z } from 'zod';

/** What is wrong with a value, for one validation issue of a row (the schema's own messages are already plain). */
function problem(issue: z.core.$ZodIssue & { input?: unknown }): string {
  const blank = issue.input === undefined || issue.input === null || (typeof issue.input === 'string' && issue.input.trim() === '');
  switch (issue.code) {
    case 'invalid_type':
      if (blank) return 'is missing';
      // A schema's own message says what the value should look like; the validator's default does not.
      return /^Invalid input/.test(issue.message) ? `is not ${issue.expected === 'number' ? 'a number' : 'text'}` : issue.message;
    case 'too_small':
      if (blank) return 'is missing';
      if (issue.origin === 'number') return `must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}`;
      return `is too short (at least ${String(issue.minimum)} characters)`;
    case 'too_big':
      if (issue.origin === 'number') return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
      return `is too long (at most ${String(issue.maximum)} characters)`;
    case 'invalid_value':
      return blank ? `is missing (one of ${issue.values.map(String).join(', ')})` : `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      if (blank) return 'is missing';
      if (issue.format === 'email') return 'is not an email address';
      // Every pattern of a row has a message saying what it allows (StudentRowSchema).
      return `must be ${issue.message}`;
    default:
      return issue.message;
  }
}

/** `column: what is wrong` for each issue of a row that failed its schema. */
export function plainReasons(issues: ReadonlyArray<z.core.$ZodIssue & { input?: unknown }>): string[] {
  return issues.map((i) => `${i.path.map(String).join('.') || 'row'}: ${problem(i)}`);
}
