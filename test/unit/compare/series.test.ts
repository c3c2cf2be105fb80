import { describe, expect, it } from 'vitest';
import { downsample } from '../../../src/compare/series-downsample.js';
import { groupSeries, SeriesLoader } from '../../../src/compare/series-loader.js';
import type { MetricPoint } from '../../../src/tracking/run-record.js';
import { makeRun, MemoryRunSource } from './fixtures.js';

const points = (n: number, step = (i: number) => i) =>
  Array.from({ length: n }, (_, i) => ({ step: step(i), value: i * 0.5 }));

describe('downsample', () => {
  it('returns short series unchanged (as a copy)', () => {
    const input = points(100);
    const output = downsample(input);
    expect(output).toEqual(input);
    expect(output).not.toBe(input);
    expect(downsample([])).toEqual([]);
  });

  it('keeps at most 100 points, including the first and the last, in step order', () => {
    for (const n of [101, 250, 1000, 100_000]) {
      const input = points(n);
      const output = downsample(input);
      expect(output.length).toBeLessThanOrEqual(100);
      expect(output.length).toBeGreaterThan(90);
      expect(output[0]).toEqual(input[0]);
      expect(output[output.length - 1]).toEqual(input[n - 1]);
      const steps = output.map((p) => p.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
    }
  });

  it('buckets by step, so sparse regions keep their points', () => {
    // 500 points crowded in steps 0..499, then 5 points far out
    const input = [
      ...points(500),
      ...[1000, 2000, 3000, 4000, 5000].map((step) => ({ step, value: 1 })),
    ];
    const output = downsample(input);
    for (const step of [1000, 2000, 3000, 4000, 5000]) {
      expect(output.some((p) => p.step === step)).toBe(true);
    }
  });

  it('is deterministic and honours a custom cap', () => {
    const input = points(1000, (i) => i * 3);
    expect(downsample(input, 10)).toEqual(downsample(input, 10));
    expect(downsample(input, 10).length).toBeLessThanOrEqual(10);
    expect(downsample(input, 1)).toEqual([input[0], input[999]]);
  });

  it('falls back to index buckets when every step is the same', () => {
    const input = points(300, () => 7);
    const output = downsample(input);
    expect(output.length).toBeLessThanOrEqual(100);
    expect(output.length).toBeGreaterThan(90);
    expect(output[0]).toEqual(input[0]);
    expect(output[output.length - 1]).toEqual(input[299]);
  });
});

describe('groupSeries', () => {
  it('groups by key, skips non-finite points, sorts by step then timestamp then log order', () => {
    const raw: MetricPoint[] = [
      { key: 'loss', value: 0.5, step: 2, timestamp: 20 },
      { key: 'loss', value: Number.NaN, step: 3, timestamp: 30 },
      { key: 'loss', value: 0.9, step: 1, timestamp: 10 },
      { key: 'loss', value: Number.POSITIVE_INFINITY, step: 4, timestamp: 40 },
      { key: 'loss', value: 0.4, step: 2, timestamp: 15 },
      { key: 'acc', value: 0.1, step: 1, timestamp: 5 },
      { key: 'acc', value: 0.2, step: 1, timestamp: 5 },
      { key: 'acc', value: Number.NEGATIVE_INFINITY, step: 2, timestamp: 5 },
    ];
    const grouped = groupSeries(raw);
    expect(grouped.get('loss')).toEqual([
      { step: 1, value: 0.9 },
      { step: 2, value: 0.4 },
      { step: 2, value: 0.5 },
    ]);
    expect(grouped.get('acc')).toEqual([
      { step: 1, value: 0.1 },
      { step: 1, value: 0.2 },
    ]);
  });
});

describe('SeriesLoader', () => {
  const series = (key: string, n: number): MetricPoint[] =>
    Array.from({ length: n }, (_, i) => ({ key, value: i, step: i, timestamp: i }));

  it('loads head against base, skipping single-point metrics, and downsamples', async () => {
    const head = makeRun({
      commit: 'a'.repeat(40),
      series: [...series('acc', 500), ...series('final', 1)],
    });
    const base = makeRun({
      commit: 'b'.repeat(40),
      series: [...series('acc', 3), ...series('lr', 2)],
    });
    const source = new MemoryRunSource([head, base]);
    const result = await new SeriesLoader(source).load(head, base);
    expect(result.map((s) => s.key)).toEqual(['acc', 'lr']);
    expect(result[0]?.head.length).toBeLessThanOrEqual(100);
    expect(result[0]?.base).toEqual([
      { step: 0, value: 0 },
      { step: 1, value: 1 },
      { step: 2, value: 2 },
    ]);
    expect(result[1]?.head).toEqual([]);
  });

  it('reads each run once, even when a base run is shared by several head runs', async () => {
    const base = makeRun({ commit: 'b'.repeat(40), series: series('acc', 5) });
    const heads = [1, 2, 3].map(() =>
      makeRun({ commit: 'a'.repeat(40), series: series('acc', 5) }),
    );
    const source = new MemoryRunSource([base, ...heads]);
    const loader = new SeriesLoader(source);
    for (const head of heads) await loader.load(head, base);
    expect(source.count('readMetrics')).toBe(4);
  });

  it('charts head alone when there is no base run', async () => {
    const head = makeRun({ commit: 'a'.repeat(40), series: series('acc', 5) });
    const result = await new SeriesLoader(new MemoryRunSource([head])).load(head, null);
    expect(result).toHaveLength(1);
    expect(result[0]?.base).toEqual([]);
    expect(result[0]?.head).toHaveLength(5);
  });
});
