/**
 * The focus-ring check axe-core does not make (WCAG 2.2 non-text contrast,
 * 1.4.11, and focus appearance): the page is walked with the Tab key as a
 * keyboard user walks it, and at every stop the ring the browser draws (the
 * computed outline, or a box-shadow ring where there is no outline) is
 * measured against the colour behind it: the element's own background for a
 * ring drawn inside it (negative outline-offset), else the first opaque
 * background of its ancestors, translucent layers blended on the way. Each
 * ring must reach 3:1.
 *
 *   await expectFocusRings(page, 'student checklist');
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

interface Stop {
  what: string;
  ring: string;
  background: string;
  ratio: number;
}

/** At most this many Tab presses per page (the student's page with the form open has about 40 stops). */
const MAX_STOPS = 150;

/**
 * Measures the ring of the focused element: a Stop, or null on <body>. Kept as plain JavaScript source: a function
 * compiled by the test runner would carry its helpers (`__name`) into the page, where they do not exist.
 */
const MEASURE_FOCUSED = String.raw`(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const parse = (css) => {
    const rgb = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(css);
    if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3]), rgb[4] === undefined ? 1 : Number(rgb[4])];
    const srgb = /color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.]+))?\)/.exec(css);
    if (srgb) return [Number(srgb[1]) * 255, Number(srgb[2]) * 255, Number(srgb[3]) * 255, srgb[4] === undefined ? 1 : Number(srgb[4])];
    return null;
  };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  // The colour of a background as seen: its layers and its ancestors' down to the first opaque one (white under all).
  const backdrop = (from) => {
    const layers = [];
    for (let node = from; node; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg && bg[3] > 0) {
        layers.push(bg);
        if (bg[3] >= 1) break;
      }
    }
    return layers.reduceRight((under, top) => over(top, under), [255, 255, 255, 1]);
  };
  const luminance = (c) => {
    const lin = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  };
  const cs = getComputedStyle(el);
  let ringCss;
  let inside = false;
  if (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 1) {
    ringCss = cs.outlineColor;
    inside = parseFloat(cs.outlineOffset) + parseFloat(cs.outlineWidth) <= 0;
  } else if (cs.boxShadow && cs.boxShadow !== 'none') {
    // "rgb(…) 0px 0px 0px 3px": a ring is a shadow with a spread and no offset.
    const ring = cs.boxShadow.split(/,(?![^(]*\))/).find((s) => /0px 0px \S+ [1-9][\d.]*px/.test(s));
    if (ring) {
      ringCss = (/(rgba?\([^)]*\)|color\([^)]*\))/.exec(ring) || [])[1];
      inside = /inset/.test(ring);
    }
  }
  const label = (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 40);
  const what = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.getAttribute('type') ? '[type=' + el.getAttribute('type') + ']' : '') + (label ? ' "' + label + '"' : '');
  const behind = backdrop(inside ? el : el.parentElement);
  const background = 'rgb(' + behind.slice(0, 3).map(Math.round).join(', ') + ')';
  const ring = ringCss ? parse(ringCss) : null;
  if (!ring || ring[3] === 0) return { what, ring: ringCss || 'none', background, ratio: 0 };
  const seen = over(ring, behind);
  const [l1, l2] = [luminance(seen), luminance(behind)].sort((a, b) => b - a);
  return { what, ring: ringCss, background, ratio: (l1 + 0.05) / (l2 + 0.05) };
})()`;

/** Every Tab stop of the page as it is now, with its ring's contrast (from the top of the page). */
async function focusRings(page: Page): Promise<Stop[]> {
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.getSelection()?.removeAllRanges();
  });
  const stops: Stop[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < MAX_STOPS; i++) {
    await page.keyboard.press('Tab');
    const key = await page.evaluate(() => {
      const el = document.activeElement as (HTMLElement & { __ringKey?: string }) | null;
      if (!el || el === document.body) return '';
      el.__ringKey ??= Math.random().toString(36).slice(2);
      return el.__ringKey;
    });
    if (!key || seen.has(key)) break; // round the page once
    seen.add(key);
    const stop = (await page.evaluate(MEASURE_FOCUSED)) as Stop | null;
    if (stop) stops.push(stop);
  }
  return stops;
}

/** Fails unless every Tab stop of the page shows a focus ring of at least 3:1 against what is behind it. */
export async function expectFocusRings(page: Page, what: string): Promise<number> {
  const stops = await focusRings(page);
  assert.ok(stops.length > 0, `${what}: no Tab stop at all`);
  const weak = stops.filter((s) => s.ratio < 3);
  assert.equal(
    weak.length,
    0,
    `${what}: ${weak.length} of ${stops.length} focus rings below 3:1\n${weak.map((s) => `    ${s.what}: ring ${s.ring} on ${s.background} = ${s.ratio.toFixed(2)}:1`).join('\n')}`,
  );
  return stops.length;
}
