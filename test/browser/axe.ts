/**
 * The accessibility audit every browser test can call: axe-core 4 (npm
 * `axe-core`) injected into the page as it is, with the WCAG 2.0, 2.1 and 2.2
 * A and AA rules, and 0 violations required. Injected through the DevTools
 * protocol (page.evaluate), which the pages' CSP (`script-src 'self'`) does not
 * govern, so the pages are audited under their real policy.
 *
 *   await expectAccessible(page, 'student checklist');
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import type { AxeResults, Result } from 'axe-core';

/** The standard's levels the universities must meet (WCAG 2.x AA includes A). */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'] as const;

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe on the page as it is now; the violations of the WCAG A/AA rules. */
async function axeViolations(page: Page): Promise<Result[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const results = await page.evaluate(
    (tags) =>
      (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<AxeResults> } }).axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        resultTypes: ['violations'],
      }),
    [...WCAG_TAGS],
  );
  return results.violations;
}

/** One line per violated rule with its nodes, for an assertion message a person can act on. */
function describeViolations(violations: Result[]): string {
  return violations
    .map(
      (v) =>
        `${v.id} (${v.impact}, ${v.nodes.length} node${v.nodes.length === 1 ? '' : 's'}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1).join(' ').trim()}`).join('\n')}`,
    )
    .join('\n');
}

/** Fails unless axe finds no violation of WCAG 2.0/2.1/2.2 A and AA on the page as it is now. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const violations = await axeViolations(page);
  assert.equal(violations.length, 0, `${what}: ${violations.length} accessibility rule(s) violated\n${describeViolations(violations)}`);
}
