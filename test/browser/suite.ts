/**
 * The hooks every browser suite shares: one stack (gateway + worker, test/gateway/support)
 * and one Chromium for the suite, a fresh browser context and page for each test, and
 * every page of the test kept as evidence when the test fails.
 *
 *   const ui = browserSuite('pages');
 *   it('…', async () => { await ui.page.goto(`${ui.stack.url}/portal/`); });
 *
 * A suite that needs something else under the pages (a gateway alone with its own
 * clock, a fake Resend started first) passes `start`; its pages' settings, `context`.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { startStack, type TestGateway, type TestStack } from '../gateway/support';
import { keepEvidence, launchChromium } from './chromium';

export interface BrowserSuite<S extends TestGateway = TestStack> {
  readonly stack: S;
  readonly browser: Browser;
  /** This test's page (a context of its own, closed after the test). */
  readonly page: Page;
  readonly context: BrowserContext;
  /** Another page in a context of its own (a second person), closed after the test as well. */
  newPage(viewport?: { width: number; height: number }, options?: BrowserContextOptions): Promise<Page>;
  /** Errors the test's pages threw and what their Content-Security-Policy refused: a page that breaks says so here. */
  readonly problems: string[];
}

const STUDENT_VIEWPORT = { width: 1280, height: 900 };

export interface BrowserSuiteOptions<S extends TestGateway> {
  /** Environment of the default stack. */
  env?: NodeJS.ProcessEnv;
  /** What runs under the pages, instead of the default stack (stopped with `stop()` if it has one, else `close()`). */
  start?: () => Promise<S>;
  /** Settings of every page's context (the first page's viewport included). */
  context?: BrowserContextOptions;
}

export function browserSuite<S extends TestGateway = TestStack>(name: string, options: BrowserSuiteOptions<S> = {}): BrowserSuite<S> {
  let stack: S | undefined;
  let browser: Browser | undefined;
  let pages: Page[] = [];
  let problems: string[] = [];

  const newPage = async (viewport = options.context?.viewport ?? STUDENT_VIEWPORT, more: BrowserContextOptions = {}): Promise<Page> => {
    const page = await (await browser!.newContext({ locale: 'en-GB', ...options.context, ...more, viewport })).newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => /Content Security Policy|Refused to/i.test(m.text()) && problems.push(`console: ${m.text()}`));
    pages.push(page);
    return page;
  };

  before(async function () {
    this.timeout(240_000);
    stack = options.start ? await options.start() : ((await startStack(options.env)) as unknown as S);
    browser = await launchChromium();
  });
  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    const s = stack as (S & { stop?: () => Promise<void> }) | undefined;
    await (s?.stop ? s.stop() : s?.close());
  });
  beforeEach(async () => {
    problems = [];
    await newPage();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      for (const page of pages) {
        const file = await keepEvidence(page, name);
        if (file) console.error(`    page at the failure: ${file}`);
      }
    }
    for (const page of pages) await page.context().close();
    pages = [];
  });

  return {
    get stack() {
      return stack!;
    },
    get browser() {
      return browser!;
    },
    get page() {
      return pages[0]!;
    },
    get context() {
      return pages[0]!.context();
    },
    get problems() {
      return problems;
    },
    newPage,
  };
}

const WAIT = { timeout: 30_000 };

/** Signs `page` in to the staff pages at `base` with `key`, and waits for the dashboard. */
export async function signInStaff(page: Page, base: string, key: string): Promise<void> {
  await page.goto(`${base}/staff/`);
  await page.fill('#api-key', key);
  await page.click('button[type=submit]');
  await page.getByRole('heading', { name: 'Cohort dashboard' }).waitFor(WAIT);
}

/** Signs the suite's page in as the officer and opens a registration's staff page, waiting for its heading (the student's name). */
export async function openAsOfficer(ui: BrowserSuite, applicationNo: string, name: string): Promise<Page> {
  const base = ui.stack.config.publicBaseUrl;
  await signInStaff(ui.page, base, ui.stack.officerKey);
  await ui.page.goto(`${base}/staff/registrations/${applicationNo}`);
  await ui.page.getByRole('heading', { name }).waitFor(WAIT);
  return ui.page;
}
