/**
 * Trends: each experiment's objective metric along the main branch's first-parent history,
 * one point per commit that has runs of the experiment. At a commit, each matrix key's run is
 * chosen as `ghml compare` chooses it (the latest FINISHED run, run-matcher.ts); the point is
 * the best of those by the metric's direction, a finite value before a non-finite one. The
 * objective is the configured one, else the first configured metric, else the first metric
 * (by name) any run of the experiment has — the leaderboard's rule.
 */
import type { GhmlConfig } from '../../config/config-types.js';
import { metricSettings } from '../../config/settings-lookup.js';
import { compareKeys } from '../../compare/metric-diff.js';
import { selectByKey } from '../../compare/run-matcher.js';
import { encodeNumber, type RunRecord } from '../../tracking/run-record.js';
import type { TrendPoint, TrendsFile } from './site-data-format.js';

export interface MainCommit {
  sha: string;
  /** Unix seconds (committer date). */
  date: number;
  subject: string;
}

/** The objective metric of an experiment (see the module comment); null without metrics. */
export function objectiveOf(
  config: GhmlConfig,
  experiment: string,
  runs: readonly RunRecord[],
): string | null {
  const settings = Object.hasOwn(config.experiments, experiment)
    ? config.experiments[experiment]
    : undefined;
  if (settings?.objective) return settings.objective;
  const configured = Object.keys(settings?.metrics ?? {});
  if (configured.length > 0) return configured[0] as string;
  let first: string | null = null;
  for (const run of runs)
    for (const key of Object.keys(run.metrics))
      if (first === null || compareKeys(key, first) < 0) first = key;
  return first;
}

function better(a: number, b: number, direction: 'max' | 'min'): boolean {
  if (Number.isFinite(a) !== Number.isFinite(b)) return Number.isFinite(a);
  return direction === 'max' ? a > b : a < b;
}

/** Builds trends.json from main's commits (oldest first) and every run of the site. */
export function buildTrends(
  branch: string,
  commits: readonly MainCommit[],
  runs: readonly RunRecord[],
  config: GhmlConfig,
): TrendsFile {
  const position = new Map(commits.map((c, i) => [c.sha, i]));
  const byExperiment = new Map<string, RunRecord[]>();
  for (const run of runs) {
    let list = byExperiment.get(run.experiment);
    if (list === undefined) byExperiment.set(run.experiment, (list = []));
    list.push(run);
  }
  const experiments: TrendsFile['experiments'] = [];
  for (const [name, all] of [...byExperiment].sort((a, b) => compareKeys(a[0], b[0]))) {
    const objective = objectiveOf(config, name, all);
    if (objective === null) continue;
    const direction = metricSettings(config, name, objective).direction;
    const atCommit = new Map<number, RunRecord[]>();
    for (const run of all) {
      const i = position.get(run.source.commit);
      if (i === undefined || run.status !== 'FINISHED') continue;
      let list = atCommit.get(i);
      if (list === undefined) atCommit.set(i, (list = []));
      list.push(run);
    }
    const points: TrendPoint[] = [];
    for (const [i, list] of [...atCommit].sort((a, b) => a[0] - b[0])) {
      const winners = [...selectByKey(list).values()];
      let best: { run: RunRecord; value: number } | undefined;
      for (const run of winners) {
        if (!Object.hasOwn(run.metrics, objective)) continue;
        const value = (run.metrics[objective] as { value: number }).value;
        if (best === undefined || better(value, best.value, direction)) best = { run, value };
      }
      if (best === undefined) continue;
      points.push({
        commit: i,
        value: encodeNumber(best.value),
        runId: best.run.id,
        runs: winners.length,
      });
    }
    if (points.length > 0) experiments.push({ name, objective, direction, points });
  }
  return {
    format: 1,
    branch,
    commits: commits.map((c) => ({ sha: c.sha, date: c.date, subject: c.subject })),
    experiments,
  };
}
