/**
 * A run's metric series as a site file (site-data-format.ts `SeriesFile`), both ways. The
 * build sorts each metric's points by step (then time, then log order) and, when the run has
 * more points than the budget, keeps a reduced set of real points (series-reduce.ts).
 * Browser-safe.
 */
import type { MetricPoint } from '../../tracking/run-record.js';
import { decodeFloat64Base64, encodeFloat64Base64 } from './float64-base64.js';
import { SITE_DATA_FORMAT, type SeriesFile } from './site-data-format.js';
import { reduceSeries } from './series-reduce.js';

/** One metric's series as the page uses it. */
export interface DecodedSeries {
  key: string;
  step: Float64Array;
  value: Float64Array;
  time: Float64Array;
}

/**
 * Encodes a run's points. With `maxPoints` below the run's point count, each metric keeps a
 * share of the budget proportional to its size (at least a few points), reduced by buckets.
 */
export function encodeSeriesFile(
  runId: string,
  points: readonly MetricPoint[],
  maxPoints = Number.POSITIVE_INFINITY,
): SeriesFile {
  const byKey = new Map<string, MetricPoint[]>();
  for (const point of points) {
    let list = byKey.get(point.key);
    if (list === undefined) byKey.set(point.key, (list = []));
    list.push(point);
  }
  const reduced = points.length > maxPoints;
  const metrics = [...byKey.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([key, list]) => {
      // Array.prototype.sort is stable: equal steps and times keep their log order.
      const sorted = list
        .map((p, i) => ({ p, i }))
        .sort((a, b) => a.p.step - b.p.step || a.p.timestamp - b.p.timestamp || a.i - b.i)
        .map((x) => x.p);
      let kept = sorted;
      if (reduced) {
        const share = Math.max(8, Math.floor((maxPoints * sorted.length) / points.length));
        const steps = sorted.map((p) => p.step);
        const values = sorted.map((p) => p.value);
        kept = reduceSeries(steps, values, Math.max(2, Math.floor(share / 5))).map(
          (i) => sorted[i] as MetricPoint,
        );
      }
      const steps = kept.map((p) => p.step);
      const times = kept.map((p) => p.timestamp);
      const deltas = steps.every(Number.isSafeInteger) && times.every(Number.isSafeInteger);
      return {
        key,
        deltas,
        step: deltas ? toDeltas(steps) : steps,
        value: encodeFloat64Base64(kept.map((p) => p.value)),
        time: deltas ? toDeltas(times) : times,
      };
    });
  return { format: SITE_DATA_FORMAT, id: runId, points: points.length, reduced, metrics };
}

/** First value, then differences (exact for safe integers). */
function toDeltas(values: readonly number[]): number[] {
  return values.map((v, i) => (i === 0 ? v : v - (values[i - 1] as number)));
}

/** Decodes a series file into typed arrays. */
export function decodeSeriesFile(file: SeriesFile): DecodedSeries[] {
  return file.metrics.map((m) => {
    const value = decodeFloat64Base64(m.value);
    const n = Math.min(m.step.length, value.length, m.time.length);
    const step = new Float64Array(n);
    const time = new Float64Array(n);
    let s = 0;
    let t = 0;
    for (let i = 0; i < n; i++) {
      s = m.deltas ? s + (m.step[i] as number) : (m.step[i] as number);
      t = m.deltas ? t + (m.time[i] as number) : (m.time[i] as number);
      step[i] = s;
      time[i] = t;
    }
    return { key: m.key, step, value: n === value.length ? value : value.slice(0, n), time };
  });
}
