/**
 * `ghml runs list --filter "metrics.accuracy > 0.9 and params.n_estimators = '10'"` over a big
 * history: cold (no run summary cache), warm, and with the cache disabled (the reader as it was
 * before the cache), each in a FRESH process (as the CLI runs),
 * through the code path the CLI uses (openRepository → store.listRuns → parseRunFilter /
 * compileRunFilter → sortRuns), then through the real CLI (`node dist/cli.js`, wall clock),
 * and a breakdown of the steps. Prints Markdown tables.
 *
 *   npx tsx bench/tracking/runs-list-bench.ts [--runs 100000] [--commits 1000] [--samples 5]
 *   npx tsx bench/tracking/runs-list-bench.ts --runs 10000 --commits 100 --samples 3   (quick)
 *   npx tsx bench/tracking/runs-list-bench.ts --repo <dir>   (reuse a repo with ghml/runs; the
 *     incremental rows add runs to it and the cache under its git dir is deleted)
 *
 * Run `npm run build` first for the CLI rows (they are skipped when dist/cli.js is missing).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGit } from '../../src/git/git.js';
import { BranchReader } from '../../src/tracking/store/branch-reader.js';
import { openRepository } from '../../src/tracking/repository-context.js';
import { compileRunFilter, parseRunFilter } from '../../src/tracking/query/run-filter.js';
import { parseOrderBy, sortRuns } from '../../src/tracking/query/run-order.js';
import {
  parseRunCacheFile,
  parseRunFolderList,
  runCacheDir,
} from '../../src/tracking/store/run-summary-cache.js';
import {
  BENCH_ENV,
  benchMetrics,
  benchRecord,
  buildRunHistory,
  git,
  markdownTable,
  median,
  ms,
  newBenchRepo,
  numberArg,
  removeBenchDirs,
  stringArg,
  timed,
} from '../support/run-history.js';

const FILTER = "metrics.accuracy > 0.9 and params.n_estimators = '10'";
const SCRIPT = fileURLToPath(import.meta.url);
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** One listing as `ghml runs list --filter ... --max-results 10` does it; prints JSON timings. */
async function measureOnce(repo: string, useCache: boolean): Promise<void> {
  let listed = 0;
  let matched = 0;
  const total = await timed(async () => {
    const opened = await openRepository(repo);
    const filter = compileRunFilter(parseRunFilter(FILTER));
    const order = parseOrderBy([]);
    const listing = useCache
      ? opened.store.listRuns()
      : new BranchReader(opened.git, opened.store.refs, { cache: null }).listRuns();
    const runs = (await listing).map((run) => run.record);
    listed = runs.length;
    const found = runs.filter(filter);
    matched = found.length;
    sortRuns(found, order).slice(0, 10);
  });
  console.log(JSON.stringify({ total, listed, matched }));
}

interface Measure {
  total: number;
  listed: number;
  matched: number;
}

function measureInChild(repo: string, useCache = true): Measure {
  const mode = useCache ? '--measure' : '--measure-without-cache';
  const out = execFileSync(process.execPath, [...process.execArgv, SCRIPT, mode, repo], {
    env: BENCH_ENV,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as Measure;
}

function cliOnce(repo: string): { ms: number; lines: number } {
  const start = process.hrtime.bigint();
  const result = spawnSync(
    process.execPath,
    [CLI, 'runs', 'list', '--filter', FILTER, '--no-fetch', '--max-results', '10'],
    { cwd: repo, env: BENCH_ENV, encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`ghml runs list failed: ${result.stderr}`);
  return { ms: elapsed, lines: result.stdout.trim().split('\n').length };
}

async function steps(repo: string, cacheDir: string): Promise<string[][]> {
  const rows: string[][] = [];
  const g = await createGit(repo);
  const tip = await g.revParse('refs/heads/ghml/runs');
  let bytes = 0;
  const walk = await timed(async () => {
    bytes = (await g.execBuffer(['ls-tree', '-r', '-d', '-z', `${tip}:runs`])).length;
  });
  rows.push([
    'git ls-tree -r -d of runs/ (cold, or an experiment whose tree changed)',
    ms(walk),
    `${(bytes / 1e6).toFixed(1)} MB`,
  ]);
  const files = readdirSync(cacheDir);
  let folders = 0;
  const folderMs = await timed(async () => {
    for (const name of files.filter((f) => f.endsWith('.folders.json')))
      folders +=
        parseRunFolderList(readFileSync(join(cacheDir, name), 'utf8'))?.folders.length ?? 0;
  });
  rows.push([
    'load cached folder lists (replaces ls-tree when unchanged)',
    ms(folderMs),
    `${folders} runs`,
  ]);
  let cached = 0;
  let cacheBytes = 0;
  const loadMs = await timed(async () => {
    for (const name of files.filter((f) => f.endsWith('.jsonl'))) {
      const data = readFileSync(join(cacheDir, name));
      cacheBytes += data.length;
      cached += parseRunCacheFile(data).runs.size;
    }
  });
  rows.push([
    'load + decode the record cache',
    ms(loadMs),
    `${cached} records, ${(cacheBytes / 1e6).toFixed(1)} MB (${(cacheBytes / Math.max(1, cached)).toFixed(0)} B/run)`,
  ]);
  let blobBytes = 0;
  const catFile = await timed(async () => {
    const specs = execFileSync('git', ['ls-tree', '-r', '-z', '--name-only', `${tip}:runs`], {
      cwd: repo,
      maxBuffer: 1 << 30,
    })
      .toString('utf8')
      .split('\0')
      .filter((p) => p.endsWith('/run.json'))
      .map((p) => `${tip}:runs/${p}`)
      .join('\n');
    blobBytes = execFileSync('git', ['cat-file', '--batch'], {
      cwd: repo,
      input: `${specs}\n`,
      maxBuffer: 1 << 30,
    }).length;
  });
  rows.push([
    'git cat-file --batch of every run.json (what a cold listing reads)',
    ms(catFile),
    `${(blobBytes / 1e6).toFixed(1)} MB`,
  ]);
  return rows;
}

async function main(): Promise<void> {
  const runs = numberArg('runs', 100_000);
  const commits = numberArg('commits', 1000);
  const samples = numberArg('samples', 5);
  const t0 = Date.now();
  let repo = stringArg('repo');
  if (repo === undefined) {
    repo = newBenchRepo();
    const built = await timed(() => buildRunHistory(repo as string, { runs, commits }));
    process.stderr.write(`built ${runs} runs in ${commits} commits in ${ms(built)}\n`);
  }
  const cacheDir = runCacheDir(git(repo, 'rev-parse', '--absolute-git-dir'));
  const dropCache = (): void => rmSync(cacheDir, { recursive: true, force: true });

  const rows: string[][] = [];
  const row = (what: string, values: number[], target: number | undefined, note = ''): void => {
    const mid = median(values);
    rows.push([
      what,
      ms(mid),
      ms(Math.min(...values)),
      target === undefined ? '-' : `< ${ms(target)}`,
      target === undefined ? '-' : mid < target ? 'ok' : 'over',
      note,
    ]);
  };

  const cold: Measure[] = [];
  for (let i = 0; i < samples; i++) {
    dropCache();
    cold.push(measureInChild(repo));
  }
  const listed = cold[0]?.listed ?? 0;
  const uncached: number[] = [];
  for (let i = 0; i < samples; i++) uncached.push(measureInChild(repo, false).total);
  row(
    `list + filter + sort over ${listed} runs, cache disabled (the reader before the cache)`,
    uncached,
    undefined,
  );
  row(
    `list + filter + sort over ${listed} runs, cold (no cache)`,
    cold.map((m) => m.total),
    undefined,
    `${cold[0]?.matched ?? 0} match`,
  );
  const warm: Measure[] = [];
  for (let i = 0; i < samples; i++) warm.push(measureInChild(repo));
  row(
    `list + filter + sort over ${listed} runs, warm`,
    warm.map((m) => m.total),
    2000,
  );

  // One new run: its experiment's tree changed, so that one is walked and one record read.
  const g = await createGit(repo);
  const opened = await openRepository(repo);
  const head = await g.headCommit();
  const incremental: number[] = [];
  for (let i = 0; i < samples; i++) {
    await opened.store.writeRun({
      record: benchRecord(head, 'exp1'),
      metricsJsonl: Buffer.from(benchMetrics()),
      artifacts: [],
    });
    incremental.push(measureInChild(repo).total);
  }
  row(`same, warm, after one new run (1 experiment walked, 1 record read)`, incremental, 2000);

  if (existsSync(CLI)) {
    dropCache();
    const cliCold = [cliOnce(repo).ms];
    const cliWarm: number[] = [];
    for (let i = 0; i < samples; i++) cliWarm.push(cliOnce(repo).ms);
    row(
      '`node dist/cli.js runs list --filter ... --no-fetch --max-results 10`, cold',
      cliCold,
      undefined,
      'wall clock, 1 sample',
    );
    row(
      '`node dist/cli.js runs list --filter ... --no-fetch --max-results 10`, warm',
      cliWarm,
      2000,
      'wall clock',
    );
  } else {
    process.stderr.write('dist/cli.js not found: run `npm run build` for the CLI rows\n');
  }

  console.log(
    `\n${markdownTable(['measure', 'median', 'min', 'target', 'verdict', 'note'], rows)}`,
  );
  console.log(
    `\n${markdownTable(['step (in this process)', 'time', 'size'], await steps(repo, cacheDir))}`,
  );
  console.log(
    `\nruns=${listed} commits=${commits} samples=${samples}; git ${git(repo, 'version').replace('git version ', '')}; node ${process.version}; total ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
}

const measureAt = process.argv.findIndex((a) => a.startsWith('--measure'));
if (measureAt >= 0) {
  const useCache = process.argv[measureAt] === '--measure';
  measureOnce(process.argv[measureAt + 1] as string, useCache).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
} else {
  main()
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(removeBenchDirs);
}
