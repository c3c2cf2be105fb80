import { describe, expect, it } from 'vitest';
import { decodeRunShard, encodeRunShard } from '../../../src/site/data/run-shard-codec.js';
import { decodeSeriesFile, encodeSeriesFile } from '../../../src/site/data/series-codec.js';
import { nearestIndex, reduceSeries } from '../../../src/site/data/series-reduce.js';
import { selectSeriesRuns } from '../../../src/site/data/series-selection.js';
import { indexSweeps } from '../../../src/site/data/sweep-index.js';
import { buildTrends } from '../../../src/site/data/trend-points.js';
import { defaultConfig } from '../../../src/config/config-defaults.js';
import {
  TRACKING_FORMAT,
  type MetricPoint,
  type RunRecord,
} from '../../../src/tracking/run-record.js';

const SHA = 'c'.repeat(40);

function run(id: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    format: TRACKING_FORMAT,
    id,
    experiment: 'iris',
    name: null,
    status: 'FINISHED',
    startTime: 1000,
    endTime: 2000,
    exitCode: 0,
    source: { commit: SHA, branch: 'main', dirty: false },
    github: null,
    params: {},
    tags: {},
    metrics: {},
    artifacts: [],
    ...over,
  };
}

function metric(value: number, count = 1) {
  return { value, step: 0, timestamp: 0, min: value, max: value, count };
}

describe('run shards', () => {
  it('decode what they encode, keeping NaN, ±Infinity and keys such as __proto__', () => {
    const params = Object.create(null) as Record<string, string>;
    params['__proto__'] = 'p';
    params['<script>'] = '</script>';
    const records = [
      run('01JGFJMSK0PCN4TKG3PW1M4FKZ', {
        name: '<img src=x>',
        params,
        tags: { 'ghml.matrix_key': 'seed=1' },
        metrics: {
          acc: metric(Number.NaN),
          loss: { ...metric(1), min: Number.NEGATIVE_INFINITY, max: Number.POSITIVE_INFINITY },
        },
        github: {
          repository: 'a/b',
          serverUrl: 'https://github.com',
          workflow: 'w',
          runId: '1',
          runAttempt: '1',
          job: 'j',
          prNumber: 3,
        },
        artifacts: [
          {
            path: 'm.pkl',
            size: 3,
            sha256: 'f'.repeat(64),
            stored: false,
            uri: 'https://x.test/m',
          },
        ],
      }),
      run('01JGFJPM60F5908CGC2Q2CXT73', {
        status: 'FAILED',
        endTime: null,
        exitCode: null,
        experiment: 'other',
      }),
    ];
    const shard = JSON.parse(
      JSON.stringify(
        encodeRunShard(
          records.map((record, i) => ({
            record,
            series: i === 0 ? 1 : 0,
            tree: `${i}`.repeat(40),
          })),
        ),
      ),
    );
    const decoded = decodeRunShard(shard);
    expect(decoded[0]?.params['__proto__']).toBe('p');
    expect(Object.getPrototypeOf(decoded[0]?.params)).toBeNull();
    expect(decoded[0]?.metrics['acc']?.value).toBeNaN();
    expect(decoded[0]?.metrics['loss']?.min).toBe(Number.NEGATIVE_INFINITY);
    const strip = (r: RunRecord) => ({
      ...r,
      params: { ...r.params },
      tags: { ...r.tags },
      metrics: Object.fromEntries(
        Object.entries(r.metrics).map(([k, m]) => [k, { ...m, timestamp: 0 }]),
      ),
    });
    expect(decoded.map(({ series: _s, tree: _t, order: _o, ...r }) => strip(r))).toEqual(
      records.map(strip),
    );
    expect(decoded.map((r) => [r.series, r.tree])).toEqual([
      [1, '0'.repeat(40)],
      [0, '1'.repeat(40)],
    ]);
    expect(decodeRunShard(shard, 5000).map((r) => r.order)).toEqual([5000, 5001]);
  });
});

describe('series', () => {
  it('reduce to real points, keeping each bucket’s first, last, lowest, highest and first non-finite', () => {
    const steps = Array.from({ length: 10_000 }, (_, i) => i);
    const values = steps.map((i) =>
      i === 5000 ? 99 : i === 7000 ? Number.NaN : Math.sin(i / 100),
    );
    const kept = reduceSeries(steps, values, 100);
    expect(kept.length).toBeLessThanOrEqual(500);
    expect(kept).toContain(5000);
    expect(kept).toContain(7000);
    expect(kept[0]).toBe(0);
    expect(kept.at(-1)).toBe(9999);
    expect([...kept].sort((a, b) => a - b)).toEqual(kept);
    expect(nearestIndex(steps, 4321.4)).toBe(4321);
    expect(nearestIndex([], 1)).toBe(-1);
  });

  it('encode sorted by step, reduced only past the budget, and decode exactly', () => {
    const points: MetricPoint[] = [
      { key: 'b', value: 2, step: 1, timestamp: 5 },
      { key: 'b', value: Number.POSITIVE_INFINITY, step: 0, timestamp: 4 },
      { key: 'a', value: 0.1 + 0.2, step: 0, timestamp: 1 },
      { key: 'c', value: Number.NaN, step: 0.5, timestamp: 1.25 },
      { key: 'c', value: -0, step: 2 ** 60, timestamp: 2 },
    ];
    const file = encodeSeriesFile('X', points);
    expect(file.reduced).toBe(false);
    const decoded = decodeSeriesFile(JSON.parse(JSON.stringify(file)));
    expect(decoded.map((s) => s.key)).toEqual(['a', 'b', 'c']);
    expect([...(decoded[1]?.value ?? [])]).toEqual([Number.POSITIVE_INFINITY, 2]);
    expect(decoded[0]?.value[0]).toBe(0.1 + 0.2);
    // Steps that are not safe integers are kept as they are, not as differences.
    expect(file.metrics.map((m) => m.deltas)).toEqual([true, true, false]);
    expect([...(decoded[2]?.step ?? [])]).toEqual([0.5, 2 ** 60]);
    expect([...(decoded[2]?.time ?? [])]).toEqual([1.25, 2]);
    expect(decoded[2]?.value[0]).toBeNaN();
    expect(Object.is(decoded[2]?.value[1], -0)).toBe(true);
    const many: MetricPoint[] = Array.from({ length: 50_000 }, (_, i) => ({
      key: 'm',
      value: i % 7,
      step: i,
      timestamp: i,
    }));
    const reduced = encodeSeriesFile('Y', many, 1000);
    expect(reduced.reduced).toBe(true);
    expect(reduced.points).toBe(50_000);
    expect(reduced.metrics[0]?.step.length).toBeLessThanOrEqual(1000);
  });

  it('select registered runs first, then the newest, within the budgets', () => {
    const runs = ['R5', 'R4', 'R3', 'R2', 'R1'].map((id) =>
      run(id, { metrics: { m: metric(1, 100) } }),
    );
    runs[1] = run('R4', { metrics: { m: metric(1, 5000) } });
    const chosen = selectSeriesRuns(runs, new Set(['R1']), {
      maxRuns: 3,
      maxPoints: 2000,
      maxRunPoints: 1000,
    });
    expect([...chosen]).toEqual([
      ['R1', 1],
      ['R5', 1],
      ['R4', 2],
    ]);
    expect(
      selectSeriesRuns(runs, new Set(), { maxRuns: 10, maxPoints: 150, maxRunPoints: 1000 }).size,
    ).toBe(1);
  });
});

describe('sweeps and trends', () => {
  it('index an experiment’s commits with several matrix keys', () => {
    const a = run('A', { tags: { 'ghml.matrix_key': 'seed=1' }, startTime: 5 });
    const b = run('B', { tags: { 'ghml.matrix_key': 'seed=2' }, startTime: 6 });
    const lone = run('C', { source: { commit: 'd'.repeat(40), branch: null, dirty: false } });
    expect(indexSweeps([a, b, lone])).toEqual([
      { experiment: 'iris', commit: SHA, time: 6, runIds: ['A', 'B'] },
    ]);
  });

  it('give one point per main commit: the best matrix key’s latest FINISHED run', () => {
    const config = defaultConfig();
    config.experiments['iris'] = { objective: 'loss', metrics: {} };
    const c1 = '1'.repeat(40);
    const c2 = '2'.repeat(40);
    const runs = [
      run('A', {
        source: { commit: c1, branch: 'main', dirty: false },
        metrics: { loss: metric(0.5) },
      }),
      run('B', {
        source: { commit: c2, branch: 'main', dirty: false },
        metrics: { loss: metric(0.4) },
        tags: { 'ghml.matrix_key': 'k=1' },
      }),
      run('C', {
        source: { commit: c2, branch: 'main', dirty: false },
        metrics: { loss: metric(0.2) },
        tags: { 'ghml.matrix_key': 'k=2' },
      }),
      run('D', {
        source: { commit: c2, branch: 'main', dirty: false },
        metrics: { loss: metric(0.1) },
        status: 'FAILED',
        tags: { 'ghml.matrix_key': 'k=2' },
      }),
      run('E', {
        source: { commit: 'f'.repeat(40), branch: 'x', dirty: false },
        metrics: { loss: metric(0) },
      }),
    ];
    const trends = buildTrends(
      'main',
      [
        { sha: c1, date: 1, subject: 'one' },
        { sha: c2, date: 2, subject: 'two' },
      ],
      runs,
      config,
    );
    expect(trends.experiments).toEqual([
      {
        name: 'iris',
        objective: 'loss',
        direction: 'min',
        points: [
          { commit: 0, value: 0.5, runId: 'A', runs: 1 },
          { commit: 1, value: 0.2, runId: 'C', runs: 2 },
        ],
      },
    ]);
  });
});
