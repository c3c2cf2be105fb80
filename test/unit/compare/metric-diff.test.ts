import { describe, expect, it } from 'vitest';
import type { MetricDirection, Threshold } from '../../../src/config/config-types.js';
import { diffMetric, diffMetrics, verdictOf } from '../../../src/compare/metric-diff.js';
import type { Verdict } from '../../../src/compare/comparison-types.js';
import { summary } from './fixtures.js';

const abs = (value: number): Threshold => ({ kind: 'absolute', value });
const pct = (value: number): Threshold => ({ kind: 'percent', value });
const { NaN: nan, POSITIVE_INFINITY: inf, NEGATIVE_INFINITY: ninf } = Number;

type Row = [number | null, number | null, MetricDirection, Threshold, Verdict];

describe('verdictOf', () => {
  const finiteRows: Row[] = [
    // max, absolute
    [0.9, 0.95, 'max', abs(0), 'improved'],
    [0.9, 0.85, 'max', abs(0), 'regressed'],
    [0.9, 0.9, 'max', abs(0), 'unchanged'],
    [0.9, 0.91, 'max', abs(0.02), 'unchanged'],
    [0.9, 0.92, 'max', abs(0.02), 'unchanged'], // exactly the threshold
    [0.9, 0.93, 'max', abs(0.02), 'improved'],
    [0.9, 0.87, 'max', abs(0.02), 'regressed'],
    // min, absolute
    [0.5, 0.4, 'min', abs(0), 'improved'],
    [0.5, 0.6, 'min', abs(0), 'regressed'],
    [0.5, 0.55, 'min', abs(0.1), 'unchanged'],
    [0.5, 0.65, 'min', abs(0.1), 'regressed'],
    [0.5, 0.35, 'min', abs(0.1), 'improved'],
    // max, percent
    [0.9, 0.909, 'max', pct(1), 'unchanged'], // exactly 1 %
    [0.9, 0.891, 'max', pct(1), 'unchanged'],
    [0.9, 0.95, 'max', pct(1), 'improved'],
    [0.9, 0.85, 'max', pct(1), 'regressed'],
    [-2, -1.99, 'max', pct(1), 'unchanged'], // percent of |base|
    [-2, -1.5, 'max', pct(1), 'improved'],
    // min, percent
    [100, 104, 'min', pct(5), 'unchanged'],
    [100, 106, 'min', pct(5), 'regressed'],
    [100, 94, 'min', pct(5), 'improved'],
    // base 0 with a percent threshold: no change allowed
    [0, 0, 'max', pct(5), 'unchanged'],
    [0, 0.001, 'max', pct(5), 'improved'],
    [0, 0.001, 'min', pct(5), 'regressed'],
    // floating-point noise is not a change
    [0.3, 0.1 + 0.2, 'max', abs(0), 'unchanged'],
    // negative threshold acts as 0
    [1, 1.5, 'max', abs(-1), 'improved'],
  ];
  it.each(finiteRows)('finite: base %s head %s %s %o → %s', (base, head, direction, t, want) => {
    expect(verdictOf(base, head, direction, t)).toBe(want);
  });

  const presenceRows: Row[] = [];
  for (const direction of ['max', 'min'] as const) {
    for (const threshold of [abs(0), abs(1), pct(0), pct(10)]) {
      presenceRows.push([null, 1, direction, threshold, 'new']);
      presenceRows.push([null, nan, direction, threshold, 'new']);
      presenceRows.push([null, null, direction, threshold, 'new']);
      presenceRows.push([1, null, direction, threshold, 'missing']);
      presenceRows.push([inf, null, direction, threshold, 'missing']);
    }
  }
  it.each(presenceRows)(
    'presence: base %s head %s %s %o → %s',
    (base, head, direction, t, want) => {
      expect(verdictOf(base, head, direction, t)).toBe(want);
    },
  );

  const nonFiniteRows: Row[] = [];
  for (const direction of ['max', 'min'] as const) {
    for (const threshold of [abs(0), abs(1e9), pct(0), pct(50)]) {
      nonFiniteRows.push(
        [1, nan, direction, threshold, 'regressed'],
        [1, inf, direction, threshold, 'regressed'],
        [1, ninf, direction, threshold, 'regressed'],
        [0, nan, direction, threshold, 'regressed'],
        [nan, 1, direction, threshold, 'improved'],
        [inf, 1, direction, threshold, 'improved'],
        [ninf, 1, direction, threshold, 'improved'],
        [nan, nan, direction, threshold, 'unchanged'],
        [inf, inf, direction, threshold, 'unchanged'],
        [ninf, ninf, direction, threshold, 'unchanged'],
        [nan, inf, direction, threshold, 'unchanged'],
        [inf, ninf, direction, threshold, 'unchanged'],
        [ninf, nan, direction, threshold, 'unchanged'],
      );
    }
  }
  it.each(nonFiniteRows)(
    'non-finite: base %s head %s %s %o → %s',
    (base, head, direction, t, want) => {
      expect(verdictOf(base, head, direction, t)).toBe(want);
    },
  );
});

describe('diffMetric', () => {
  const settings = { direction: 'max' as const, threshold: abs(0), precision: 3 };

  it('computes Δ and Δ% and carries the settings', () => {
    const diff = diffMetric('acc', summary(0.8), summary(0.9), settings);
    expect(diff.key).toBe('acc');
    expect(diff.base).toBe(0.8);
    expect(diff.head).toBe(0.9);
    expect(diff.delta).toBeCloseTo(0.1, 12);
    expect(diff.deltaPercent).toBeCloseTo(12.5, 10);
    expect(diff).toMatchObject({ verdict: 'improved', direction: 'max', precision: 3 });
    expect(diff.threshold).toEqual(abs(0));
  });

  it('Δ% is relative to |base|, so a negative base keeps the sign of Δ', () => {
    const diff = diffMetric('score', summary(-2), summary(-1), settings);
    expect(diff.delta).toBe(1);
    expect(diff.deltaPercent).toBe(50);
  });

  it('Δ% is null when base is 0', () => {
    const diff = diffMetric('acc', summary(0), summary(0.5), settings);
    expect(diff.delta).toBe(0.5);
    expect(diff.deltaPercent).toBeNull();
  });

  it('Δ and Δ% are null when a side is missing', () => {
    expect(diffMetric('acc', undefined, summary(1), settings)).toMatchObject({
      base: null,
      head: 1,
      delta: null,
      deltaPercent: null,
      verdict: 'new',
    });
    expect(diffMetric('acc', summary(1), undefined, settings)).toMatchObject({
      base: 1,
      head: null,
      delta: null,
      deltaPercent: null,
      verdict: 'missing',
    });
  });

  it('keeps NaN and ±Infinity in values and propagates them through Δ', () => {
    const toNan = diffMetric('loss', summary(0.5), summary(nan), settings);
    expect(toNan.head).toBeNaN();
    expect(toNan.delta).toBeNaN();
    expect(toNan.deltaPercent).toBeNaN();
    expect(toNan.verdict).toBe('regressed');
    const toInf = diffMetric('loss', summary(0.5), summary(inf), settings);
    expect(toInf.delta).toBe(inf);
    expect(toInf.deltaPercent).toBe(inf);
    expect(toInf.verdict).toBe('regressed');
    const fromInf = diffMetric('loss', summary(ninf), summary(0.5), settings);
    expect(fromInf.base).toBe(ninf);
    expect(fromInf.delta).toBe(inf);
    expect(fromInf.deltaPercent).toBeNaN();
    expect(fromInf.verdict).toBe('improved');
  });
});

describe('diffMetrics', () => {
  it('covers every metric of either run, sorted by key, with per-metric settings', () => {
    const diffs = diffMetrics(
      { loss: summary(0.5), acc: summary(0.8), old: summary(1) },
      { loss: summary(0.4), acc: summary(0.7), fresh: summary(2) },
      (key) => ({
        direction: key === 'loss' ? 'min' : 'max',
        threshold: abs(0),
        precision: 4,
      }),
    );
    expect(diffs.map((d) => [d.key, d.verdict, d.direction])).toEqual([
      ['acc', 'regressed', 'max'],
      ['fresh', 'new', 'max'],
      ['loss', 'improved', 'min'],
      ['old', 'missing', 'max'],
    ]);
  });

  it('reports every metric as new without a base run', () => {
    const diffs = diffMetrics(null, { b: summary(1), a: summary(nan) }, () => ({
      direction: 'max',
      threshold: abs(0),
      precision: 4,
    }));
    expect(diffs.map((d) => [d.key, d.verdict])).toEqual([
      ['a', 'new'],
      ['b', 'new'],
    ]);
  });

  it('treats a metric named __proto__ as an ordinary key', () => {
    const head = JSON.parse(
      '{"__proto__": {"value": 1, "step": 0, "timestamp": 0, "min": 1, "max": 1, "count": 1}}',
    );
    const diffs = diffMetrics({}, head, () => ({
      direction: 'max',
      threshold: abs(0),
      precision: 4,
    }));
    expect(diffs).toHaveLength(1);
    expect(diffs[0]).toMatchObject({ key: '__proto__', base: null, head: 1, verdict: 'new' });
  });
});
