/**
 * Tracking-branch benchmarks: write cost against history size, the checkout+commit baseline,
 * runs-at-commit, listRuns, and packed storage per run. Prints a Markdown table.
 *
 *   npx tsx bench/tracking/tracking-bench.ts [--runs 100000] [--commits 1000] [--samples 15]
 *
 * Quick mode: --runs 10000 --commits 100. The big history is built with ONE git fast-import
 * stream (runs spread over --commits commits), not with writeRun.
 */
import { mkdirSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGit } from '../../src/git/git.js';
import { formatRunRecord } from '../../src/tracking/run-record-json.js';
import { runPath } from '../../src/tracking/store/run-path.js';
import { openTrackingStore, type TrackingStore } from '../../src/tracking/store/tracking-store.js';
import {
  benchDir,
  benchMetrics as metrics,
  benchRecord as record,
  buildRunHistory,
  git,
  median,
  newBenchRepo as newRepo,
  numberArg as arg,
  removeBenchDirs,
  timed,
} from '../support/run-history.js';

const RUNS = arg('runs', 100_000);
const COMMITS = arg('commits', 1000);
const SAMPLES = arg('samples', 15);

/** Builds a tracking branch of `runs` runs in `commits` commits with one fast-import stream. */
async function buildHistory(repo: string, runs: number, commits: number): Promise<void> {
  await buildRunHistory(repo, { runs, commits });
}

async function writeCost(store: TrackingStore, commit: string, samples: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const r = record(commit, 'exp0');
    times.push(
      await timed(() =>
        store.writeRun({ record: r, metricsJsonl: Buffer.from(metrics()), artifacts: [] }),
      ),
    );
  }
  return median(times);
}

function packBytes(repo: string): number {
  const packDir = join(repo, '.git', 'objects', 'pack');
  return readdirSync(packDir)
    .filter((f) => f.endsWith('.pack'))
    .reduce((sum, f) => sum + statSync(join(packDir, f)).size, 0);
}

async function openStore(repo: string): Promise<{ store: TrackingStore; head: string }> {
  const g = await createGit(repo);
  return {
    store: openTrackingStore(g, { branch: 'ghml/runs', remote: 'origin', pushTimeoutMs: 1000 }),
    head: await g.headCommit(),
  };
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  const add = (what: string, value: string, target: string, verdict: string): void => {
    rows.push([what, value, target, verdict]);
  };
  const t0 = Date.now();

  const small = newRepo();
  await buildHistory(small, 100, 10);
  const big = newRepo();
  const buildMs = await timed(() => buildHistory(big, RUNS, COMMITS));
  process.stderr.write(
    `built ${RUNS} runs in ${COMMITS} commits in ${(buildMs / 1000).toFixed(1)} s\n`,
  );

  const s = await openStore(small);
  const b = await openStore(big);
  await writeCost(s.store, s.head, 3); // warm up
  const smallWrite = await writeCost(s.store, s.head, SAMPLES);
  const bigWrite = await writeCost(b.store, b.head, SAMPLES);
  const ratio = bigWrite / smallWrite;
  add(
    'write one run, 100 runs of history (median)',
    `${smallWrite.toFixed(1)} ms`,
    '< 50 ms',
    smallWrite < 50 ? 'ok' : 'over',
  );
  add(
    `write one run, ${RUNS} runs of history (median)`,
    `${bigWrite.toFixed(1)} ms`,
    '< 50 ms',
    bigWrite < 50 ? 'ok' : 'over',
  );
  add(
    `write cost ratio ${RUNS} / 100`,
    `${ratio.toFixed(2)}x`,
    '<= 1.5x',
    ratio <= 1.5 ? 'ok' : 'over',
  );

  // Baseline: what github-action-benchmark does (check the branch out, write, add, commit).
  const worktree = join(benchDir(), 'wt');
  const baseline = await timed(async () => {
    git(big, 'worktree', 'add', '-q', worktree, 'ghml/runs');
    const r = record(b.head, 'exp0');
    const dir = join(worktree, runPath('exp0', b.head, r.id));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'run.json'), formatRunRecord(r));
    writeFileSync(join(dir, 'metrics.jsonl'), metrics());
    git(worktree, 'add', '-A');
    git(worktree, 'commit', '-q', '-m', 'baseline run');
  });
  git(big, 'worktree', 'remove', '--force', worktree);
  const speedup = baseline / bigWrite;
  add(
    `baseline checkout+add+commit at ${RUNS} runs`,
    `${(baseline / 1000).toFixed(2)} s`,
    '-',
    '-',
  );
  add(
    'ghml speed-up over the baseline',
    `${speedup.toFixed(0)}x`,
    '>= 100x',
    speedup >= 100 ? 'ok' : 'under',
  );

  const someCommit = git(big, 'ls-tree', '--name-only', 'ghml/runs', 'runs/exp1/').split(
    '\n',
  )[0] as string;
  const firstHead = git(big, 'ls-tree', '--name-only', 'ghml/runs', `${someCommit}/`).split(
    '\n',
  )[0] as string;
  const sha = firstHead.split('/').slice(2, 4).join('');
  const atCommit: number[] = [];
  let found = 0;
  for (let i = 0; i < SAMPLES; i++)
    atCommit.push(await timed(async () => (found = (await b.store.runsAtCommit(sha)).length)));
  add(
    `runs at commit C at ${RUNS} runs (median, ${found} found)`,
    `${median(atCommit).toFixed(1)} ms`,
    '< 100 ms',
    median(atCommit) < 100 ? 'ok' : 'over',
  );

  // The summary cache is empty here, so this is the cold listing; see runs-list-bench.ts
  // for cold/warm figures in fresh processes and through the CLI.
  let listed = 0;
  const list = await timed(async () => (listed = (await b.store.listRuns()).length));
  add(`listRuns over ${listed} runs, cold (no cache)`, `${(list / 1000).toFixed(2)} s`, '-', '-');
  const warm = await timed(async () => (listed = (await b.store.listRuns()).length));
  add(
    `listRuns over ${listed} runs, warm (same process)`,
    `${(warm / 1000).toFixed(2)} s`,
    '< 2 s',
    warm < 2000 ? 'ok' : 'over',
  );
  const one = await timed(
    async () => (listed = (await b.store.listRuns({ experiment: 'exp2' })).length),
  );
  add(
    `listRuns of one experiment, warm (${listed} runs)`,
    `${(one / 1000).toFixed(2)} s`,
    '-',
    '-',
  );

  git(big, 'repack', '-adfq');
  const before = packBytes(big);
  const extra = 100;
  for (let i = 0; i < extra; i++) {
    const r = record(b.head, 'exp0');
    await b.store.writeRun({ record: r, metricsJsonl: Buffer.from(metrics()), artifacts: [] });
  }
  git(big, 'repack', '-adfq');
  const after = packBytes(big);
  const growth = (after - before) / extra;
  add(
    `packed size at ${RUNS + SAMPLES} runs (repack -adf)`,
    `${(before / 1e6).toFixed(1)} MB (${(before / RUNS / 1024).toFixed(2)} KB/run)`,
    '-',
    '-',
  );
  add(
    `packed growth per run (${extra} more runs, one commit each)`,
    `${(growth / 1024).toFixed(2)} KB`,
    '<= 5 KB',
    growth <= 5 * 1024 ? 'ok' : 'over',
  );

  console.log(`\n| measure | value | target | verdict |\n| --- | --- | --- | --- |`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(
    `\nruns=${RUNS} commits=${COMMITS} samples=${SAMPLES}; git ${git(small, 'version').replace('git version ', '')}; node ${process.version}; total ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
}

if (process.argv.includes('--build-only')) {
  const dir = process.argv[process.argv.indexOf('--build-only') + 1] as string;
  void buildHistory(dir, RUNS, COMMITS);
} else
  main()
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(removeBenchDirs);
