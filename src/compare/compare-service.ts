/**
 * The comparison service: finds the head and baseline runs of each experiment, pairs them per
 * matrix key and computes metric and param diffs, series and a sweep leaderboard. The CLI and
 * the action both call `compareRuns`; rendering is src/report's job.
 *
 * Cost is proportional to the runs at the head and base commits: one `runsAtCommit` for head,
 * and per experiment one `rev-list`, one batched `commitsWithRuns`, a few `runsAtCommit` and one
 * `readMetrics` per compared run. Nothing lists the tracking history.
 */
import type { GitRunner } from '../git/git-runner.js';
import type { RunRecord } from '../tracking/run-record.js';
import type { Comparison } from './comparison-types.js';
import type {
  ComparisonResult,
  ExperimentComparisonResult,
  RunComparisonResult,
} from './compare-result.js';
import type { MetricSettingsLookup, ObjectiveLookup, RunSource } from './run-source.js';
import { BaselineResolver } from './baseline-resolver.js';
import { CommitHistory } from './commit-history.js';
import { NoRunsAtHeadError } from './compare-errors.js';
import { resolveHead } from './head-resolver.js';
import { buildLeaderboard } from './leaderboard.js';
import { anyRegressed, compareKeys, diffMetrics } from './metric-diff.js';
import { diffParams } from './param-diff.js';
import { matchRuns } from './run-matcher.js';
import { toRunRef } from './run-ref.js';
import { SeriesLoader } from './series-loader.js';

export interface CompareOptions {
  runSource: RunSource;
  git: GitRunner;
  settingsLookup: MetricSettingsLookup;
  objectiveLookup: ObjectiveLookup;
  /** Experiments to compare, in this order. Default: every experiment with a run at head. */
  experiments?: readonly string[];
  /** `--base <rev|run-id>`. */
  base?: string;
  /** `--head <rev|run-id>`. */
  head?: string;
  /** PR base sha from the event payload. */
  prBaseSha?: string;
  /** PR head sha from the event payload (never the merge commit). */
  prHeadSha?: string;
  /** Remote to deepen a shallow clone from (config `tracking.remote`). */
  remote: string;
  /** First-parent steps searched for a baseline. Default 100. */
  maxWalk?: number;
  /** Compare unfinished (FAILED/KILLED/RUNNING) runs like finished ones. Default false. */
  includeUnfinished?: boolean;
  /** Load metric series for charts. Default true. */
  series?: boolean;
}

/**
 * Compares the runs at head with their baselines. A missing baseline is not an error (the
 * experiment gets `baseline.kind = 'none'` and every metric is 'new'); no run at head is a
 * `NoRunsAtHeadError`. An experiment requested in `experiments` without a head run is left out.
 * `baseCommit` at the top is the first experiment's base commit (each experiment has its own).
 */
export async function compareRuns(options: CompareOptions): Promise<ComparisonResult> {
  const { runSource, git, remote } = options;
  const includeUnfinished = options.includeUnfinished ?? false;
  const history = new CommitHistory(git, remote);
  const baselines = new BaselineResolver({
    git,
    runSource,
    remote,
    history,
    includeUnfinished,
    ...(options.base === undefined ? {} : { base: options.base }),
    ...(options.prBaseSha === undefined ? {} : { prBaseSha: options.prBaseSha }),
    ...(options.maxWalk === undefined ? {} : { maxWalk: options.maxWalk }),
  });
  const head = await resolveHead({
    git,
    history,
    runSource,
    ...(options.head === undefined ? {} : { head: options.head }),
    ...(options.prHeadSha === undefined ? {} : { prHeadSha: options.prHeadSha }),
  });
  await baselines.validate();

  const byExperiment =
    head.run === undefined
      ? await headRunsByExperiment(runSource, head.commit, options.experiments)
      : pinnedHead(head.run, options.experiments);
  if (byExperiment.size === 0) {
    throw new NoRunsAtHeadError(head.commit, options.experiments ?? [], head.note ?? undefined);
  }

  const series = options.series === false ? null : new SeriesLoader(runSource);
  const experiments: ExperimentComparisonResult[] = [];
  for (const [experiment, runs] of byExperiment) {
    const baseline = await baselines.resolve(experiment, head.commit);
    const match = matchRuns(runs, baseline.runs, { pinned: baseline.pinned });
    const settingsOf = (key: string) => options.settingsLookup(experiment, key);

    const compared: RunComparisonResult[] = [];
    for (const pair of match.pairs) {
      const params = diffParams(pair.base?.params ?? null, pair.head.params);
      compared.push({
        matrixKey: pair.matrixKey,
        base: pair.base === null ? null : toRunRef(pair.base),
        head: toRunRef(pair.head),
        metrics: diffMetrics(pair.base?.metrics ?? null, pair.head.metrics, settingsOf),
        changedParams: params.changed,
        unchangedParamCount: params.unchangedCount,
        allParams: params.all,
        series: series === null ? [] : await series.load(pair.head, pair.base),
        headStatus: pair.head.status,
      });
    }
    const failed = compared.some(
      (run) => anyRegressed(run.metrics) || (!includeUnfinished && run.headStatus !== 'FINISHED'),
    );
    experiments.push({
      experiment,
      baseline: baseline.source,
      baseCommit: baseline.commit,
      headCommit: head.commit,
      runs: compared,
      leaderboard: buildLeaderboard(
        match.pairs,
        options.objectiveLookup(experiment),
        (metric) => settingsOf(metric).direction,
      ),
      status: failed ? 'failure' : 'success',
      missingKeys: match.missing.map((missing) => ({
        matrixKey: missing.matrixKey,
        base: toRunRef(missing.base),
      })),
    });
  }

  return {
    headCommit: head.commit,
    baseCommit: experiments.find((e) => e.baseCommit !== null)?.baseCommit ?? null,
    experiments,
    headSource: head.source,
    notes: head.note === null ? [] : [head.note],
  };
}

/** True when any experiment's status is 'failure' (a metric regressed, or a head run failed). */
export function hasRegression(comparison: Comparison): boolean {
  return comparison.experiments.some((experiment) => experiment.status === 'failure');
}

/** `--head <run-id>`: that run alone, unless `experiments` leaves its experiment out. */
function pinnedHead(
  run: RunRecord,
  experiments: readonly string[] | undefined,
): Map<string, RunRecord[]> {
  if (experiments !== undefined && !experiments.includes(run.experiment)) return new Map();
  return new Map([[run.experiment, [run]]]);
}

async function headRunsByExperiment(
  runSource: RunSource,
  commit: string,
  experiments: readonly string[] | undefined,
): Promise<Map<string, RunRecord[]>> {
  const runs =
    experiments === undefined
      ? await runSource.runsAtCommit(commit)
      : (await Promise.all(experiments.map((e) => runSource.runsAtCommit(commit, e)))).flat();
  const grouped = new Map<string, RunRecord[]>();
  for (const run of runs) {
    if (experiments !== undefined && !experiments.includes(run.experiment)) continue;
    let list = grouped.get(run.experiment);
    if (!list) grouped.set(run.experiment, (list = []));
    if (!list.some((seen) => seen.id === run.id)) list.push(run);
  }
  const order =
    experiments === undefined
      ? [...grouped.keys()].sort(compareKeys)
      : experiments.filter((e, i) => grouped.has(e) && experiments.indexOf(e) === i);
  return new Map(order.map((e) => [e, grouped.get(e) ?? []]));
}
