/**
 * Deterministic downsampling of a metric series for charts: keeps the first and the last
 * point and, between them, the first point of each equal-width step bucket.
 */

/** A point of a series: only the step and the value matter here. */
export interface SeriesPoint {
  step: number;
  value: number;
}

/** Default cap on the points of one charted series. */
export const DEFAULT_MAX_POINTS = 100;

/**
 * Returns at most `maxPoints` points (at least 2) of `points`, sorted by step. Input order
 * does not matter; equal steps keep their input order. The input is not modified.
 */
export function downsample<T extends SeriesPoint>(
  points: readonly T[],
  maxPoints: number = DEFAULT_MAX_POINTS,
): T[] {
  const cap = Math.max(2, Math.floor(Number.isFinite(maxPoints) ? maxPoints : DEFAULT_MAX_POINTS));
  const sorted = points
    .map((point, index) => ({ point, index }))
    .sort((a, b) => a.point.step - b.point.step || a.index - b.index)
    .map(({ point }) => point);
  if (sorted.length <= cap) return sorted;

  const first = sorted[0] as T;
  const last = sorted[sorted.length - 1] as T;
  const buckets = cap - 2;
  const span = last.step - first.step;
  const kept: T[] = [first];
  let lastBucket = -1;
  for (let i = 1; i < sorted.length - 1; i += 1) {
    const point = sorted[i] as T;
    // Steps may be all equal (span 0) or non-finite: fall back to bucketing by index.
    const position =
      span > 0 && Number.isFinite(span)
        ? (point.step - first.step) / span
        : i / (sorted.length - 1);
    const bucket = Math.min(buckets - 1, Math.floor(position * buckets));
    if (bucket > lastBucket) {
      kept.push(point);
      lastBucket = bucket;
    }
  }
  kept.push(last);
  return kept;
}
