/**
 * A repository for the report-site tests: main with four commits, runs written through the
 * real tracking-branch writer (TrackingStore.writeRun) — a baseline and a change of iris, a
 * three-key sweep, a FAILED run, a run with a long series, and a run whose every string is
 * hostile (the PR-comment tests' payloads, plus keys the ingest would refuse but a hand-pushed
 * branch can hold) — and registry tags made by `ghml model register/promote`.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monotonicFactory } from 'ulid';
import { createGit } from '../../../src/git/git.js';
import { openTrackingStore } from '../../../src/tracking/store/tracking-store.js';
import { formatMetricLines } from '../../../src/tracking/run-record-json.js';
import type { MetricPoint, MetricSummary, RunRecord } from '../../../src/tracking/run-record.js';
import { ghmlEnv, runGhml } from '../../support/run-ghml.js';
import { commitFile, git, makeRepo } from '../../support/temp-repo.js';
import { hostileComparison } from '../../unit/report/fixtures.js';

const hostile = hostileComparison().experiments[0]?.runs[0];
/** The PR-comment tests' hostile text (test/unit/report/fixtures.ts) ... */
export const NASTY = hostile?.metrics[0]?.key ?? '';
/** ... their hostile series key ... */
export const SERIES_KEY = hostile?.series[0]?.key ?? '';
/** ... and markup that would run if it were ever parsed as HTML. */
export const IMG = '<img src=x onerror="window.__pwned=1">';

export interface SiteFixture {
  dir: string;
  commits: string[];
  ids: {
    base: string;
    head: string;
    sweep: string[];
    failed: string;
    long: string;
    hostile: string;
  };
  longPoints: number;
}

const nextId = monotonicFactory();

function summarize(points: readonly MetricPoint[]): Record<string, MetricSummary> {
  const out: Record<string, MetricSummary> = {};
  for (const p of points) {
    const s = out[p.key];
    if (s === undefined) {
      out[p.key] = {
        value: p.value,
        step: p.step,
        timestamp: p.timestamp,
        min: p.value,
        max: p.value,
        count: 1,
      };
      continue;
    }
    s.count += 1;
    s.min = Math.min(s.min, p.value);
    s.max = Math.max(s.max, p.value);
    if (p.step >= s.step)
      Object.assign(s, { value: p.value, step: p.step, timestamp: p.timestamp });
  }
  return out;
}

function series(key: string, n: number, f: (i: number) => number, t0: number): MetricPoint[] {
  return Array.from({ length: n }, (_, i) => ({
    key,
    value: f(i),
    step: i,
    timestamp: t0 + i * 1000,
  }));
}

export async function buildSiteFixture(): Promise<SiteFixture> {
  const dir = makeRepo();
  writeFileSync(
    join(dir, 'ghml.yml'),
    [
      'experiments:',
      '  iris:',
      '    objective: accuracy',
      '    metrics:',
      '      accuracy: { direction: max, threshold: 1% }',
      '      log_loss: { direction: min, threshold: 0.01 }',
      'registry:',
      '  models:',
      '    iris:',
      '      path: model.pkl',
      '',
    ].join('\n'),
  );
  git(dir, 'add', 'ghml.yml');
  git(dir, 'commit', '-q', '-m', 'ghml.yml');
  const commits = [
    git(dir, 'rev-parse', 'HEAD'),
    commitFile(dir, 'train.py', 'print(1)\n', 'iris: 50 trees'),
    commitFile(dir, 'sweep.txt', 'sweep\n', `sweep over seeds ${NASTY}`),
    commitFile(dir, 'model.pkl', 'model bytes\n', 'long training'),
  ];
  const store = openTrackingStore(await createGit(dir), {
    branch: 'ghml/runs',
    remote: 'origin',
    pushTimeoutMs: 10_000,
  });
  let clock = Date.UTC(2025, 0, 1);
  const write = async (
    commit: string,
    experiment: string,
    params: Record<string, string>,
    points: MetricPoint[],
    extra: Partial<RunRecord> = {},
  ): Promise<string> => {
    clock += 60_000;
    const id = nextId(clock);
    const record: RunRecord = {
      format: 1,
      id,
      experiment,
      name: null,
      status: 'FINISHED',
      startTime: clock,
      endTime: clock + 42_000,
      exitCode: 0,
      source: { commit, branch: 'main', dirty: false },
      github: null,
      params,
      tags: {},
      metrics: summarize(points),
      artifacts: [],
      ...extra,
    };
    await store.writeRun({
      record,
      metricsJsonl: Buffer.from(formatMetricLines(points)),
      artifacts: [],
    });
    return id;
  };
  const iris = (acc: number, loss: number, n = 10): MetricPoint[] => [
    ...series('accuracy', n, (i) => acc - (n - 1 - i) * 0.01, clock),
    ...series('log_loss', n, (i) => loss + (n - 1 - i) * 0.05, clock),
  ];
  const base = await write(
    commits[0] as string,
    'iris',
    { n_estimators: '10', model: 'rf' },
    iris(0.9, 0.3),
  );
  const head = await write(
    commits[1] as string,
    'iris',
    { n_estimators: '50', model: 'rf' },
    iris(0.93, 0.25),
  );
  const sweep: string[] = [];
  for (const [seed, acc] of [
    ['1', 0.91],
    ['2', 0.95],
    ['3', 0.88],
  ] as const) {
    sweep.push(
      await write(
        commits[2] as string,
        'iris',
        { n_estimators: '50', model: 'rf', seed },
        iris(acc, 1 - acc),
        {
          tags: { 'ghml.matrix_key': `seed=${seed}` },
        },
      ),
    );
  }
  const failed = await write(
    commits[2] as string,
    'iris',
    { n_estimators: '100', model: 'rf' },
    iris(0.5, 2, 3),
    {
      status: 'FAILED',
      exitCode: 1,
    },
  );
  const longPoints = 5000;
  const long = await write(commits[3] as string, 'iris', { n_estimators: '200', model: 'rf' }, [
    ...series(
      'accuracy',
      longPoints,
      (i) => 0.5 + 0.45 * (1 - Math.exp(-i / 800)) + 0.003 * Math.sin(i),
      clock,
    ),
    ...series('log_loss', longPoints, (i) => (i === 2500 ? Number.NaN : 1 / (1 + i / 300)), clock),
  ]);
  const sha = createHash('sha256').update('x').digest('hex');
  const hostile = await write(
    commits[3] as string,
    'hostile',
    { [NASTY]: IMG, [IMG]: NASTY, ['__proto__']: 'polluted?', 'javascript:alert(1)': 'x' },
    [
      ...series(NASTY, 3, (i) => i, clock),
      ...series(SERIES_KEY, 3, (i) => -i, clock),
      ...series('ok', 3, (i) => i, clock),
    ],
    {
      name: IMG,
      source: { commit: commits[3] as string, branch: NASTY, dirty: false },
      tags: { [IMG]: NASTY, note: '<iframe src="https://example.com"></iframe>' },
      github: {
        repository: 'acme/iris',
        serverUrl: 'javascript:alert(1)//',
        workflow: IMG,
        runId: '123',
        runAttempt: '1',
        job: NASTY,
        prNumber: 7,
        matrix: { [IMG]: NASTY },
      },
      artifacts: [
        { path: `${IMG}.txt`, size: 10, sha256: sha, stored: false, uri: 'javascript:alert(1)' },
        {
          path: 'report.html',
          size: 10,
          sha256: sha,
          stored: false,
          uri: 'https://example.com/report.html',
        },
      ],
    },
  );

  const env = ghmlEnv({ GIT_COMMITTER_NAME: `Mallory ${NASTY.slice(0, 20)}` });
  for (const args of [
    ['model', 'register', 'iris', '--version', 'v1.0.0', '--run', base, '--no-release', '-m', IMG],
    [
      'model',
      'register',
      'iris',
      '--version',
      'v1.1.0',
      '--run',
      long,
      '--no-release',
      '-m',
      'better',
    ],
    ['model', 'promote', 'iris', 'v1.1.0', 'staging', '-m', NASTY],
  ]) {
    const result = await runGhml(args, { cwd: dir, env });
    if (result.code !== 0) throw new Error(`ghml ${args.join(' ')}: ${result.stderr}`);
  }
  return { dir, commits, ids: { base, head, sweep, failed, long, hostile }, longPoints };
}
