/**
 * Deterministic downsampling of a metric series for charts, for input in any order: the
 * points are sorted by step, then thinned by the compare module's downsampler (first and last
 * point kept and, between them, the first point of each equal-width step bucket).
 */
import {
  downsample as downsampleSorted,
  MAX_SERIES_POINTS,
  type SeriesPoint,
} from '../compare/series-downsample.js';

export type { SeriesPoint };

/** Default cap on the points of one charted series. */
export const DEFAULT_MAX_POINTS = MAX_SERIES_POINTS;

/**
 * Returns at most `maxPoints` points (at least 2) of `points`, sorted by step. Input order
 * does not matter; equal steps keep their input order. The input is not modified.
 */
export function downsample<T extends SeriesPoint>(
  points: readonly T[],
  maxPoints: number = DEFAULT_MAX_POINTS,
): T[] {
  const sorted = points
    .map((point, index) => ({ point, index }))
    .sort((a, b) => a.point.step - b.point.step || a.index - b.index)
    .map(({ point }) => point);
  // NaN would make every comparison false inside; fall back to the default cap.
  return downsampleSorted(sorted, Number.isNaN(maxPoints) ? DEFAULT_MAX_POINTS : maxPoints);
}
