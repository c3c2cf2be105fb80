/// <reference lib="dom" />
/**
 * The report site in a real browser: `ghml report build` (the shipped CLI) writes the site of
 * a real repository, a static server on 127.0.0.1 serves it, and Debian's chromium (through
 * playwright-core) uses each view — filter, sort, select two runs and compare, open a run,
 * open a model — checking the numbers against `ghml runs list --json`, that hostile strings
 * render as inert text, and that no request leaves for another host. Screenshots of every view
 * go to $GHML_SCREENSHOT_DIR when it is set (docs/screenshots/ holds a committed set).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffMetric } from '../../../src/compare/metric-diff.js';
import { defaultMetricSettings } from '../../../src/config/config-defaults.js';
import { siteCompareUrl } from '../../../src/site/site-links.js';
import { formatDelta, formatValue } from '../../../src/text/format-number.js';
import { decodeNumber } from '../../../src/tracking/run-record.js';
import type { RunJsonView } from '../../../src/tracking/run-json-view.js';
import { runGhml } from '../../support/run-ghml.js';
import { CHROMIUM, launchChromium, type Browser } from '../../support/site/chromium.js';
import { serveStatic, type StaticServer } from '../../support/site/static-server.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';
import { IMG, NASTY, SERIES_KEY, buildSiteFixture, type SiteFixture } from './site-fixture.js';

const shots = process.env['GHML_SCREENSHOT_DIR'];

let fixture: SiteFixture;
let server: StaticServer;
let browser: Browser;
let runs: RunJsonView[];

async function ghml(args: string[]): Promise<string> {
  const result = await runGhml(args, { cwd: fixture.dir });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

async function listJson(...args: string[]): Promise<RunJsonView[]> {
  return JSON.parse(await ghml(['runs', 'list', '--json', '--no-fetch', ...args])) as RunJsonView[];
}

async function shot(name: string): Promise<void> {
  if (shots === undefined) return;
  mkdirSync(resolve(shots), { recursive: true });
  await browser.page.screenshot({ path: join(resolve(shots), `${name}.png`) });
}

/** Opens a view and waits for the runs view's table to have every shard. */
async function open(hash: string): Promise<void> {
  await browser.page.goto(`${server.url}${hash}`);
}

async function runsComplete(): Promise<void> {
  await browser.page.waitForSelector('.status[data-complete="true"]');
}

async function shownIds(): Promise<string[]> {
  return browser.page.$$eval('.vt-window .vt-row', (rows) =>
    rows.map((r) => (r as HTMLElement).dataset['key'] ?? ''),
  );
}

async function matching(): Promise<number> {
  return Number(await browser.page.getAttribute('.status', 'data-matching'));
}

async function inert(): Promise<void> {
  const page = browser.page;
  expect(
    await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
  ).toBeUndefined();
  expect(
    await page.$$eval('script', (s) =>
      s.map((x) => (x as HTMLScriptElement).src.replace(/^.*\//, '')),
    ),
  ).toEqual(['app.js']);
  expect(await page.$$('img, iframe, object, embed')).toHaveLength(0);
  const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href') ?? ''));
  for (const href of hrefs) expect(href).toMatch(/^(#|https?:\/\/|data\/|artifacts\/)/);
  expect(browser.dialogs).toEqual([]);
}

describe('the report site in chromium', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: install it with apt-get install -y chromium (.ci/run does)`,
      );
    fixture = await buildSiteFixture();
    const out = join(tempDir(), 'site');
    const built = JSON.parse(
      await ghml(['report', 'build', '-o', out, '--json', '--no-fetch']),
    ) as { runs: number };
    runs = await listJson('--max-results', '100000');
    expect(built.runs).toBe(runs.length);
    server = await serveStatic(out);
    browser = await launchChromium(server.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    cleanupTempDirs();
  });

  it('lists every run with the numbers runs list --json gives', async () => {
    await open('#/runs');
    await runsComplete();
    expect(await matching()).toBe(runs.length);
    expect(await shownIds()).toEqual(runs.map((r) => r.id));
    for (const run of runs.filter((r) => r.experiment === 'iris')) {
      const cell = browser.page.locator(`.vt-row[data-key="${run.id}"] .vt-cell`, {
        hasText: /\d/,
      });
      const texts = await cell.allTextContents();
      const accuracy = decodeNumber(run.metrics['accuracy']?.value) as number;
      expect(texts).toContain(formatValue(accuracy, 4));
    }
    await shot('runs');
  });

  it('filters with the runs list grammar, sorts by a column, and keeps both in the URL', async () => {
    const filter = "metrics.accuracy > 0.9 and params.model = 'rf'";
    const expected = await listJson('--filter', filter, '--order-by', 'metrics.accuracy DESC');
    await open('#/runs');
    await runsComplete();
    await browser.page.fill('#filter', filter);
    await browser.page.press('#filter', 'Enter');
    await browser.page.waitForFunction(
      (n) => document.querySelector('.status')?.getAttribute('data-matching') === String(n),
      expected.length,
    );
    await browser.page.click('.vt-head [data-column="m:accuracy"] button');
    await browser.page.waitForSelector(
      '.vt-head [data-column="m:accuracy"][aria-sort="descending"]',
    );
    expect(await shownIds()).toEqual(expected.map((r) => r.id));
    const hash = decodeURIComponent(new URL(browser.page.url()).hash);
    expect(hash).toContain(`filter=${filter}`.replace(/ /g, '+'));
    // The permalink reproduces the view.
    await browser.page.reload();
    await runsComplete();
    expect(await browser.page.inputValue('#filter')).toBe(filter);
    expect(await shownIds()).toEqual(expected.map((r) => r.id));
    await shot('runs-filtered');

    await browser.page.fill('#filter', 'metrics.accuracy >');
    await browser.page.press('#filter', 'Enter');
    await expect
      .poll(() => browser.page.textContent('.error'))
      .toMatch(/Invalid filter at column 19/);
    expect(await matching()).toBe(0);
  });

  it('selects two runs with the keyboard and compares them with compare verdicts', async () => {
    await browser.page.evaluate(() => sessionStorage.clear());
    const pair = `run_id IN ('${fixture.ids.base}', '${fixture.ids.head}')`;
    await open(`#/runs?filter=${encodeURIComponent(pair)}`);
    await browser.page.waitForFunction(
      () => document.querySelector('.status')?.getAttribute('data-complete') === 'true',
    );
    await browser.page.waitForFunction(
      () => document.querySelectorAll('.vt-window .vt-row').length >= 2,
    );
    const ids = await shownIds();
    await browser.page.focus('.vt');
    await browser.page.keyboard.press('x');
    await browser.page.keyboard.press('ArrowDown');
    await browser.page.keyboard.press('x');
    await browser.page.click('#compare-selected');
    await browser.page.waitForSelector('#compare-metrics');
    const [baseRun, headRun] = ids
      .slice(0, 2)
      .map((id) => runs.find((r) => r.id === id) as RunJsonView);
    const num = (run: RunJsonView | undefined, key: string) =>
      decodeNumber(run?.metrics[key]?.value) as number;
    const summary = (run: RunJsonView | undefined, key: string) => ({
      value: num(run, key),
      step: 0,
      timestamp: 0,
      min: 0,
      max: 0,
      count: 1,
    });
    const settings = {
      direction: 'max' as const,
      threshold: { kind: 'percent' as const, value: 1 },
      precision: 4,
    };
    const diff = diffMetric(
      'accuracy',
      summary(baseRun, 'accuracy'),
      summary(headRun, 'accuracy'),
      settings,
    );
    const row = await browser.page
      .locator('#compare-metrics tr', { hasText: 'accuracy' })
      .allTextContents();
    expect(row.join('')).toContain(formatDelta(diff.delta, 4));
    expect(row.join('')).toContain(diff.verdict);
    const loss = diffMetric(
      'log_loss',
      summary(baseRun, 'log_loss'),
      summary(headRun, 'log_loss'),
      {
        ...defaultMetricSettings('log_loss'),
        threshold: { kind: 'absolute', value: 0.01 },
      },
    );
    expect(
      (
        await browser.page.locator('#compare-metrics tr', { hasText: 'log_loss' }).allTextContents()
      ).join(''),
    ).toContain(loss.verdict);
    expect(await browser.page.textContent('#compare-params')).toContain('n_estimators');
    await browser.page.waitForSelector('.compare-view figure.chart canvas');
    await shot('compare-runs');
  });

  it('compares two commits at the URL a PR comment links to', async () => {
    const url = siteCompareUrl(server.url, {
      base: fixture.commits[0] as string,
      head: fixture.commits[1] as string,
    });
    expect(url).toBeDefined();
    await browser.page.goto(url as string);
    await browser.page.waitForSelector(
      'section.experiment[data-experiment="iris"] .compare-metrics',
    );
    const text = await browser.page.textContent('section.experiment[data-experiment="iris"]');
    expect(text).toContain(fixture.ids.base.slice(0, 10));
    expect(text).toContain(fixture.ids.head.slice(0, 10));
    expect(text).toMatch(/improved/);
    await shot('compare-commits');
  });

  it('opens a run: exact values, params, a chart of its long series with exact values on hover', async () => {
    await open('#/runs');
    await runsComplete();
    await browser.page.focus('.vt');
    const index = runs.findIndex((r) => r.id === fixture.ids.long);
    for (let i = 0; i < index; i++) await browser.page.keyboard.press('ArrowDown');
    await browser.page.keyboard.press('Enter');
    await browser.page.waitForSelector('#run-metrics');
    const run = runs.find((r) => r.id === fixture.ids.long) as RunJsonView;
    expect(await browser.page.textContent('#run-id')).toBe(run.id);
    const metrics = await browser.page.textContent('#run-metrics');
    expect(metrics).toContain(String(run.metrics['accuracy']?.value));
    expect(await browser.page.textContent('#run-params')).toContain('200');
    const chart = browser.page.locator('figure.chart[data-metric="accuracy"]');
    await chart.locator('canvas').waitFor();
    expect(await chart.getAttribute('data-points')).toBe(String(fixture.longPoints));
    const box = (await chart.locator('.u-over').boundingBox()) as {
      x: number;
      y: number;
      width: number;
      height: number;
    };
    await browser.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const hover = (await chart.locator('.chart-hover').textContent()) ?? '';
    const step = Number(/step (\d+)/.exec(hover)?.[1]);
    const value = 0.5 + 0.45 * (1 - Math.exp(-step / 800)) + 0.003 * Math.sin(step);
    expect(hover).toContain(`: ${String(value)} (step ${step}`);
    expect(await browser.page.textContent('#run-events')).toContain('iris@v1.1.0');
    await shot('run');
  });

  it('renders every hostile string as inert text', async () => {
    await open(`#/run/${fixture.ids.hostile}`);
    await browser.page.waitForSelector('#run-params');
    await browser.page.waitForSelector('#run-charts figure.chart canvas');
    const body = (await browser.page.textContent('body')) ?? '';
    expect(body).toContain('<script>alert(1)</script>');
    expect(body).toContain(IMG);
    expect(await browser.page.textContent('#run-metrics')).toContain(
      SERIES_KEY.replace(/\n/g, ' ').slice(0, 12),
    );
    expect(await browser.page.textContent('#run-params')).toContain(
      NASTY.replace('\n', ' ').slice(0, 30),
    );
    await inert();
    await shot('run-hostile');
    await open(
      `#/runs?filter=${encodeURIComponent("experiment = 'hostile'")}&col=${encodeURIComponent(`p:${NASTY}`)}&col=${encodeURIComponent(`t:${IMG}`)}`,
    );
    await runsComplete();
    expect(await matching()).toBe(1);
    await inert();
    await open('#/models/iris');
    await browser.page.waitForSelector('#model-history');
    expect(await browser.page.textContent('#model-history')).toContain(IMG);
    await inert();
  });

  it('shows a model with its versions, stages and history from the tags', async () => {
    const models = JSON.parse(await ghml(['model', 'show', 'iris', '--json'])) as {
      latest: string;
      versions: Array<{ version: string; runId: string }>;
    };
    await open('#/models');
    await browser.page.click('#models-table a');
    await browser.page.waitForSelector('#model-versions');
    const versions = (await browser.page.textContent('#model-versions')) ?? '';
    for (const v of models.versions) {
      expect(versions).toContain(v.version);
      expect(versions).toContain(v.runId.slice(0, 10));
    }
    expect(await browser.page.textContent('#model-stages')).toContain('staging');
    await shot('model');
  });

  it('draws the trends and the sweep leaderboard', async () => {
    await open('#/trends?experiment=iris');
    await browser.page.waitForSelector('#trend-table');
    expect(await browser.page.locator('#trend-table tbody tr').count()).toBe(4);
    await shot('trends');
    await open('#/sweeps');
    await browser.page.waitForSelector('#leaderboard');
    const first = await browser.page.locator('#leaderboard tbody tr').first().textContent();
    expect(first).toContain('seed=2');
    expect(await browser.page.locator('svg.parallel polyline').count()).toBe(4);
    await shot('sweeps');
    await browser.page.emulateMedia({ colorScheme: 'dark' });
    await open(`#/run/${fixture.ids.long}`);
    await browser.page.waitForSelector('#run-charts figure.chart canvas');
    await shot('run-dark');
    await browser.page.emulateMedia({ colorScheme: 'light' });
  });

  it('made no request to another host and threw no error', () => {
    expect(browser.foreign).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
    expect(server.requests.some((p) => p.startsWith('/data/runs/'))).toBe(true);
  });
});
