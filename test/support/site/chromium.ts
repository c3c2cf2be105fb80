/**
 * Debian's chromium (/usr/bin/chromium, `apt-get install chromium`) driven by playwright-core:
 * no browser download. Headless, no sandbox (tests run as root), no background traffic, and a
 * fresh profile per launch. Every request the page makes to a host other than the site's is
 * recorded and aborted, so a test can assert that nothing leaves the page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env['GHML_CHROMIUM'] ?? '/usr/bin/chromium';

export interface Browser {
  page: Page;
  context: BrowserContext;
  /** URLs of requests to other hosts (aborted). */
  foreign: string[];
  /** Errors thrown in the page and console errors. */
  pageErrors: string[];
  /** Dialogs the page opened (alert, confirm...). */
  dialogs: string[];
  close(): Promise<void>;
}

export interface LaunchOptions {
  viewport?: { width: number; height: number };
  /**
   * Default true: every request is routed through playwright, and foreign ones are aborted.
   * False: requests are only watched (routing adds a round trip to each request, which a
   * benchmark must not measure); foreign ones are still recorded.
   */
  intercept?: boolean;
}

export async function launchChromium(
  siteUrl: string,
  options: LaunchOptions = {},
): Promise<Browser> {
  const viewport = options.viewport ?? { width: 1400, height: 900 };
  const profile = mkdtempSync(join(tmpdir(), 'ghml-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const origin = new URL(siteUrl).origin;
  const foreign: string[] = [];
  const local = (url: string): boolean => url.startsWith(`${origin}/`) || url.startsWith('data:');
  if (options.intercept ?? true) {
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (local(url)) return route.continue();
      foreign.push(url);
      return route.abort();
    });
  } else {
    context.on('request', (request) => {
      if (!local(request.url())) foreign.push(request.url());
    });
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return {
    page,
    context,
    foreign,
    pageErrors,
    dialogs,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
