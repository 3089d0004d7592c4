/**
 * Debian's Chromium driven by playwright-core (never `playwright install`:
 * .ci/run installs the `chromium` package with apt), and the screenshots the
 * journey keeps in docs/screenshots/ when asked to (UPDATE_SCREENSHOTS=1), so
 * an ordinary test run leaves the working tree alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { projectRoot } from '../../src/paths';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (as .ci/run does), or set CHROMIUM_PATH.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

const screenshotsDir = path.join(projectRoot, 'docs', 'screenshots');
const updating = process.env.UPDATE_SCREENSHOTS === '1';

/** Saves a screenshot of the page to docs/screenshots/<name>.png when UPDATE_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  if (!updating) return;
  fs.mkdirSync(screenshotsDir, { recursive: true });
  // Toasts come and go; they would make the pictures depend on timing.
  await page.evaluate(() => document.getElementById('toasts')?.replaceChildren());
  await page.screenshot({ path: path.join(screenshotsDir, `${name}.png`), fullPage: options.fullPage ?? true, animations: 'disabled', caret: 'hide' });
}

/** On failure, what the page looked like: a screenshot in the temp folder, named in the error. */
export async function keepEvidence(page: Page | undefined, name: string): Promise<string | undefined> {
  if (!page || page.isClosed()) return undefined;
  const file = path.join(os.tmpdir(), `progreg-${name}-${Date.now()}.png`);
  await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
  return file;
}

// ---------------------------------------------------------------------------
// The student page, as the tests see it
// ---------------------------------------------------------------------------

/** A checklist step in a given state (the page marks each step with its item key and state). */
export const item = (page: Page, key: string, state: string): Locator => page.locator(`#steps > li[data-item="${key}"][data-state="${state}"]`);

/** Sends the pages added to an item to the Academic Registry for review (the "Send … for review" button). */
export async function sendForReview(page: Page, key: string): Promise<void> {
  await page
    .locator(`[data-pages="${key}"]`)
    .getByRole('button', { name: /for review$/ })
    .click();
}

/** Chooses a file in an item's upload panel and uploads it as a page once the page's own checks let it. */
export async function uploadFile(page: Page, key: string, file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
  const panel = page.locator(`[data-upload="${key}"]`);
  await panel.locator('input[type=file]').setInputFiles(file);
  const send = panel.getByRole('button', { name: /^(Upload|Try again|Retry)/ });
  await page.waitForFunction((el) => !(el as HTMLButtonElement).disabled, await send.elementHandle());
  await send.click();
}

/**
 * Opens a sign-in link as a student does from the email: the browser sends `Sec-Fetch-Site: none`, so a
 * signed-out browser is first asked "Sign in to program registration?" and signs in with one click
 * (docs/gateway.md, Invitation links). A browser already signed in goes straight on, or is asked to switch.
 */
export async function openSignInLink(page: Page, url: string): Promise<void> {
  await page.goto(url);
  if (await page.getByRole('heading', { name: 'Sign in to program registration?' }).count()) {
    await page.getByRole('button', { name: /^Sign in as / }).click();
    await page.waitForURL((u) => u.pathname === '/portal/');
  }
}

/** Answers typed into the registration form's fields (the labels the student reads); a field not given is left as it is. */
export interface FormAnswers {
  legalName?: string;
  day?: string;
  month?: string;
  year?: string;
  nationality?: string;
  phone?: string;
  address?: string;
  contactName?: string;
  relationship?: string;
  contactPhone?: string;
  /** Ticks the Personal Information Collection Statement box. */
  consent?: boolean;
}

/** Fills the registration form as a student does, field by field (without pressing Continue). */
export async function fillForm(page: Page, answers: FormAnswers): Promise<void> {
  const fields: [keyof FormAnswers, Locator][] = [
    ['legalName', page.getByLabel('Full legal name')],
    ['day', page.getByLabel('Day')],
    ['month', page.getByLabel('Month')],
    ['year', page.getByLabel('Year')],
    ['nationality', page.getByLabel('Nationality')],
    ['phone', page.getByLabel('Mobile phone')],
    ['address', page.getByLabel('Correspondence address')],
    ['contactName', page.locator('#f-emergencyContact-name')],
    ['relationship', page.getByLabel('Relationship to you')],
    ['contactPhone', page.locator('#f-emergencyContact-phone')],
  ];
  for (const [key, field] of fields) {
    const value = answers[key];
    if (typeof value === 'string') await field.fill(value);
  }
  if (answers.consent) await page.getByLabel(/I have read the Personal Information Collection Statement/).check();
}
