/**
 * Appending one benchmark result to history kept in git, the job github-action-benchmark does
 * on its gh-pages branch: here `ghml run` records a run logging three metrics and pushes it to
 * a bare remote holding 5,000 and 50,000 earlier runs (one commit each), in a laptop clone and
 * in a fresh depth-1 CI clone. The action itself is not run here: its figures are quoted from
 * the review that built it from source and ran it on this machine on the same logged content
 * (0.56–0.59 s at 5,000 entries, 3.5–3.6 s at 50,000).
 *
 *   npx tsx bench/tracking/append-bench.ts --samples 7
 */
import { spawnSync } from 'node:child_process';
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
} from '../support/run-history.js';
import { buildTrackingHistory } from '../support/tracking-history.js';

const SAMPLES = numberArg('samples', 7);
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
/** github-action-benchmark's append, as measured in the review (seconds, low–high). */
const ACTION: Record<number, [number, number]> = { 5000: [0.56, 0.59], 50_000: [3.5, 3.6] };

function append(cwd: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(
    process.execPath,
    [
      CLI,
      'run',
      '--stdout-metrics',
      '--',
      'sh',
      '-c',
      'echo "ops_per_sec=1234.5 p50_ms=4.2 p99_ms=9.8"',
    ],
    { cwd, env: { ...BENCH_ENV, CI: '', GITHUB_ACTIONS: '' }, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(result.stderr);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const rows: string[][] = [];
for (const size of [5000, 50_000]) {
  const work = newBenchRepo();
  await buildTrackingHistory(work, { format: 2, runs: size });
  const origin = join(benchDir(), 'origin.git');
  git(work, 'clone', '-q', '--bare', work, origin);
  git(origin, 'config', 'uploadpack.allowFilter', 'true');
  const laptop = join(benchDir(), 'laptop');
  git(work, 'clone', '-q', `file://${origin}`, laptop);
  append(laptop);
  const warm = median(Array.from({ length: SAMPLES }, () => append(laptop)));
  const fresh = median(
    Array.from({ length: SAMPLES }, (_, i) => {
      const ci = join(benchDir(), `ci-${i}`);
      git(work, 'clone', '-q', '--depth', '1', `file://${origin}`, ci);
      return append(ci);
    }),
  );
  const [low, high] = ACTION[size] as [number, number];
  rows.push([
    size.toLocaleString('en'),
    `${low}–${high} s`,
    ms(warm),
    `${(low / (warm / 1000)).toFixed(1)}–${(high / (warm / 1000)).toFixed(1)}×`,
    ms(fresh),
    `${(low / (fresh / 1000)).toFixed(1)}–${(high / (fresh / 1000)).toFixed(1)}×`,
  ]);
  removeBenchDirs();
}
console.log(`append one result and push it, median of ${SAMPLES}\n`);
console.log(
  markdownTable(
    [
      'earlier entries',
      'github-action-benchmark (quoted)',
      '`ghml run`, laptop clone',
      'ghml faster by',
      '`ghml run`, fresh depth-1 CI clone',
      'ghml faster by',
    ],
    rows,
  ),
);
