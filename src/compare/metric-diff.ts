/**
 * Metric diffs and verdicts. Each metric's compared value is its summary `value` (the last
 * value logged). `delta` is `head - base` and `deltaPercent` is `delta / |base| * 100`, both
 * with IEEE arithmetic (so NaN/±Infinity propagate) and null when a side is missing;
 * `deltaPercent` is also null when base is 0.
 *
 * Verdicts. "finite" is any finite number; "non-finite" is NaN, +Infinity or -Infinity. A
 * non-finite value means a broken metric (a diverged loss, a division by zero), so it is
 * worse than every finite value whatever the direction: a loss dropping to -Infinity must not
 * pass the gate as an improvement.
 *
 * | base                | head                   | verdict                                       |
 * |---------------------|------------------------|-----------------------------------------------|
 * | missing             | any                    | new                                           |
 * | any                 | missing                | missing                                       |
 * | finite              | finite                 | unchanged if within the threshold, else       |
 * |                     |                        | improved/regressed by direction (see below)   |
 * | finite              | NaN, +Infinity, -Inf   | regressed                                     |
 * | NaN, +Inf, -Inf     | finite                 | improved                                      |
 * | NaN                 | NaN                    | unchanged                                     |
 * | +Infinity           | +Infinity              | unchanged                                     |
 * | -Infinity           | -Infinity              | unchanged                                     |
 * | non-finite          | another non-finite     | unchanged (broken on both sides; Δ shows it)  |
 *
 * Threshold, both sides finite, `delta = head - base`:
 * - absolute `t`: `|delta| <= t` is unchanged;
 * - percent `t`: `|delta| <= t% of |base|` is unchanged; with base 0 that allows no change at
 *   all, so any change is improved/regressed (Δ% itself is null then);
 * - otherwise `max`: delta > 0 improved, else regressed; `min`: delta < 0 improved, else
 *   regressed.
 * Boundary comparisons tolerate floating-point rounding (1e-9 of the threshold plus a few ulps
 * of the values), so a change of exactly the threshold is unchanged. A negative threshold is
 * treated as 0.
 */
import type { MetricDirection, MetricSettings, Threshold } from '../config/config-types.js';
import type { MetricSummary } from '../tracking/run-record.js';
import type { MetricDiff, Verdict } from './comparison-types.js';

/** Verdict for one metric; `null` is a missing side. */
export function verdictOf(
  base: number | null,
  head: number | null,
  direction: MetricDirection,
  threshold: Threshold,
): Verdict {
  if (base === null) return 'new';
  if (head === null) return 'missing';
  const baseOk = Number.isFinite(base);
  const headOk = Number.isFinite(head);
  if (!baseOk || !headOk) {
    if (baseOk) return 'regressed';
    if (headOk) return 'improved';
    return 'unchanged';
  }
  const delta = head - base;
  const t = Math.max(0, threshold.value);
  const allowed = threshold.kind === 'absolute' ? t : (t / 100) * Math.abs(base);
  const rounding = 1e-9 * allowed + 4 * Number.EPSILON * Math.max(Math.abs(base), Math.abs(head));
  if (Math.abs(delta) <= allowed + rounding) return 'unchanged';
  const better = direction === 'max' ? delta > 0 : delta < 0;
  return better ? 'improved' : 'regressed';
}

/** One metric's diff from the two summaries (undefined = the run has no such metric). */
export function diffMetric(
  key: string,
  base: MetricSummary | undefined,
  head: MetricSummary | undefined,
  settings: MetricSettings,
): MetricDiff {
  const b = base === undefined ? null : base.value;
  const h = head === undefined ? null : head.value;
  const delta = b === null || h === null ? null : h - b;
  const deltaPercent = delta === null || b === null || b === 0 ? null : (delta / Math.abs(b)) * 100;
  return {
    key,
    base: b,
    head: h,
    delta,
    deltaPercent,
    verdict: verdictOf(b, h, settings.direction, settings.threshold),
    direction: settings.direction,
    threshold: settings.threshold,
    precision: settings.precision,
  };
}

/**
 * Diffs of every metric present in either run, sorted by key. `base` is null when there is no
 * baseline run (every metric is then 'new').
 */
export function diffMetrics(
  base: Record<string, MetricSummary> | null,
  head: Record<string, MetricSummary>,
  settingsOf: (key: string) => MetricSettings,
): MetricDiff[] {
  const keys = new Set([...Object.keys(head), ...Object.keys(base ?? {})]);
  return [...keys]
    .sort(compareKeys)
    .map((key) => diffMetric(key, own(base, key), own(head, key), settingsOf(key)));
}

/** True when any diff regressed. */
export function anyRegressed(diffs: readonly MetricDiff[]): boolean {
  return diffs.some((diff) => diff.verdict === 'regressed');
}

function own<T>(record: Record<string, T> | null, key: string): T | undefined {
  return record !== null && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Plain code-unit order: deterministic, independent of the machine's locale. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
