/**
 * Many writers at once, as an Actions matrix: W depth-1 clones of one bare remote that holds
 * N runs, each running `ghml run -- true` at the same moment. Reports how many runs landed
 * (on the branch or in its inbox), how many twice, the wall time until the last writer exited,
 * and whether `git fsck` stays clean; then folds the rest and checks the branch holds every run
 * once. Format 1 runs with the last release's CLI (`--baseline-cli`), which has a 120 s push
 * budget and exits 0 when it runs out.
 *
 *   npx tsx bench/tracking/contention-bench.ts --runs 100000 --writers 32 \
 *     --baseline-cli /tmp/ghml-format1/dist/cli.js
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BENCH_ENV,
  benchDir,
  git,
  markdownTable,
  ms,
  newBenchRepo,
  numberArg,
  removeBenchDirs,
  stringArg,
} from '../support/run-history.js';
import { buildTrackingHistory } from '../support/tracking-history.js';

const RUNS = numberArg('runs', 100_000);
const WRITERS = numberArg('writers', 32);
const NEW_CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const BASELINE_CLI = stringArg('baseline-cli');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runGhml(cli: string, cwd: string, start: bigint): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'run', '--', 'true'], {
      cwd,
      env: { ...BENCH_ENV, CI: '', GITHUB_ACTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) =>
      resolve({ code, stdout, stderr, ms: Number(process.hrtime.bigint() - start) / 1e6 }),
    );
  });
}

function branchRuns(origin: string): string[] {
  return git(origin, 'ls-tree', '-r', '-d', '--name-only', 'ghml/runs', 'runs')
    .split('\n')
    .filter((p) => p.split('/').length === 5)
    .map((p) => p.split('/')[4] as string);
}

async function measure(cli: string, format: 1 | 2): Promise<string[]> {
  const work = newBenchRepo();
  await buildTrackingHistory(work, { format, runs: RUNS });
  const origin = join(benchDir(), 'origin.git');
  git(work, 'clone', '-q', '--bare', work, origin);
  git(origin, 'config', 'uploadpack.allowFilter', 'true');
  const before = new Set(branchRuns(origin));
  const clones = Array.from({ length: WRITERS }, (_, i) => {
    const dir = join(benchDir(), `job-${i}`);
    git(work, 'clone', '-q', '--depth', '1', `file://${origin}`, dir);
    return dir;
  });
  const start = process.hrtime.bigint();
  const outcomes = await Promise.all(clones.map((dir) => runGhml(cli, dir, start)));
  const wall = Math.max(...outcomes.map((o) => o.ms));
  const written = outcomes.map((o) => o.stdout.trim().split('\n').pop() ?? '');
  const inbox = git(
    origin,
    'for-each-ref',
    '--format=%(refname:lstrip=5)',
    'refs/ghml/inbox/ghml/runs',
  )
    .split('\n')
    .filter((id) => id.length > 0);
  const landed = [...branchRuns(origin).filter((id) => !before.has(id)), ...inbox];
  const landedSet = new Set(landed);
  const landedMine = written.filter((id) => landedSet.has(id)).length;
  const twice = landed.length - landedSet.size;
  const fsck = git(origin, 'fsck', '--strict', '--no-dangling') === '' ? 'clean' : 'NOT clean';
  const failedExit = outcomes.filter((o) => o.code !== 0).length;
  const budgetHit = outcomes.filter((o) => /did not succeed within/.test(o.stderr)).length;
  let folded = '–';
  if (format === 2) {
    const reader = join(benchDir(), 'reader');
    git(work, 'clone', '-q', '--depth', '1', `file://${origin}`, reader);
    const fold = spawn(process.execPath, [cli, 'push'], { cwd: reader, env: BENCH_ENV });
    await new Promise((r) => fold.on('close', r));
    const after = new Set(branchRuns(origin));
    folded = `${written.filter((id) => after.has(id)).length}/${WRITERS} on the branch after one \`ghml push\``;
  }
  removeBenchDirs();
  return [
    `format ${format}`,
    `${landedMine}/${WRITERS}`,
    String(twice),
    ms(wall),
    `${failedExit} (${budgetHit} hit the push budget)`,
    fsck,
    folded,
  ];
}

const rows: string[][] = [];
if (BASELINE_CLI) rows.push(await measure(BASELINE_CLI, 1));
rows.push(await measure(NEW_CLI, 2));
console.log(
  `${WRITERS} concurrent \`ghml run -- true\`, each in its own depth-1 clone, one remote holding ${RUNS.toLocaleString('en')} runs\n`,
);
console.log(
  markdownTable(
    [
      'version',
      'landed',
      'twice',
      'wall time, last writer',
      'writers exiting non-zero',
      'git fsck',
      'after a fold',
    ],
    rows,
  ),
);
