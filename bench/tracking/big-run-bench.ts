/**
 * Runs far bigger than usual, through the store that `ghml run` uses: one with P metric points
 * (default 10,000,000) and one with K metric names (default 100,000). Each is written, pushed
 * to a bare remote, then read back in a fresh depth-1 clone and compared exactly. Reports the
 * times and the largest blob on the branch (GitHub warns at 50 MB and refuses 100 MB).
 *
 *   npx tsx bench/tracking/big-run-bench.ts --points 10000000 --names 100000
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createGit } from '../../src/git/git.js';
import type { MetricPoint, MetricSummary } from '../../src/tracking/run-record.js';
import { formatMetricLine } from '../../src/tracking/run-record-json.js';
import { openTrackingStore } from '../../src/tracking/store/tracking-store.js';
import {
  benchDir,
  benchRecord,
  git,
  markdownTable,
  ms,
  newBenchRepo,
  numberArg,
  removeBenchDirs,
  timed,
} from '../support/run-history.js';

const POINTS = numberArg('points', 10_000_000);
const NAMES = numberArg('names', 100_000);

function open(repo: string) {
  return createGit(repo).then((g) =>
    openTrackingStore(g, { branch: 'ghml/runs', remote: 'origin', pushTimeoutMs: 600_000 }),
  );
}

/** The largest blob any commit of the branch reaches (sealed runs are not in the tip). */
function largestBlob(repo: string): number {
  const objects = git(repo, 'rev-list', '--objects', 'ghml/runs')
    .split('\n')
    .map((line) => line.split(' ')[0])
    .join('\n');
  const sizes = execFileSync('git', ['cat-file', '--batch-check=%(objecttype) %(objectsize)'], {
    cwd: repo,
    input: `${objects}\n`,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  let max = 0;
  for (const line of sizes.split('\n')) {
    const [type, size] = line.split(' ');
    if (type === 'blob') max = Math.max(max, Number(size));
  }
  return max;
}

function pointKey(i: number): string {
  return i % 2 === 0 ? 'loss' : 'accuracy';
}

/** The metric series as JSON lines, built in 1 MB pieces (10 M points do not fit one string). */
function seriesBytes(points: number): { data: Buffer; digest: string } {
  const parts: Buffer[] = [];
  const hash = createHash('sha256');
  let chunk = '';
  for (let i = 0; i < points; i++) {
    const point: MetricPoint = {
      key: pointKey(i),
      value: 1 / (i + 1),
      step: i >> 1,
      timestamp: 1_700_000_000_000 + i,
    };
    chunk += `${formatMetricLine(point)}\n`;
    if (chunk.length > 1 << 20) {
      const b = Buffer.from(chunk);
      parts.push(b);
      hash.update(b);
      chunk = '';
    }
  }
  const b = Buffer.from(chunk);
  parts.push(b);
  hash.update(b);
  return { data: Buffer.concat(parts), digest: hash.digest('hex') };
}

async function pushAndReadBack(
  label: string,
  build: (commit: string) => { record: ReturnType<typeof benchRecord>; metrics: Buffer },
  check: (read: { points: MetricPoint[]; metrics: Record<string, MetricSummary> }) => boolean,
): Promise<string[]> {
  const seed = newBenchRepo();
  const origin = join(benchDir(), 'origin.git');
  git(seed, 'init', '-q', '--bare', '-b', 'main', origin);
  git(origin, 'config', 'uploadpack.allowFilter', 'true');
  git(seed, 'remote', 'add', 'origin', `file://${origin}`);
  git(seed, 'push', '-q', 'origin', 'main');
  const head = git(seed, 'rev-parse', 'HEAD');
  const { record, metrics } = build(head);
  const store = await open(seed);
  const write = await timed(() => store.writeRun({ record, metricsJsonl: metrics, artifacts: [] }));
  const push = await timed(() => store.push());
  const clone = join(benchDir(), 'ci');
  git(seed, 'clone', '-q', '--depth', '1', `file://${origin}`, clone);
  const reader = await open(clone);
  let ok = false;
  const read = await timed(async () => {
    await reader.fetch();
    const run = await reader.findRun(record.id);
    ok = check({ points: await reader.readMetrics(run), metrics: run.record.metrics });
  });
  const largest = largestBlob(origin);
  removeBenchDirs();
  return [
    label,
    `${(metrics.length / 1e6).toFixed(0)} MB of series, run.json ${(Buffer.byteLength(JSON.stringify(record)) / 1e6).toFixed(1)} MB`,
    ms(write),
    ms(push),
    ms(read),
    `${(largest / 1e6).toFixed(1)} MB`,
    ok ? 'exact' : 'DIFFERENT',
  ];
}

const rows: string[][] = [];
const series = seriesBytes(POINTS);
rows.push(
  await pushAndReadBack(
    `${POINTS.toLocaleString('en')} metric points`,
    (commit) => ({ record: benchRecord(commit, 'big'), metrics: series.data }),
    ({ points }) => {
      if (points.length !== POINTS) return false;
      const hash = createHash('sha256');
      let chunk = '';
      for (const p of points) {
        chunk += `${formatMetricLine(p)}\n`;
        if (chunk.length > 1 << 20) {
          hash.update(chunk);
          chunk = '';
        }
      }
      hash.update(chunk);
      return hash.digest('hex') === series.digest;
    },
  ),
);
rows.push(
  await pushAndReadBack(
    `${NAMES.toLocaleString('en')} metric names`,
    (commit) => {
      const record = benchRecord(commit, 'wide');
      const metrics: Record<string, MetricSummary> = {};
      const lines: string[] = [];
      for (let i = 0; i < NAMES; i++) {
        const key = `layer.${i}.grad_norm`;
        metrics[key] = {
          value: i / 7,
          step: 0,
          timestamp: 1_700_000_000_000,
          min: i / 7,
          max: i / 7,
          count: 1,
        };
        lines.push(formatMetricLine({ key, value: i / 7, step: 0, timestamp: 1_700_000_000_000 }));
      }
      return { record: { ...record, metrics }, metrics: Buffer.from(`${lines.join('\n')}\n`) };
    },
    ({ metrics, points }) =>
      Object.keys(metrics).length === NAMES &&
      points.length === NAMES &&
      metrics[`layer.${NAMES - 1}.grad_norm`]?.value === (NAMES - 1) / 7,
  ),
);
console.log(
  markdownTable(
    [
      'run',
      'size',
      'write',
      'push',
      'fresh depth-1 clone: fetch + read back',
      'largest blob on the branch',
      'read back',
    ],
    rows,
  ),
);
