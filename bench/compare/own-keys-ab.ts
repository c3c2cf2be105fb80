/**
 * Own-property lookups of untrusted keys (issue 9, M5) against the commit before them: the
 * same repository is listed and compared by two builds of the CLI, interleaved sample by
 * sample so that load on the machine hits both alike. The repository holds a local sweep of
 * `--runs` runs at a base and a head commit (20 params, 8 metrics each, one matrix key per
 * run, so compare builds a leaderboard), recorded with the baseline's own CLI.
 *
 *   git clone . /tmp/ghml-base && git -C /tmp/ghml-base checkout 76bbf8f   (dist/ is committed)
 *   npm run build
 *   npx tsx bench/compare/own-keys-ab.ts --base /tmp/ghml-base [--runs 40] [--samples 15]
 *
 * Prints a Markdown table: the median wall clock of each command per build, and head / base.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const baseDir = arg('base');
if (baseDir === undefined) throw new Error('pass --base <checkout of the baseline commit>');
const RUNS = Number(arg('runs') ?? 40);
const SAMPLES = Number(arg('samples') ?? 15);
const CLIS = {
  base: join(resolve(baseDir), 'dist', 'cli.js'),
  head: join(resolve(import.meta.dirname, '../..'), 'dist', 'cli.js'),
};

const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NO_COLOR: '1',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

function run(cmd: string, args: string[], cwd: string): string {
  const result = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const repo = mkdtempSync(join(tmpdir(), 'ghml-bench-ab-'));
run('git', ['init', '-q', '-b', 'main'], repo);
const commit = (name: string): void => {
  writeFileSync(join(repo, name), `${name}\n`);
  run('git', ['add', name], repo);
  run('git', ['commit', '-q', '-m', name], repo);
};
const record = (i: number, shift: number): void => {
  const params = Array.from({ length: 20 }, (_, p) => ['-p', `p${p}=${(i * (p + 1)) % 7}`]).flat();
  const metrics = Array.from(
    { length: 8 },
    (_, m) => `echo m${m}=${(i + shift + m) / 100 + 0.005}`,
  );
  const script = [`node "${CLIS.base}" log tag ghml.matrix_key seed=${i}`, ...metrics].join('; ');
  run(
    'node',
    [CLIS.base, 'run', '--no-push', '--stdout-metrics', ...params, '--', 'sh', '-c', script],
    repo,
  );
};
commit('base.txt');
for (let i = 0; i < RUNS; i++) record(i, 0);
commit('head.txt');
for (let i = 0; i < RUNS; i++) record(i, 1);

const commands: Record<string, string[]> = {
  'runs list': ['runs', 'list', '--no-fetch'],
  'runs list --filter "params.p1 = \'1\'" --order-by metrics.m0': [
    'runs',
    'list',
    '--no-fetch',
    '--filter',
    "params.p1 = '1'",
    '--order-by',
    'metrics.m0 DESC',
  ],
  'compare --format md (leaderboard)': ['compare', '--no-fetch', '--format', 'md', '--all'],
  'compare --format text': ['compare', '--no-fetch', '--format', 'text', '--all'],
};

const times: Record<string, { base: number[]; head: number[] }> = {};
for (const name of Object.keys(commands)) times[name] = { base: [], head: [] };
for (let s = 0; s < SAMPLES; s++) {
  for (const [name, args] of Object.entries(commands)) {
    const order = s % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const);
    for (const side of order) {
      const start = process.hrtime.bigint();
      run('node', [CLIS[side], ...args], repo);
      times[name]?.[side].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
console.log(`| command (${RUNS} runs at base, ${RUNS} at head) | base | head | head / base |`);
console.log('| --- | --- | --- | --- |');
for (const [name, t] of Object.entries(times)) {
  const b = median(t.base);
  const h = median(t.head);
  console.log(
    `| \`ghml ${name}\` | ${b.toFixed(0)} ms | ${h.toFixed(0)} ms | ${(h / b).toFixed(3)}× |`,
  );
}
console.log(`\nsamples=${SAMPLES}, interleaved; node ${process.version}`);
rmSync(repo, { recursive: true, force: true });
