/**
 * Reduces a metric series to fewer points without inventing any: the range of steps is cut
 * into buckets and each bucket keeps its first, last, lowest and highest point (the "M4"
 * scheme), plus its first non-finite one, so spikes, plateaus and gaps survive. Used by the
 * build to fit a series into its budget and by the page to draw 100,000 points as a few
 * thousand; every point kept is a real (step, value) pair. Browser-safe.
 */

/**
 * Indices of the points to keep (ascending), at most about 4 × `buckets` + buckets.
 * `steps` must be sorted ascending; all indices are returned when there are few enough.
 */
export function reduceSeries(
  steps: ArrayLike<number>,
  values: ArrayLike<number>,
  buckets: number,
): number[] {
  const n = steps.length;
  const b = Math.max(1, Math.floor(buckets));
  if (n <= b * 4) return Array.from({ length: n }, (_, i) => i);
  const first = steps[0] as number;
  const span = (steps[n - 1] as number) - first;
  const keep: number[] = [];
  let bucket = -1;
  let start = 0;
  let lo = -1;
  let hi = -1;
  let odd = -1;
  const flush = (end: number): void => {
    if (end <= start) return;
    const chosen = [start, end - 1];
    if (lo >= 0) chosen.push(lo);
    if (hi >= 0) chosen.push(hi);
    if (odd >= 0) chosen.push(odd);
    chosen.sort((x, y) => x - y);
    for (let k = 0; k < chosen.length; k++)
      if (k === 0 || chosen[k] !== chosen[k - 1]) keep.push(chosen[k] as number);
  };
  for (let i = 0; i < n; i++) {
    const at =
      span > 0 && Number.isFinite(span)
        ? Math.min(b - 1, Math.floor((((steps[i] as number) - first) / span) * b))
        : Math.min(b - 1, Math.floor((i / n) * b));
    if (at !== bucket) {
      flush(i);
      bucket = at;
      start = i;
      lo = hi = odd = -1;
    }
    const v = values[i] as number;
    if (Number.isFinite(v)) {
      if (lo < 0 || v < (values[lo] as number)) lo = i;
      if (hi < 0 || v > (values[hi] as number)) hi = i;
    } else if (odd < 0) odd = i;
  }
  flush(n);
  return keep;
}

/** The index of the point whose step is nearest to `step` (steps sorted ascending); -1 if none. */
export function nearestIndex(steps: ArrayLike<number>, step: number): number {
  const n = steps.length;
  if (n === 0 || Number.isNaN(step)) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((steps[mid] as number) < step) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && step - (steps[lo - 1] as number) <= (steps[lo] as number) - step) return lo - 1;
  return lo;
}
