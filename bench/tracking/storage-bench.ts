/**
 * Tracking-branch format 2 against format 1, whole processes, one commit per run:
 * - `ghml run -- true` with no remote, at 100 and at N runs of history;
 * - `ghml run -- true` pushing to a bare remote that holds the history (the push includes the
 *   receiving side's connectivity check), at 100 and at N runs;
 * - the packed size per run and the packed growth of 200 runs written by `ghml run`, after the
 *   routine `git repack -ad` a server runs (deltas reused, new objects deltified).
 * Format 1 is run with the last release's own CLI (`--baseline-cli`, e.g. dist/cli.js of the
 * commit before format 2), format 2 with this checkout's dist/cli.js, on histories of the
 * same runs shaped by each format.
 *
 *   npx tsx bench/tracking/storage-bench.ts --runs 100000 --samples 9 \
 *     --baseline-cli /tmp/ghml-format1/dist/cli.js
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BENCH_ENV,
  benchDir,
  git,
  markdownTable,
  median,
  ms,
  newBenchRepo,
  numberArg,
  removeBenchDirs,
  stringArg,
} from '../support/run-history.js';
import { buildTrackingHistory } from '../support/tracking-history.js';

const RUNS = numberArg('runs', 100_000);
const SAMPLES = numberArg('samples', 9);
const GROWTH_RUNS = numberArg('growth-runs', 200);
const NEW_CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const BASELINE_CLI = stringArg('baseline-cli');

interface Setup {
  /** A repository with the history and no remote. */
  local: string;
  /** A bare remote with the history, and a full clone of it that pushes. */
  origin: string;
  laptop: string;
}

async function setup(format: 1 | 2, runs: number): Promise<Setup> {
  const local = newBenchRepo();
  await buildTrackingHistory(local, { format, runs });
  const origin = join(benchDir(), 'origin.git');
  git(local, 'clone', '-q', '--bare', local, origin);
  git(origin, 'config', 'uploadpack.allowFilter', 'true');
  const laptop = join(benchDir(), 'laptop');
  git(local, 'clone', '-q', `file://${origin}`, laptop);
  git(laptop, 'fetch', '-q', 'origin', 'ghml/runs:ghml/runs');
  return { local, origin, laptop };
}

function run(cli: string, cwd: string, args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [cli, ...args], {
    cwd,
    env: { ...BENCH_ENV, CI: '', GITHUB_ACTIONS: '' },
    encoding: 'utf8',
  });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${cli} ${args.join(' ')}: ${result.stderr}`);
  return elapsed;
}

function samples(n: number, fn: () => number): number {
  fn(); // warm the file cache
  return median(Array.from({ length: n }, fn));
}

function packBytes(gitDir: string): number {
  const dir = join(gitDir, 'objects', 'pack');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pack'))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

interface Row {
  noRemote: number;
  push: number;
}

async function measure(cli: string, format: 1 | 2, runs: number): Promise<Row & { setup: Setup }> {
  const s = await setup(format, runs);
  const noRemote = samples(SAMPLES, () => run(cli, s.local, ['run', '--', 'true']));
  const push = samples(SAMPLES, () => run(cli, s.laptop, ['run', '--', 'true']));
  return { noRemote, push, setup: s };
}

function growth(cli: string, s: Setup, runs: number): { perRun: number; growth: number } {
  git(s.origin, 'repack', '-adq');
  const before = packBytes(s.origin);
  for (let i = 0; i < GROWTH_RUNS; i++) run(cli, s.laptop, ['run', '--', 'true']);
  git(s.origin, 'repack', '-adq');
  const after = packBytes(s.origin);
  return { perRun: before / runs, growth: (after - before) / GROWTH_RUNS };
}

async function main(): Promise<void> {
  const versions: Array<{ name: string; cli: string; format: 1 | 2 }> = [
    { name: 'format 2 (this ghml)', cli: NEW_CLI, format: 2 },
  ];
  if (BASELINE_CLI) versions.unshift({ name: 'format 1 (ghml 0.1)', cli: BASELINE_CLI, format: 1 });
  const rows: string[][] = [];
  const storage: string[][] = [];
  for (const version of versions) {
    const small = await measure(version.cli, version.format, 100);
    const big = await measure(version.cli, version.format, RUNS);
    rows.push(
      [
        version.name,
        '`ghml run -- true`, no remote',
        ms(small.noRemote),
        ms(big.noRemote),
        `${(big.noRemote / small.noRemote).toFixed(2)}×`,
      ],
      [
        version.name,
        '`ghml run -- true`, pushing to a bare remote',
        ms(small.push),
        ms(big.push),
        `${(big.push / small.push).toFixed(2)}×`,
      ],
    );
    const g = growth(version.cli, big.setup, RUNS);
    storage.push([
      version.name,
      `${(g.perRun / 1024).toFixed(2)} KB`,
      `${(g.growth / 1024).toFixed(2)} KB`,
    ]);
    removeBenchDirs();
  }
  const tip = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  console.log(`storage bench at ${tip}: ${RUNS} runs, one commit per run, median of ${SAMPLES}\n`);
  console.log(
    markdownTable(
      ['version', 'measure', '100 runs', `${RUNS.toLocaleString('en')} runs`, 'ratio'],
      rows,
    ),
  );
  console.log('');
  console.log(
    markdownTable(
      [
        'version',
        `packed size per run at ${RUNS.toLocaleString('en')}`,
        `packed growth per run (${GROWTH_RUNS} runs by ghml run)`,
      ],
      storage,
    ),
  );
}

await main();
