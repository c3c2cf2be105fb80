/// <reference lib="dom" />
/**
 * The report site's controls in a real browser, beyond site-browser.test.ts: the column
 * chooser and the diff-only toggle of the runs view (the table and the URL follow), a run's
 * artifacts (a download command in a static build, a link that `ghml ui` answers with the
 * stored bytes), its commit and pull request links (built from the repository the build was
 * given, never from the run's own fields), runs deleted with `ghml runs delete` (absent from
 * the table, the data and the run's permalink), the dark colour scheme (other colours, still
 * readable), and the runs table driven by the keyboard alone. The shipped CLI builds and
 * serves the site; Debian's chromium (playwright-core) uses it. Screenshots go to
 * $GHML_SCREENSHOT_DIR when it is set.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatValue } from '../../../src/text/format-number.js';
import type { RunJsonView } from '../../../src/tracking/run-json-view.js';
import { collect, ghmlEnv, runGhml, startGhml } from '../../support/run-ghml.js';
import { CHROMIUM, launchChromium, type Browser } from '../../support/site/chromium.js';
import { serveStatic, type StaticServer } from '../../support/site/static-server.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';
import { buildSiteFixture, type SiteFixture } from './site-fixture.js';
import {
  LARGE_PATH,
  ONLY_METRIC,
  ONLY_PARAM,
  PR_NUMBER,
  STORED_PATH,
  addViewRuns,
  type ViewRuns,
} from './site-views-fixture.js';

const shots = process.env['GHML_SCREENSHOT_DIR'];
/** The repository the build is told it publishes (as GitHub Actions tells it). */
const REPOSITORY = 'acme/iris-site';

let fixture: SiteFixture;
let extra: ViewRuns;
let site: string;
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

async function shot(name: string, on: Browser = browser): Promise<void> {
  if (shots === undefined) return;
  mkdirSync(resolve(shots), { recursive: true });
  await on.page.screenshot({ path: join(resolve(shots), `${name}.png`) });
}

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

/** The ids of the table's header cells, left to right. */
async function headerColumns(): Promise<string[]> {
  return browser.page.$$eval('.vt-head [data-column]', (cells) =>
    cells.map((c) => (c as HTMLElement).dataset['column'] ?? ''),
  );
}

/** The text of one run's cell in one column, found by the header's position. */
async function cellText(runId: string, column: string): Promise<string | undefined> {
  return browser.page.evaluate(
    ([id, col]) => {
      const head = Array.from(document.querySelectorAll<HTMLElement>('.vt-head [data-column]'));
      const at = head.findIndex((h) => h.dataset['column'] === col);
      const row = Array.from(document.querySelectorAll<HTMLElement>('.vt-window .vt-row')).find(
        (r) => r.dataset['key'] === id,
      );
      return at < 0 || row === undefined ? undefined : (row.children[at]?.textContent ?? '');
    },
    [runId, column] as const,
  );
}

/** The columns the URL names (`col=`), and whether it asks for differences only. */
function urlState(): { columns: string[]; diff: boolean } {
  const hash = new URL(browser.page.url()).hash;
  const params = new URLSearchParams(hash.slice(hash.indexOf('?') + 1));
  return { columns: params.getAll('col'), diff: params.get('diff') === '1' };
}

type Rgb = [number, number, number];

function parseRgb(text: string): Rgb {
  const found = /rgba?\((\d+), (\d+), (\d+)/.exec(text);
  if (found === null) throw new Error(`not an rgb() colour: ${text}`);
  return [Number(found[1]), Number(found[2]), Number(found[3])];
}

/** WCAG 2 contrast ratio of two sRGB colours. */
function contrast(a: Rgb, b: Rgb): number {
  const luminance = (c: Rgb): number => {
    const [r, g, bl] = c.map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    }) as Rgb;
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The colours a reader sees on the runs view: page, text, links, muted text, active row. */
async function palette(): Promise<Record<string, Rgb>> {
  const raw = await browser.page.evaluate(() => {
    const style = (selector: string) => {
      const node = document.querySelector(selector);
      if (node === null) throw new Error(`no ${selector}`);
      return getComputedStyle(node);
    };
    return {
      background: style('body').backgroundColor,
      text: style('body').color,
      link: style('nav a').color,
      muted: style('.status').color,
      activeBackground: style('.vt-row.active').backgroundColor,
      activeText: style('.vt-row.active .vt-cell').color,
    };
  });
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, parseRgb(v)]));
}

describe('the report site views in chromium', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: install it with apt-get install -y chromium (.ci/run does)`,
      );
    fixture = await buildSiteFixture();
    extra = await addViewRuns(fixture);
    site = join(tempDir(), 'site');
    // The repository the links point at comes from the environment, as in GitHub Actions.
    const built = await runGhml(['report', 'build', '-o', site, '--json', '--no-fetch'], {
      cwd: fixture.dir,
      env: ghmlEnv({ GITHUB_REPOSITORY: REPOSITORY, GITHUB_SERVER_URL: 'https://github.com' }),
    });
    expect(built.code, built.stderr).toBe(0);
    runs = await listJson('--max-results', '100000');
    expect((JSON.parse(built.stdout) as { runs: number }).runs).toBe(runs.length);
    server = await serveStatic(site);
    browser = await launchChromium(server.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    cleanupTempDirs();
  });

  it('adds a param and a metric column with the column chooser and removes one; the table and the URL follow', async () => {
    await open('#/runs');
    await runsComplete();
    const before = await headerColumns();
    expect(before).toContain('m:accuracy');
    expect(before).not.toContain(`p:${ONLY_PARAM}`);
    expect(before).not.toContain(`m:${ONLY_METRIC}`);
    expect(urlState().columns).toEqual([]);
    const page = browser.page;
    await page.click('details.chooser summary');
    const search = page.locator('.chooser-panel input[type="search"]');
    await search.fill('zz_');
    // The search narrows the lists to the keys that match.
    expect(await page.locator('.chooser-list input[data-column]').count()).toBe(2);
    await page.check(`.chooser-list input[data-column="p:${ONLY_PARAM}"]`);
    await page.check(`.chooser-list input[data-column="m:${ONLY_METRIC}"]`);
    await shot('runs-columns');
    expect(await headerColumns()).toEqual([...before, `p:${ONLY_PARAM}`, `m:${ONLY_METRIC}`]);
    expect(urlState().columns).toEqual(
      [...before, `p:${ONLY_PARAM}`, `m:${ONLY_METRIC}`].filter(
        (c) => c.length > 2 && c[1] === ':',
      ),
    );
    const files = runs.find((r) => r.id === extra.files) as RunJsonView;
    expect(await cellText(extra.files, `p:${ONLY_PARAM}`)).toBe(files.params[ONLY_PARAM]);
    expect(await cellText(extra.files, `m:${ONLY_METRIC}`)).toBe(formatValue(0.8125, 4));
    expect(await cellText(fixture.ids.base, `p:${ONLY_PARAM}`)).toBe('-');

    await search.fill('accuracy');
    await page.uncheck('.chooser-list input[data-column="m:accuracy"]');
    const after = await headerColumns();
    expect(after).not.toContain('m:accuracy');
    expect(after).toContain(`p:${ONLY_PARAM}`);
    expect(urlState().columns).not.toContain('m:accuracy');
    expect(urlState().columns).toContain(`m:${ONLY_METRIC}`);
    // The permalink gives the same columns back, and the chooser shows them ticked.
    await page.reload();
    await runsComplete();
    expect(await headerColumns()).toEqual(after);
    await page.click('details.chooser summary');
    expect(await page.isChecked(`.chooser-list input[data-column="m:${ONLY_METRIC}"]`)).toBe(true);
    expect(await page.isChecked('.chooser-list input[data-column="m:accuracy"]')).toBe(false);
  });

  it('hides the columns whose values are equal across the shown runs, and shows them again', async () => {
    const pair = `run_id IN ('${fixture.ids.base}', '${fixture.ids.head}')`;
    const columns = ['p:model', 'p:n_estimators', 'm:accuracy'];
    await open(
      `#/runs?filter=${encodeURIComponent(pair)}${columns.map((c) => `&col=${encodeURIComponent(c)}`).join('')}`,
    );
    await runsComplete();
    await browser.page.waitForFunction(
      () => document.querySelectorAll('.vt-window .vt-row').length === 2,
    );
    expect(await headerColumns()).toEqual(expect.arrayContaining(columns));
    // Both runs have model=rf; n_estimators (10, 50) and accuracy differ.
    await browser.page.check('#diff-only');
    await expect.poll(headerColumns).not.toContain('p:model');
    expect(await headerColumns()).toEqual(expect.arrayContaining(['p:n_estimators', 'm:accuracy']));
    expect(await browser.page.textContent('.status')).toContain(
      '1 column(s) with equal values hidden',
    );
    expect(urlState()).toEqual({ columns, diff: true });
    await shot('runs-diff-only');

    // The toggle follows the shown runs: the sweep's runs share n_estimators=50, not seed.
    const sweep = `params.seed != ''`;
    await browser.page.fill('#filter', sweep);
    await browser.page.press('#filter', 'Enter');
    await browser.page.waitForFunction(
      () => document.querySelector('.status')?.getAttribute('data-matching') === '3',
    );
    const sweepColumns = await headerColumns();
    expect(sweepColumns).not.toContain('p:n_estimators');
    expect(sweepColumns).not.toContain('p:model');
    expect(sweepColumns).toContain('m:accuracy');

    await browser.page.uncheck('#diff-only');
    await expect.poll(headerColumns).toEqual(expect.arrayContaining(columns));
    expect(await browser.page.textContent('.status')).not.toContain('hidden');
    expect(urlState()).toEqual({ columns, diff: false });
  });

  it('shows a run: commit and pull request links to the repository, artifacts as download commands', async () => {
    await open(`#/run/${extra.files}`);
    await browser.page.waitForSelector('#run-id');
    const run = runs.find((r) => r.id === extra.files) as RunJsonView;
    const repo = `https://github.com/${REPOSITORY}`;
    const commit = browser.page.locator('dl.facts a', { hasText: run.source.commit });
    expect(await commit.getAttribute('href')).toBe(`${repo}/commit/${run.source.commit}`);
    const pr = browser.page.locator('dl.facts a', { hasText: `#${PR_NUMBER}` });
    expect(await pr.getAttribute('href')).toBe(`${repo}/pull/${PR_NUMBER}`);
    expect(await pr.getAttribute('rel')).toContain('noopener');

    const rows = browser.page.locator('table.artifacts tbody tr');
    const row = (path: string) => rows.filter({ hasText: path });
    // A static build holds no artifact bytes: GitHub Pages could not serve them as downloads
    // only, so a stored one comes with the command that fetches and checks it.
    const storedCommand = await row(STORED_PATH).locator('code.command').textContent();
    expect(storedCommand).toBe(`ghml runs get ${extra.files} '${STORED_PATH}'`);
    expect(await row(STORED_PATH).locator('a').count()).toBe(0);
    // ... and the command does what it says.
    const out = tempDir();
    await ghml(['runs', 'get', extra.files, STORED_PATH, '-o', out, '--no-fetch']);
    expect(readFileSync(join(out, STORED_PATH))).toEqual(extra.stored);
    // The large file in the artifact store: its oci:// address as text, and the command.
    const large = row(LARGE_PATH);
    expect(await large.textContent()).toContain(extra.largeUri);
    expect(await large.locator('code.command').textContent()).toBe(
      `ghml runs get ${extra.files} '${LARGE_PATH}'`,
    );
    expect(await large.locator('a').count()).toBe(0);
    expect(await large.textContent()).toContain('2.8 GiB');
    await shot('run-artifacts');
  });

  it('links a stored artifact under ghml ui, and the link gives its exact bytes as a download', async () => {
    const child: ChildProcess = startGhml(['ui', '--port', '0', '--no-fetch'], {
      cwd: fixture.dir,
    });
    const done = collect(child);
    let ui: Browser | undefined;
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        let out = '';
        child.once('exit', () => reject(new Error('ghml ui exited')));
        child.stdout?.on('data', (c: Buffer) => {
          out += c.toString('utf8');
          const found = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (found) resolveUrl(found[1] as string);
        });
      });
      ui = await launchChromium(url);
      await ui.page.goto(`${url}#/run/${extra.files}`);
      const anchor = ui.page
        .locator('table.artifacts tbody tr', { hasText: STORED_PATH })
        .locator('a');
      const href = await anchor.getAttribute('href');
      expect(href).toBe(`artifacts/${extra.files}/model/weights.bin`);
      const fetched = await ui.page.evaluate(async (path) => {
        const response = await fetch(path);
        return {
          status: response.status,
          disposition: response.headers.get('content-disposition'),
          bytes: [...new Uint8Array(await response.arrayBuffer())],
        };
      }, href as string);
      expect(fetched.status).toBe(200);
      expect(fetched.disposition).toMatch(/^attachment/);
      expect(Buffer.from(fetched.bytes)).toEqual(extra.stored);
      // The large file is not on the branch: the command, not a link.
      const large = ui.page.locator('table.artifacts tbody tr', { hasText: LARGE_PATH });
      expect(await large.locator('a').count()).toBe(0);
      expect(await large.locator('code.command').textContent()).toBe(
        `ghml runs get ${extra.files} '${LARGE_PATH}'`,
      );
      await shot('ui-run-artifacts', ui);
      expect(ui.foreign).toEqual([]);
      expect(ui.pageErrors).toEqual([]);
    } finally {
      await ui?.close();
      child.kill('SIGINT');
      await done;
    }
  });

  it('leaves out a run deleted with ghml runs delete: not in the table, the data or its permalink', async () => {
    const deleted = await listJson('--view', 'deleted');
    expect(deleted.map((r) => r.id)).toEqual([extra.deleted]);
    expect(runs.map((r) => r.id)).not.toContain(extra.deleted);
    await open('#/runs');
    await runsComplete();
    expect(Number(await browser.page.getAttribute('.status', 'data-loaded'))).toBe(runs.length);
    expect(await shownIds()).not.toContain(extra.deleted);
    await browser.page.fill('#filter', `run_id = '${extra.deleted}'`);
    await browser.page.press('#filter', 'Enter');
    await browser.page.waitForFunction(
      () => document.querySelector('.status')?.getAttribute('data-matching') === '0',
    );
    await open(`#/run/${extra.deleted}`);
    await browser.page.waitForSelector('text=Run not found');
    expect(await browser.page.textContent('main')).toContain(
      `No run ${extra.deleted} on this site (deleted runs are not shown)`,
    );
    await shot('run-deleted');
    // Not merely hidden: the published data does not hold it.
    for (const path of server.requests.filter((p) => p.startsWith('/data/')))
      expect(readFileSync(join(site, path)).toString('utf8')).not.toContain(extra.deleted);
    expect(readFileSync(join(site, 'data/manifest.json'), 'utf8')).not.toContain(extra.deleted);
  });

  it('follows the system dark setting with other, readable colours', async () => {
    const page = browser.page;
    await page.emulateMedia({ colorScheme: 'light' });
    await open('#/runs');
    await runsComplete();
    const light = await palette();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload();
    await runsComplete();
    const dark = await palette();
    await shot('runs-dark');
    try {
      expect(dark.background).not.toEqual(light.background);
      expect(dark.text).not.toEqual(light.text);
      expect(dark.link).not.toEqual(light.link);
      for (const colours of [light, dark]) {
        const bg = colours['background'] as Rgb;
        // WCAG AA: 4.5 for text; the page is dark text on light or light text on dark.
        expect(contrast(colours['text'] as Rgb, bg)).toBeGreaterThanOrEqual(4.5);
        expect(contrast(colours['link'] as Rgb, bg)).toBeGreaterThanOrEqual(4.5);
        expect(contrast(colours['muted'] as Rgb, bg)).toBeGreaterThanOrEqual(4.5);
        expect(
          contrast(colours['activeText'] as Rgb, colours['activeBackground'] as Rgb),
        ).toBeGreaterThanOrEqual(4.5);
      }
      const [lightSum, darkSum] = [light, dark].map((c) =>
        (c['background'] as Rgb).reduce((a, b) => a + b, 0),
      ) as [number, number];
      expect(darkSum).toBeLessThan(lightSum);
      await open(`#/run/${extra.files}`);
      await page.waitForSelector('#run-id');
      await shot('run-artifacts-dark');
      await open(`#/compare?runs=${fixture.ids.base},${fixture.ids.head}`);
      await page.waitForSelector('.compare-view figure.chart canvas');
      await shot('compare-runs-dark');
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
  });

  it('drives the runs table with the keyboard alone: /, j and k, End and Home, Space, Enter, g r, ?', async () => {
    const page = browser.page;
    await page.evaluate(() => sessionStorage.clear());
    await open('#/runs');
    await runsComplete();
    const ids = await shownIds();
    expect(ids.length).toBeGreaterThan(5);
    const active = () => page.getAttribute('.vt-row.active', 'data-key');
    // '/' puts the cursor in the filter; ↓ from there goes to the table.
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('filter');
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('grid');
    expect(await active()).toBe(ids[0]);
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    expect(await active()).toBe(ids[2]);
    await page.keyboard.press('k');
    expect(await active()).toBe(ids[1]);
    expect(await page.getAttribute('.vt', 'aria-activedescendant')).toBe('vt-row-1');
    await page.keyboard.press('End');
    expect(await active()).toBe(ids[ids.length - 1]);
    await page.keyboard.press('Home');
    expect(await active()).toBe(ids[0]);
    await page.keyboard.press('PageDown');
    expect(await active()).not.toBe(ids[0]);
    await page.keyboard.press('PageUp');
    expect(await active()).toBe(ids[0]);
    // Space ticks the active run for comparison, and again unticks it.
    await page.keyboard.press('j');
    await page.keyboard.press(' ');
    expect(await page.getAttribute('.vt-row.active', 'aria-selected')).toBe('true');
    expect(await page.textContent('#compare-selected')).toBe('Compare selected (1)');
    await page.keyboard.press(' ');
    expect(await page.textContent('#compare-selected')).toBe('Compare selected (0)');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#run-id');
    expect(await page.textContent('#run-id')).toBe(ids[1]);
    expect(new URL(page.url()).hash).toBe(`#/run/${ids[1]}`);
    // g r goes back to the runs; ? opens the list of keys, Escape closes it.
    await page.keyboard.press('g');
    await page.keyboard.press('r');
    await page.waitForSelector('.vt-window .vt-row');
    expect(new URL(page.url()).hash).toBe('#/runs');
    await page.keyboard.press('?');
    expect(await page.getAttribute('#help', 'open')).toBe('');
    await shot('help');
    await page.keyboard.press('Escape');
    expect(await page.getAttribute('#help', 'open')).toBeNull();
  });

  it('keeps the default route clean: a filter typed on the bare address is not carried to another view', async () => {
    await browser.page.goto(server.url);
    await runsComplete();
    await browser.page.fill('#filter', "params.model = 'rf'");
    await browser.page.press('#filter', 'Enter');
    await expect.poll(() => new URL(browser.page.url()).hash).toContain('filter=');
    // An address the router does not know falls back to the runs view, with no filter.
    await open('#/run/not-a-run-id');
    await runsComplete();
    expect(await browser.page.inputValue('#filter')).toBe('');
    expect(Number(await browser.page.getAttribute('.status', 'data-matching'))).toBe(runs.length);
  });

  it('made no request to another host and threw no error', () => {
    expect(browser.foreign).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});
