/// <reference lib="dom" />
/**
 * The report site at scale: `ghml report build` (the shipped CLI, dist/cli.js) in a fresh
 * depth-1 blobless clone of a repository whose ghml/runs history has ONE commit per run, then
 * the built site in Debian's chromium. Baselines in the same run: `ghml runs list --json` in
 * an identical fresh clone (the listing every reader pays), and the same measures on a small
 * history. Prints Markdown tables. Page timings are taken in the page (performance.now() from
 * the navigation, or around the action up to the next frame), not by polling from here.
 *
 *   npx tsx bench/site/site-bench.ts [--runs 100000] [--small 1000] [--samples 3] [--points 100000] [--format 2]
 *
 * The history is written with one `git fast-import` stream (bench/support/tracking-history.ts),
 * one commit per run, in the tracking format `--format` (default 2: sealed segments with
 * summary shards); the run with `--points` metric points is then written through the real
 * writer (TrackingStore.writeRun). Run `npm run build` first.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createGit } from '../../src/git/git.js';
import { openTrackingStore } from '../../src/tracking/store/tracking-store.js';
import { formatMetricLines } from '../../src/tracking/run-record-json.js';
import type { MetricPoint } from '../../src/tracking/run-record.js';
import { launchChromium } from '../../test/support/site/chromium.js';
import { serveStatic } from '../../test/support/site/static-server.js';
import {
  BENCH_ENV,
  benchDir,
  benchRecord,
  git,
  markdownTable,
  median,
  ms,
  newBenchRepo,
  numberArg,
  removeBenchDirs,
} from '../support/run-history.js';
import { buildTrackingHistory } from '../support/tracking-history.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

interface Sized {
  runs: number;
  buildMs: number;
  listMs: number;
  fullBuildMs: number;
  dataBytes: number;
  dataGzip: number;
  dataFiles: number;
  firstRender: number[];
  allLoaded: number[];
  sort: number[];
  sortParam: number[];
  filter: number[];
  openRun: number[];
  longRunId: string;
  pageGzip: number;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

function gzipSize(path: string): number {
  return gzipSync(readFileSync(path), { level: 6 }).length;
}

/** A bare remote holding main and ghml/runs, as GitHub would. */
function makeRemote(repo: string): string {
  const remote = join(benchDir(), 'remote.git');
  git(repo, 'clone', '-q', '--bare', repo, remote);
  git(remote, 'config', 'uploadpack.allowFilter', 'true');
  git(remote, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
  return remote;
}

/** What actions/checkout does by default: depth 1, here also blobless. */
function freshClone(remote: string): string {
  const dir = join(benchDir(), 'clone');
  git(
    benchDir(),
    'clone',
    '-q',
    '--depth',
    '1',
    '--filter=blob:none',
    '--single-branch',
    '-b',
    'main',
    `file://${remote}`,
    dir,
  );
  return dir;
}

function timedCli(cwd: string, args: string[]): { ms: number; stdout: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: BENCH_ENV,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`ghml ${args.join(' ')}: ${result.stderr}`);
  return { ms: elapsed, stdout: result.stdout };
}

async function measureSize(runs: number, points: number, samples: number): Promise<Sized> {
  const repo = newBenchRepo();
  const started = Date.now();
  await buildTrackingHistory(repo, { format, runs });
  // One run with a long series, through the real writer.
  const record = benchRecord(git(repo, 'rev-parse', 'HEAD'), 'exp0');
  const series: MetricPoint[] = Array.from({ length: points }, (_, i) => ({
    key: i % 2 === 0 ? 'accuracy' : 'loss',
    value: Math.random(),
    step: Math.floor(i / 2),
    timestamp: record.startTime + i,
  }));
  record.metrics['accuracy'] = {
    value: series[points - 2]?.value ?? 0,
    step: points / 2 - 1,
    timestamp: 0,
    min: 0,
    max: 1,
    count: points / 2,
  };
  record.metrics['loss'] = {
    value: series[points - 1]?.value ?? 0,
    step: points / 2 - 1,
    timestamp: 0,
    min: 0,
    max: 1,
    count: points / 2,
  };
  const store = openTrackingStore(await createGit(repo, { env: BENCH_ENV }), {
    branch: 'ghml/runs',
    remote: 'origin',
    pushTimeoutMs: 60_000,
  });
  await store.writeRun({
    record,
    metricsJsonl: Buffer.from(formatMetricLines(series)),
    artifacts: [],
  });
  console.error(
    `format-${format} history of ${runs + 1} runs, one commit each: ${ms(Date.now() - started)}`,
  );
  const remote = makeRemote(repo);

  // The same build where every blob is already local: what the site's own work costs.
  const full = join(benchDir(), 'full');
  git(benchDir(), 'clone', '-q', '--no-single-branch', `file://${remote}`, full);
  const fullBuild = timedCli(full, ['report', 'build', '-o', join(full, 'site'), '--no-fetch']);
  const listClone = freshClone(remote);
  const list = timedCli(listClone, ['runs', 'list', '--json', '--max-results', '1000000']);
  const clone = freshClone(remote);
  const out = join(clone, 'site');
  const build = timedCli(clone, ['report', 'build', '-o', out, '--json']);
  const summary = JSON.parse(build.stdout) as {
    runs: number;
    dataFiles: number;
    dataBytes: number;
  };
  const dataFiles = walk(join(out, 'data'));
  const dataGzip = dataFiles.reduce((n, f) => n + gzipSize(f), 0);
  const pageGzip = ['index.html', 'app.js', 'app.css'].reduce(
    (n, f) => n + gzipSize(join(out, f)),
    0,
  );

  const server = await serveStatic(out);
  const result: Sized = {
    runs: summary.runs,
    buildMs: build.ms,
    listMs: list.ms,
    fullBuildMs: fullBuild.ms,
    dataBytes: dataFiles.reduce((n, f) => n + statSync(f).size, 0),
    dataGzip,
    dataFiles: dataFiles.length,
    firstRender: [],
    allLoaded: [],
    sort: [],
    sortParam: [],
    filter: [],
    openRun: [],
    longRunId: record.id,
    pageGzip,
  };
  for (let s = 0; s < samples; s++) {
    // Requests are watched, not routed: routing adds a round trip to each one.
    const browser = await launchChromium(server.url, { intercept: false });
    const page = browser.page;
    // The time the first row exists, stamped in the page (polling from here would add latency).
    await page.addInitScript(() => {
      const stamp = window as unknown as { __firstRow?: number };
      new MutationObserver((_, observer) => {
        if (document.querySelector('.vt-window .vt-row')) {
          stamp.__firstRow = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(`${server.url}#/runs`);
    await page.waitForSelector('.vt-window .vt-row');
    result.firstRender.push(
      await page.evaluate(() => (window as unknown as { __firstRow: number }).__firstRow),
    );
    await page.waitForSelector('.status[data-complete="true"]', { timeout: 120_000 });
    result.allLoaded.push(await page.evaluate(() => performance.now()));
    // Sorting: click a metric header; the sort and the new rows happen in the handler, then a frame.
    result.sort.push(
      await page.evaluate(async () => {
        const button = document.querySelector(
          '.vt-head [data-column="m:accuracy"] button',
        ) as HTMLButtonElement;
        const t0 = performance.now();
        button.click();
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        return performance.now() - t0;
      }),
    );
    result.sortParam.push(
      await page.evaluate(async () => {
        const button = document.querySelector(
          '.vt-head [data-column="p:lr"] button',
        ) as HTMLButtonElement;
        const t0 = performance.now();
        button.click();
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        return performance.now() - t0;
      }),
    );
    result.filter.push(
      await page.evaluate(async () => {
        const box = document.querySelector('#filter') as HTMLInputElement;
        box.value = "metrics.accuracy > 0.9 and params.n_estimators = '10'";
        const t0 = performance.now();
        box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        return performance.now() - t0;
      }),
    );
    result.openRun.push(
      await page.evaluate(async (id) => {
        const t0 = performance.now();
        location.hash = `#/run/${id}`;
        for (;;) {
          await new Promise((r) => requestAnimationFrame(() => r(null)));
          if (document.querySelector('#run-charts figure.chart canvas')) break;
          if (performance.now() - t0 > 30_000) return Number.NaN;
        }
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        return performance.now() - t0;
      }, record.id),
    );
    if (browser.foreign.length > 0 || browser.pageErrors.length > 0)
      throw new Error(`page problems: ${JSON.stringify([browser.foreign, browser.pageErrors])}`);
    await browser.close();
  }
  await server.close();
  return result;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const runs = numberArg('runs', 100_000);
const small = numberArg('small', 1000);
const samples = numberArg('samples', 3);
const points = numberArg('points', 100_000);
const format = numberArg('format', 2) === 1 ? 1 : 2;
try {
  execFileSync('git', ['--version']);
  const sizes = [
    await measureSize(small, points, samples),
    await measureSize(runs, points, samples),
  ];
  const [a, b] = sizes as [Sized, Sized];
  const row = (label: string, f: (s: Sized) => string, target: string): string[] => [
    label,
    f(a),
    f(b),
    target,
  ];
  console.log(
    markdownTable(
      [
        'measure',
        `${a.runs.toLocaleString('en-US')} runs`,
        `${b.runs.toLocaleString('en-US')} runs`,
        'target',
      ],
      [
        row(
          '`ghml report build` in a fresh depth-1 blobless clone, wall clock',
          (s) => ms(s.buildMs),
          '< 15 s',
        ),
        row(
          'baseline: `ghml runs list --json` in an identical fresh clone',
          (s) => ms(s.listMs),
          '–',
        ),
        row('build / list', (s) => `${(s.buildMs / s.listMs).toFixed(2)}×`, '–'),
        row(
          'the same build in a full clone (every blob local, no fetch)',
          (s) => ms(s.fullBuildMs),
          '–',
        ),
        row('data written (files)', (s) => `${mb(s.dataBytes)} (${s.dataFiles})`, '–'),
        row('data gzipped', (s) => mb(s.dataGzip), '< 30 MB'),
        row(
          'page weight (HTML + JS + CSS), gzipped',
          (s) => `${(s.pageGzip / 1024).toFixed(1)} KB`,
          '< 300 KB',
        ),
        row(
          `first render of the runs view (median of ${samples})`,
          (s) => ms(median(s.firstRender)),
          '< 1.5 s',
        ),
        row('every shard loaded and shown (median)', (s) => ms(median(s.allLoaded)), '–'),
        row(
          'sort by a metric column, all runs loaded (median)',
          (s) => ms(median(s.sort)),
          '< 200 ms',
        ),
        row(
          'sort by a param column (string values), all runs loaded (median)',
          (s) => ms(median(s.sortParam)),
          '< 200 ms',
        ),
        row('filter, all runs loaded (median)', (s) => ms(median(s.filter)), '< 200 ms'),
        row(
          `open a run with ${points.toLocaleString('en-US')} metric points (median)`,
          (s) => ms(median(s.openRun)),
          '< 500 ms',
        ),
      ],
    ),
  );
} finally {
  removeBenchDirs();
}
