/**
 * Which runs' full metric series go into a static build. Reading metrics.jsonl costs a blob
 * per run (fetched over the network in a blobless clone), so 100,000 runs cannot all be read
 * within the build's time budget. The choice needs no read: point counts come from the run
 * summaries. Order of preference: runs that registered model versions, then the newest runs;
 * a run is taken while both budgets (runs, total points) allow it, and a run larger than
 * `maxRunPoints` is taken reduced to that many points. Deterministic for the same inputs.
 */
import type { RunRecord } from '../../tracking/run-record.js';
import type { SeriesFlag } from './run-shard-codec.js';

export interface SeriesBudget {
  /** At most this many runs get a series file. */
  maxRuns: number;
  /** At most this many points in all series files together. */
  maxPoints: number;
  /** A run with more points is reduced to this many. */
  maxRunPoints: number;
}

export const DEFAULT_SERIES_BUDGET: Readonly<SeriesBudget> = {
  maxRuns: 1000,
  maxPoints: 2_000_000,
  maxRunPoints: 250_000,
};

/** Points in a run's metrics.jsonl, from its summaries. */
export function pointCount(run: RunRecord): number {
  let n = 0;
  for (const summary of Object.values(run.metrics)) n += summary.count;
  return n;
}

/**
 * The chosen runs' ids with their flag (1 complete, 2 reduced). `runs` must be newest first;
 * `preferred` are ids to take first (e.g. the runs model versions were registered from).
 */
export function selectSeriesRuns(
  runs: readonly RunRecord[],
  preferred: ReadonlySet<string>,
  budget: SeriesBudget,
): Map<string, SeriesFlag> {
  const chosen = new Map<string, SeriesFlag>();
  let points = 0;
  const consider = (run: RunRecord): void => {
    if (chosen.size >= budget.maxRuns || chosen.has(run.id)) return;
    const count = pointCount(run);
    if (count === 0) return;
    const kept = Math.min(count, budget.maxRunPoints);
    if (points + kept > budget.maxPoints) return;
    points += kept;
    chosen.set(run.id, kept < count ? 2 : 1);
  };
  for (const run of runs) if (preferred.has(run.id)) consider(run);
  for (const run of runs) consider(run);
  return chosen;
}
