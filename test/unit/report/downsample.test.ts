import { describe, expect, it } from 'vitest';
import { downsample } from '../../../src/report/downsample.js';

const series = (n: number) => Array.from({ length: n }, (_, i) => ({ step: i, value: i * i }));

describe('downsample', () => {
  it('returns short series sorted and unchanged', () => {
    const input = [
      { step: 2, value: 1 },
      { step: 0, value: 2 },
      { step: 1, value: 3 },
    ];
    expect(downsample(input, 10)).toEqual([
      { step: 0, value: 2 },
      { step: 1, value: 3 },
      { step: 2, value: 1 },
    ]);
    expect(input[0]).toEqual({ step: 2, value: 1 });
  });

  it('keeps at most maxPoints, the first and the last', () => {
    const out = downsample(series(10_000), 100);
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out.length).toBeGreaterThan(90);
    expect(out[0]).toEqual({ step: 0, value: 0 });
    expect(out.at(-1)).toEqual({ step: 9999, value: 9999 * 9999 });
    const steps = out.map((p) => p.step);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
  });

  it('is deterministic and buckets by step, not by index', () => {
    // Dense at the start, sparse later: buckets by step keep the sparse tail.
    const points = [
      ...Array.from({ length: 1000 }, (_, i) => ({ step: i / 1000, value: 0 })),
      ...Array.from({ length: 9 }, (_, i) => ({ step: 10 * (i + 1), value: 1 })),
    ];
    const a = downsample(points, 12);
    expect(downsample(points, 12)).toEqual(a);
    expect(a.filter((p) => p.value === 1).length).toBeGreaterThanOrEqual(8);
  });

  it('handles equal steps and a tiny cap', () => {
    const flat = Array.from({ length: 500 }, (_, i) => ({ step: 5, value: i }));
    const out = downsample(flat, 50);
    expect(out.length).toBeLessThanOrEqual(50);
    expect(out[0]?.value).toBe(0);
    expect(out.at(-1)?.value).toBe(499);
    expect(downsample(series(100), 0)).toHaveLength(2);
  });
});
