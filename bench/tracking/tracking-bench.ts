/**
 * Tracking-branch benchmarks: write cost against history size, the checkout+commit baseline,
 * runs-at-commit, listRuns, and packed storage per run. Prints a Markdown table.
 *
 *   npx tsx bench/tracking/tracking-bench.ts [--runs 100000] [--commits 1000] [--samples 15]
 *
 * Quick mode: --runs 10000 --commits 100. The big history is built with ONE git fast-import
 * stream (runs spread over --commits commits), not with writeRun.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monotonicFactory } from 'ulid';
import { createGit } from '../../src/git/git.js';
import type { RunRecord } from '../../src/tracking/run-record.js';
import { formatMetricLines, formatRunRecord } from '../../src/tracking/run-record-json.js';
import { runPath } from '../../src/tracking/run-path.js';
import { openTrackingStore, type TrackingStore } from '../../src/tracking/tracking-store.js';

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const RUNS = arg('runs', 100_000);
const COMMITS = arg('commits', 1000);
const SAMPLES = arg('samples', 15);
const nextId = monotonicFactory();
const dirs: string[] = [];

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: ENV, encoding: 'utf8', maxBuffer: 1 << 30 }).trim();
}

function hex(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}

function record(commit: string, experiment: string): RunRecord {
  const acc = Math.random();
  return {
    format: 1,
    id: nextId(),
    experiment,
    name: null,
    status: 'FINISHED',
    startTime: Date.now(),
    endTime: Date.now() + 60_000,
    exitCode: 0,
    source: { commit, branch: 'main', dirty: false },
    github: {
      repository: 'acme/iris',
      serverUrl: 'https://github.com',
      workflow: 'train',
      runId: String(Math.floor(Math.random() * 1e10)),
      runAttempt: '1',
      job: 'train',
      matrix: { seed: String(Math.floor(Math.random() * 10)) },
    },
    params: {
      lr: String(Math.random()),
      model: 'rf',
      depth: String(Math.floor(Math.random() * 10)),
    },
    tags: {},
    metrics: {
      accuracy: { value: acc, step: 9, timestamp: Date.now(), min: acc / 2, max: acc, count: 10 },
      loss: { value: 1 - acc, step: 9, timestamp: Date.now(), min: 1 - acc, max: 1, count: 10 },
    },
    artifacts: [],
  };
}

function metrics(): string {
  return formatMetricLines([
    { key: 'accuracy', value: Math.random(), step: 9, timestamp: Date.now() },
  ]);
}

function newRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ghml-bench-'));
  dirs.push(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'gc.auto', '0');
  writeFileSync(join(dir, 'README.md'), 'bench\n');
  git(dir, 'add', 'README.md');
  git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

/** Builds a tracking branch of `runs` runs in `commits` commits with one fast-import stream. */
async function buildHistory(repo: string, runs: number, commits: number): Promise<void> {
  const child = spawn('git', ['fast-import', '--quiet', '--done'], {
    cwd: repo,
    env: ENV,
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const finished = new Promise<void>((resolve, reject) =>
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`)),
    ),
  );
  const write = async (text: string): Promise<void> => {
    if (!child.stdin.write(text)) await new Promise((r) => child.stdin.once('drain', r));
  };
  const data = (text: string): string => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const sources = Array.from({ length: Math.max(1, Math.floor(runs / 5)) }, () => hex(40));
  const perCommit = Math.ceil(runs / commits);
  let written = 0;
  for (let c = 0; c < commits && written < runs; c++) {
    let body = `commit refs/heads/ghml/runs\ncommitter Bench <bench@example.com> ${1_700_000_000 + c} +0000\n${data(`bench batch ${c}\n`)}`;
    if (c === 0) body += `M 100644 inline ghml.json\n${data('{\n  "format": 1\n}\n')}`;
    for (let i = 0; i < perCommit && written < runs; i++, written++) {
      const experiment = `exp${written % 4}`;
      const r = record(sources[written % sources.length] as string, experiment);
      const path = runPath(experiment, r.source.commit, r.id);
      body += `M 100644 inline ${path}/run.json\n${data(formatRunRecord(r))}`;
      body += `M 100644 inline ${path}/metrics.jsonl\n${data(metrics())}`;
    }
    await write(`${body}\n`);
  }
  await write('done\n');
  child.stdin.end();
  await finished;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
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
  const worktree = join(mkdtempSync(join(tmpdir(), 'ghml-bench-wt-')), 'wt');
  dirs.push(dirname(worktree));
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

  let listed = 0;
  const list = await timed(async () => (listed = (await b.store.listRuns()).length));
  add(
    `listRuns over ${listed} runs`,
    `${(list / 1000).toFixed(2)} s`,
    '< 2 s',
    list < 2000 ? 'ok' : 'over',
  );
  const one = await timed(
    async () => (listed = (await b.store.listRuns({ experiment: 'exp2' })).length),
  );
  add(`listRuns of one experiment (${listed} runs)`, `${(one / 1000).toFixed(2)} s`, '-', '-');

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
    .finally(() => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });
