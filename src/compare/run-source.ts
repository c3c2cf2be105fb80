/**
 * What the comparison needs from the outside world besides git: the runs on the tracking
 * branch, and the settings of experiments and metrics. Kept small so compare never depends on
 * how the tracking store or the config loader are written.
 */
import type { MetricSettings } from '../config/config-types.js';
import type { MetricPoint, RunRecord } from '../tracking/run-record.js';

/**
 * Read access to the runs compare looks at. Every method is proportional to the runs of the
 * commits asked about, never to the size of the tracking history.
 */
export interface RunSource {
  /** Every run trained on `commit` (of `experiment`, if given), in any order. */
  runsAtCommit(commit: string, experiment?: string): Promise<RunRecord[]>;
  /**
   * Of the given commits, the ones with at least one run (of `experiment`, if given).
   * One cheap batched lookup, whatever the number of commits.
   */
  commitsWithRuns(commits: readonly string[], experiment?: string): Promise<Set<string>>;
  /** The full metric series of a run (metrics.jsonl). */
  readMetrics(run: RunRecord): Promise<MetricPoint[]>;
  /** A run by id (or unique id prefix); undefined when there is none. */
  findRun(id: string): Promise<RunRecord | undefined>;
}

/** Direction, threshold and precision of one metric of one experiment (config `metricSettings`). */
export type MetricSettingsLookup = (experiment: string, key: string) => MetricSettings;

/**
 * The metric a sweep's leaderboard ranks on: the configured `objective`, else the first
 * configured metric, else null (compare then uses the first metric alphabetically).
 */
export type ObjectiveLookup = (experiment: string) => string | null;
