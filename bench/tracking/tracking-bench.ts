/**
 * Tracking-branch benchmarks in process: the write cost against history size, runs at a
 * commit, and listing, on format-2 histories of one commit per run. Prints a Markdown table.
 * Whole-process figures, pushes and storage are in storage-bench.ts.
 *
 *   npx tsx bench/tracking/tracking-bench.ts [--runs 100000] [--samples 15]
 */
import { createGit } from '../../src/git/git.js';
import { openTrackingStore, type TrackingStore } from '../../src/tracking/store/tracking-store.js';
import {
  benchMetrics as metrics,
  benchRecord as record,
  git,
  median,
  newBenchRepo as newRepo,
  numberArg as arg,
  removeBenchDirs,
  timed,
} from '../support/run-history.js';
import { buildTrackingHistory } from '../support/tracking-history.js';

const RUNS = arg('runs', 100_000);
const SAMPLES = arg('samples', 15);

/** A format-2 tracking branch of `runs` runs, one commit each. */
async function buildHistory(repo: string, runs: number): Promise<void> {
  await buildTrackingHistory(repo, { format: 2, runs });
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
  await buildHistory(small, 100);
  const big = newRepo();
  const buildMs = await timed(() => buildHistory(big, RUNS));
  process.stderr.write(
    `built ${RUNS} runs, one commit each, in ${(buildMs / 1000).toFixed(1)} s\n`,
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

  // A commit whose runs were sealed long ago: the lookup goes through segments.
  const sha = (await b.store.listRuns({ experiment: 'exp1' }))[0]?.commit as string;
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

  // A fresh store: nothing decoded yet in this process (see cold-read-bench.ts for a fresh
  // CI clone, through the CLI).
  let listed = 0;
  const list = await timed(async () => (listed = (await b.store.listRuns()).length));
  add(
    `listRuns over ${listed} runs, first in the process`,
    `${(list / 1000).toFixed(2)} s`,
    '-',
    '-',
  );
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

  console.log(`\n| measure | value | target | verdict |\n| --- | --- | --- | --- |`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(
    `\nruns=${RUNS} samples=${SAMPLES}; git ${git(small, 'version').replace('git version ', '')}; node ${process.version}; total ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
}

if (process.argv.includes('--build-only')) {
  const dir = process.argv[process.argv.indexOf('--build-only') + 1] as string;
  void buildHistory(dir, RUNS);
} else
  main()
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(removeBenchDirs);
