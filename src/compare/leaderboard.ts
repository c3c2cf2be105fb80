/**
 * The leaderboard of a sweep (head runs with several matrix keys), ranked on the experiment's
 * objective metric: the configured objective, else the first configured metric, else the first
 * metric (alphabetically) any head run has. Order: finite values by the metric's direction;
 * then NaN/±Infinity (broken); then runs without the metric; then runs that did not finish.
 * Ties: by matrix key, then run id. Ranks are 1, 2, 3, ... in that order.
 *
 * `params` of a row holds only the params that differ between the rows (what the sweep
 * varied), so the table stays readable; identical params are left out.
 */
import type { MetricDirection } from '../config/config-types.js';
import type { RunRecord } from '../tracking/run-record.js';
import type { ExperimentComparison, LeaderboardRow } from './comparison-types.js';
import type { MatchedPair } from './run-matcher.js';
import { compareKeys } from './metric-diff.js';
import { toRunRef } from './run-ref.js';

export type Leaderboard = NonNullable<ExperimentComparison['leaderboard']>;

/** Null when there are fewer than two keys, or no metric to rank on. */
export function buildLeaderboard(
  pairs: readonly MatchedPair[],
  configuredObjective: string | null,
  directionOf: (metric: string) => MetricDirection,
): Leaderboard | null {
  if (pairs.length < 2) return null;
  const objective = configuredObjective ?? firstMetric(pairs.map((pair) => pair.head));
  if (objective === null) return null;
  const direction = directionOf(objective);
  const varying = varyingParams(pairs.map((pair) => pair.head));

  const entries = pairs.map((pair) => {
    const summary = Object.hasOwn(pair.head.metrics, objective)
      ? pair.head.metrics[objective]
      : undefined;
    const value = summary === undefined ? null : summary.value;
    return { pair, value, group: groupOf(pair.head, value) };
  });
  entries.sort(
    (a, b) =>
      a.group - b.group ||
      byValue(a.value, b.value, direction) ||
      compareKeys(a.pair.matrixKey, b.pair.matrixKey) ||
      compareKeys(a.pair.head.id, b.pair.head.id),
  );
  const rows: LeaderboardRow[] = entries.map((entry, index) => ({
    rank: index + 1,
    run: toRunRef(entry.pair.head),
    objective: entry.value,
    params: pick(entry.pair.head.params, varying),
  }));
  return { objective, direction, rows };
}

function groupOf(run: RunRecord, value: number | null): number {
  if (run.status !== 'FINISHED') return 3;
  if (value === null) return 2;
  return Number.isFinite(value) ? 0 : 1;
}

function byValue(a: number | null, b: number | null, direction: MetricDirection): number {
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || a === b) return 0;
  return direction === 'max' ? b - a : a - b;
}

function firstMetric(runs: readonly RunRecord[]): string | null {
  const keys = runs.flatMap((run) => Object.keys(run.metrics)).sort(compareKeys);
  return keys[0] ?? null;
}

function varyingParams(runs: readonly RunRecord[]): string[] {
  const keys = [...new Set(runs.flatMap((run) => Object.keys(run.params)))].sort(compareKeys);
  return keys.filter((key) => {
    const values = new Set(
      runs.map((run) => (Object.hasOwn(run.params, key) ? run.params[key] : undefined)),
    );
    return values.size > 1;
  });
}

/** Own-property copy (a param may be named `__proto__`: fromEntries defines, never assigns). */
function pick(params: Record<string, string>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    keys.flatMap((key) => {
      const value = Object.hasOwn(params, key) ? params[key] : undefined;
      return value === undefined ? [] : [[key, value] as const];
    }),
  );
}
