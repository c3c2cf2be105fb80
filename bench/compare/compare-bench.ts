/**
 * `ghml compare` at 100 and at 100,000 runs of tracking history: the cost must not grow with
 * history (ratio <= 1.5x) and stay under 1 s at 100,000 runs. `main` has two real commits,
 * base and head, each with a run of exp0; every other run is at a synthetic sha. Measured
 * in-process through `compareInRepository` (what the CLI and the action call; baseline found
 * by walking first parents from head) and through the real CLI (`node dist/cli.js compare
 * --no-fetch --format json`, wall clock). Prints a Markdown table.
 *
 *   npx tsx bench/compare/compare-bench.ts [--runs 100000] [--samples 9]
 *   npx tsx bench/compare/compare-bench.ts --runs 10000 --samples 5   (quick)
 *
 * Run `npm run build` first for the CLI rows (they are skipped when dist/cli.js is missing).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareInRepository } from '../../src/compare/compare-in-repository.js';
import { openRepository } from '../../src/tracking/repository-context.js';
import {
  BENCH_ENV,
  git,
  markdownTable,
  median,
  ms,
  newBenchRepo,
  numberArg,
  removeBenchDirs,
  timed,
} from '../support/run-history.js';
import { buildTrackingHistory } from '../support/tracking-history.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

interface Setup {
  repo: string;
  base: string;
  head: string;
}

/** A repository whose main is initial → base → head, with `runs` runs of history + 2. */
async function setup(runs: number): Promise<Setup> {
  const repo = newBenchRepo();
  const commitFile = (name: string): string => {
    writeFileSync(join(repo, name), `${name}\n`);
    git(repo, 'add', name);
    git(repo, 'commit', '-q', '-m', name);
    return git(repo, 'rev-parse', 'HEAD');
  };
  const base = commitFile('base.txt');
  const head = commitFile('head.txt');
  await buildTrackingHistory(repo, {
    format: 2,
    runs,
    extra: [
      { commit: base, experiment: 'exp0' },
      { commit: head, experiment: 'exp0' },
    ],
  });
  return { repo, base, head };
}

/** Median in-process compare time; checks the baseline really is `base`. */
async function inProcess(s: Setup, samples: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples + 1; i++) {
    let baseCommit: string | null = null;
    const t = await timed(async () => {
      const repo = await openRepository(s.repo);
      baseCommit = (await compareInRepository(repo, { head: s.head })).baseCommit;
    });
    if (baseCommit !== s.base) throw new Error(`compare found base ${String(baseCommit)}`);
    if (i > 0) times.push(t); // the first one warms up the JIT
  }
  return median(times);
}

function cli(s: Setup, samples: number): number {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(
      process.execPath,
      [CLI, 'compare', '--no-fetch', '--format', 'json', '--head', s.head],
      { cwd: s.repo, env: BENCH_ENV, encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.status !== 0) throw new Error(`ghml compare failed: ${result.stderr}`);
    const report = JSON.parse(result.stdout) as { baseCommit?: string | null };
    if (report.baseCommit !== undefined && report.baseCommit !== s.base)
      throw new Error(`ghml compare found base ${String(report.baseCommit)}`);
  }
  return median(times);
}

async function main(): Promise<void> {
  const runs = numberArg('runs', 100_000);
  const samples = numberArg('samples', 9);
  const t0 = Date.now();
  const small = await setup(100);
  let big: Setup | undefined;
  const built = await timed(async () => (big = await setup(runs)));
  process.stderr.write(`built ${runs} runs, one commit each, in ${ms(built)}\n`);
  if (!big) throw new Error('no history built');

  const rows: string[][] = [];
  const add = (what: string, value: string, target: string, ok: boolean | undefined): void => {
    rows.push([what, value, target, ok === undefined ? '-' : ok ? 'ok' : 'over']);
  };
  const smallMs = await inProcess(small, samples);
  const bigMs = await inProcess(big, samples);
  add('compareInRepository, 100 runs of history (median)', ms(smallMs), '-', undefined);
  add(`compareInRepository, ${runs} runs of history (median)`, ms(bigMs), '< 1 s', bigMs < 1000);
  add(`ratio ${runs} / 100`, `${(bigMs / smallMs).toFixed(2)}x`, '<= 1.5x', bigMs / smallMs <= 1.5);
  if (existsSync(CLI)) {
    const smallCli = cli(small, samples);
    const bigCli = cli(big, samples);
    add(
      '`node dist/cli.js compare --no-fetch --format json`, 100 runs (wall)',
      ms(smallCli),
      '-',
      undefined,
    );
    add(`same, ${runs} runs (wall)`, ms(bigCli), '< 1 s', bigCli < 1000);
    add(
      `CLI ratio ${runs} / 100`,
      `${(bigCli / smallCli).toFixed(2)}x`,
      '<= 1.5x',
      bigCli / smallCli <= 1.5,
    );
  } else {
    process.stderr.write('dist/cli.js not found: run `npm run build` for the CLI rows\n');
  }
  console.log(`\n${markdownTable(['measure', 'value', 'target', 'verdict'], rows)}`);
  console.log(
    `\nruns=${runs} samples=${samples}; git ${git(small.repo, 'version').replace('git version ', '')}; node ${process.version}; total ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(removeBenchDirs);
