/**
 * A real browser for the dashboard's tests: Debian's chromium (/usr/bin/chromium, installed by
 * scripts/test/ensure-chromium.sh) driven by playwright-core, headless, with a fresh profile per
 * launch and no network of its own (no updates, no sync, no QUIC). Screenshots go to
 * test-artifacts/screenshots/<test>-<step>.png (gitignored), for people to look at after a run.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type ConsoleMessage,
  type Page,
} from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

/** A laptop screen and a phone (iPhone 12-15 size), in CSS pixels. */
export const VIEWPORTS = {
  laptop: { width: 1280, height: 860 },
  phone: { width: 390, height: 844 },
} as const;

/** <repo>/test-artifacts/screenshots, seen from dist/test/support/. */
export const SCREENSHOT_DIR = fileURLToPath(
  new URL('../../../test-artifacts/screenshots/', import.meta.url),
);

/** Generous waits: the agent, the gateway and the browser share one machine with other tests. */
export const UI_TIMEOUT_MS = 60_000;

export interface BrowserSession {
  readonly browser: Browser;
  /** Opens a page at `url` in a new context (its own storage) with this viewport. */
  open(url: string, viewport?: keyof typeof VIEWPORTS): Promise<Page>;
  /**
   * Saves a screenshot of what the viewport shows (or the whole page) as <test>-<step>.png;
   * returns its path.
   */
  screenshot(page: Page, step: string, options?: { fullPage?: boolean }): Promise<string>;
  /** Uncaught page errors and console errors seen so far (each prefixed with the page URL). */
  errors(): string[];
  close(): Promise<void>;
}

const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-|-$/g, '');

/**
 * Launches chromium; `test` names the screenshots (e.g. 'dashboard-uploads'); `args` adds
 * command-line switches (e.g. --host-resolver-rules for a name that resolves to 127.0.0.1).
 */
export async function launchBrowser(
  test: string,
  args: readonly string[] = [],
): Promise<BrowserSession> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
    timeout: UI_TIMEOUT_MS,
  });
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];
  await mkdir(SCREENSHOT_DIR, { recursive: true });

  return {
    browser,
    async open(url, viewport = 'laptop') {
      const phone = viewport === 'phone';
      const context = await browser.newContext({
        viewport: VIEWPORTS[viewport],
        deviceScaleFactor: phone ? 2 : 1,
        isMobile: phone,
        hasTouch: phone,
        colorScheme: 'light',
        locale: 'en-GB',
        timezoneId: 'UTC',
      });
      context.setDefaultTimeout(UI_TIMEOUT_MS);
      context.setDefaultNavigationTimeout(UI_TIMEOUT_MS);
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (err: Error) => errors.push(`${page.url()}: ${err.message}`));
      page.on('console', (msg: ConsoleMessage) => {
        if (msg.type() === 'error') errors.push(`${page.url()}: console: ${msg.text()}`);
      });
      await page.goto(url);
      return page;
    },
    async screenshot(page, step, options = {}) {
      const file = path.join(SCREENSHOT_DIR, `${slug(test)}-${slug(step)}.png`);
      await page.screenshot({ path: file, fullPage: options.fullPage ?? false });
      return file;
    },
    errors: () => [...errors],
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/**
 * Polls `check` (Node side: locators, the API, S3) until it returns true; fails with `what` and
 * the last error after `timeoutMs`. For conditions a single locator wait cannot express (a
 * progress value in a range, a count in a text).
 */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = UI_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Navigates the single-page dashboard to a view (#/history, #/queue?state=parked, …). */
export async function showView(page: Page, hash: string): Promise<void> {
  await page.evaluate((h: string) => {
    (globalThis as unknown as { location: { hash: string } }).location.hash = h;
  }, hash);
}
