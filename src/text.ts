/**
 * The one zod refinement for text fields at the edge (gateway bodies, query
 * parameters, import rows): refuses what PostgreSQL cannot store and control
 * characters nobody means (rules in workflows/registration/text.ts, which the
 * workflow's validators use too). `text()` for one line, `text({ multiline: true })`
 * for addresses, notes and reasons.
 */
import { z } from 'zod';
import { textProblem, type TextRule } from '../workflows/registration/text';

export function text(rule: TextRule = {}): z.ZodString {
  return z.string().superRefine((value, ctx) => {
    const problem = textProblem(value, rule);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}
