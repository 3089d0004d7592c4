/**
 * The one zod refinement for text fields at the edge (gateway bodies, query
 * parameters, import rows): refuses what PostgreSQL cannot store and control
 * characters nobody means (rules in workflows/registration/text.ts, which the
 * workflow's validators use too). `text()` for one line, `text({ multiline: true })`
 * for addresses, notes and reasons.
 */
import { z } from 'zod';
import { keepableTextPattern, textProblem, type TextRule } from '../workflows/registration/text';

/** Text the system can keep; the OpenAPI document says so with a pattern (a later `.regex()` must say its own). */
export function text(rule: TextRule = {}): z.ZodString {
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = textProblem(value, rule);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .meta({ pattern: keepableTextPattern(rule) });
}

/** Text that must say something: trimmed, and refused (with `message`) when nothing is left. */
export function filledText(rule: TextRule = {}, message?: string): z.ZodString {
  return text(rule)
    .trim()
    .min(1, message)
    .meta({ pattern: keepableTextPattern(rule, true) });
}
