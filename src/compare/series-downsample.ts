/** Deterministic downsampling of a metric series for charts. */

export interface SeriesPoint {
  step: number;
  value: number;
}

/** Default cap on points per series side. */
export const MAX_SERIES_POINTS = 100;

/**
 * At most `max` points of `points` (sorted by step): the first and the last are always kept;
 * the points between are put into `max - 2` equal buckets of the step range (of the index range
 * when every step is equal) and the first point of each non-empty bucket is kept. The same
 * input always gives the same output.
 */
export function downsample<T extends SeriesPoint>(
  points: readonly T[],
  max: number = MAX_SERIES_POINTS,
): T[] {
  const cap = Math.max(2, Math.floor(max));
  if (points.length <= cap) return points.slice();
  const first = points[0] as T;
  const last = points[points.length - 1] as T;
  const buckets = cap - 2;
  if (buckets === 0) return [first, last];
  const inner = points.slice(1, -1);
  const span = last.step - first.step;
  const chosen = new Map<number, T>();
  inner.forEach((point, index) => {
    const position =
      span > 0 && Number.isFinite(span) ? (point.step - first.step) / span : index / inner.length;
    const bucket = Math.min(buckets - 1, Math.max(0, Math.floor(position * buckets)));
    if (!chosen.has(bucket)) chosen.set(bucket, point);
  });
  const middle = [...chosen.entries()].sort((a, b) => a[0] - b[0]).map(([, point]) => point);
  return [first, ...middle, last];
}
