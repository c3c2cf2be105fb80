/**
 * Shared benchmark fixtures: scratch repositories, realistic run records, and small timing
 * helpers. Histories are built by tracking-history.ts (one commit per run, either format).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monotonicFactory } from 'ulid';
import type { RunRecord } from '../../src/tracking/run-record.js';
import { formatMetricLines } from '../../src/tracking/run-record-json.js';

export const BENCH_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** Value of `--name <number>` on the command line, or `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Value of `--name <text>` on the command line, or undefined. */
export function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: BENCH_ENV,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  }).trim();
}

const nextId = monotonicFactory();
const dirs: string[] = [];

/** A repository on `main` with one commit; removed by `removeBenchDirs`. */
export function newBenchRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ghml-bench-'));
  dirs.push(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'gc.auto', '0');
  writeFileSync(join(dir, 'README.md'), 'bench\n');
  git(dir, 'add', 'README.md');
  git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

/** Commits `content` as `name` on the current branch of `repo`; returns the new commit. */
export function commitBenchFile(repo: string, name: string, content: string): string {
  writeFileSync(join(repo, name), content);
  git(repo, 'add', name);
  git(repo, 'commit', '-q', '-m', `change ${name}`);
  return git(repo, 'rev-parse', 'HEAD');
}

/** A scratch folder removed by `removeBenchDirs`. */
export function benchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ghml-bench-'));
  dirs.push(dir);
  return dir;
}

export function removeBenchDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function hex(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}

const ESTIMATORS = ['10', '50', '100', '200'];

/** A realistic finished run: GitHub context, 4 params (n_estimators among 4 values), 2 metrics. */
export function benchRecord(commit: string, experiment: string): RunRecord {
  const acc = Math.random();
  const now = Date.now();
  return {
    format: 1,
    id: nextId(),
    experiment,
    name: null,
    status: 'FINISHED',
    startTime: now,
    endTime: now + 60_000,
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
      n_estimators: ESTIMATORS[Math.floor(Math.random() * ESTIMATORS.length)] as string,
    },
    tags: {},
    metrics: {
      accuracy: { value: acc, step: 9, timestamp: now, min: acc / 2, max: acc, count: 10 },
      loss: { value: 1 - acc, step: 9, timestamp: now, min: 1 - acc, max: 1, count: 10 },
    },
    artifacts: [],
  };
}

/** metrics.jsonl of a bench run: a short accuracy series. */
export function benchMetrics(): string {
  return formatMetricLines(
    Array.from({ length: 3 }, (_, step) => ({
      key: 'accuracy',
      value: Math.random(),
      step,
      timestamp: Date.now(),
    })),
  );
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Milliseconds as '123 ms' or '1.23 s'. */
export function ms(value: number): string {
  return value < 1000 ? `${value.toFixed(0)} ms` : `${(value / 1000).toFixed(2)} s`;
}

/** A Markdown table. */
export function markdownTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
