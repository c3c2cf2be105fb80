/**
 * The first read in a fresh CI clone (`actions/checkout` depth 1, no local cache): the whole
 * `ghml runs list --filter … --json` process and `ghml compare --format json`, with the bytes
 * the clone fetched for them, on a remote holding N runs (one commit per run). Format 1 runs
 * with the last release's CLI (`--baseline-cli`).
 *
 *   npx tsx bench/tracking/cold-read-bench.ts --runs 100000 --samples 3 \
 *     --baseline-cli /tmp/ghml-format1/dist/cli.js
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BENCH_ENV,
  benchDir,
  commitBenchFile,
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
const SAMPLES = numberArg('samples', 3);
const NEW_CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const BASELINE_CLI = stringArg('baseline-cli');
const FILTER = "metrics.accuracy > 0.9 and params.n_estimators = '10'";

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

function timedRun(cli: string, cwd: string, args: string[]): { ms: number; stdout: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [cli, ...args], {
    cwd,
    env: { ...BENCH_ENV, CI: '', GITHUB_ACTIONS: '' },
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')}: ${result.stderr}`);
  return { ms: elapsed, stdout: result.stdout };
}

/** Each sample in its own fresh depth-1 clone: [time, MB fetched]. */
function cold(
  cli: string,
  origin: string,
  head: string,
  args: string[],
): { ms: number; mb: number; out: string } {
  const times: number[] = [];
  const bytes: number[] = [];
  let out = '';
  for (let i = 0; i < SAMPLES; i++) {
    const dir = join(benchDir(), `ci-${i}`);
    git(origin, 'clone', '-q', '--depth', '1', '--branch', 'main', `file://${origin}`, dir);
    git(dir, 'checkout', '-q', head);
    const before = dirBytes(join(dir, '.git', 'objects'));
    const result = timedRun(cli, dir, args);
    times.push(result.ms);
    bytes.push(dirBytes(join(dir, '.git', 'objects')) - before);
    out = result.stdout;
  }
  return { ms: median(times), mb: median(bytes) / 1e6, out };
}

async function measure(cli: string, format: 1 | 2): Promise<string[][]> {
  const source = newBenchRepo();
  const base = git(source, 'rev-parse', 'HEAD');
  const head = commitBenchFile(source, 'train.py', 'print(2)\n');
  await buildTrackingHistory(source, {
    format,
    runs: RUNS,
    extra: [
      { commit: base, experiment: 'exp0' },
      { commit: head, experiment: 'exp0' },
    ],
  });
  const origin = join(benchDir(), 'origin.git');
  git(source, 'clone', '-q', '--bare', source, origin);
  git(origin, 'config', 'uploadpack.allowFilter', 'true');
  const list = cold(cli, origin, head, ['runs', 'list', '--filter', FILTER, '--json']);
  const count = (JSON.parse(list.out) as unknown[]).length;
  const compare = cold(cli, origin, head, ['compare', '--base', base, '--format', 'json']);
  removeBenchDirs();
  return [
    [
      `format ${format}`,
      `\`runs list --filter … --json\` (${count} runs match)`,
      ms(list.ms),
      `${list.mb.toFixed(1)} MB`,
    ],
    [`format ${format}`, '`compare --format json`', ms(compare.ms), `${compare.mb.toFixed(1)} MB`],
  ];
}

const rows: string[][] = [];
if (BASELINE_CLI) rows.push(...(await measure(BASELINE_CLI, 1)));
rows.push(...(await measure(NEW_CLI, 2)));
console.log(
  `first read in a fresh depth-1 clone, ${RUNS.toLocaleString('en')} runs, median of ${SAMPLES} fresh clones\n`,
);
console.log(markdownTable(['version', 'command (whole process)', 'time', 'fetched'], rows));
