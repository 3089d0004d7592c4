/**
 * The hooks every browser suite shares: one stack (gateway + worker, test/gateway/support)
 * and one Chromium for the suite, a fresh browser context and page for each test, and
 * that page kept as evidence when the test fails.
 *
 *   const ui = browserSuite('pages');
 *   it('…', async () => { await ui.page.goto(`${ui.stack.url}/portal/`); });
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startStack, type TestStack } from '../gateway/support';
import { keepEvidence, launchChromium } from './chromium';

export interface BrowserSuite {
  readonly stack: TestStack;
  readonly browser: Browser;
  /** This test's page (a context of its own, closed after the test). */
  readonly page: Page;
  readonly context: BrowserContext;
  /** Another page in a context of its own (a second person), closed after the test as well. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
}

const STUDENT_VIEWPORT = { width: 1280, height: 900 };

export function browserSuite(name: string, options: { env?: NodeJS.ProcessEnv } = {}): BrowserSuite {
  let stack: TestStack | undefined;
  let browser: Browser | undefined;
  let pages: Page[] = [];

  const newPage = async (viewport = STUDENT_VIEWPORT): Promise<Page> => {
    const page = await (await browser!.newContext({ viewport, locale: 'en-GB' })).newPage();
    pages.push(page);
    return page;
  };

  before(async function () {
    this.timeout(240_000);
    stack = await startStack(options.env);
    browser = await launchChromium();
  });
  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await stack?.stop();
  });
  beforeEach(async () => {
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
    newPage,
  };
}
