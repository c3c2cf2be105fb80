/**
 * Counting verdicts and wording them, shared by the Markdown and terminal renderers so the
 * two always agree.
 */
import type {
  BaselineSource,
  ExperimentComparison,
  MetricDiff,
  RunComparison,
  Verdict,
} from '../compare/comparison-types.js';
import { plural } from '../text/format-number.js';

/** How many metrics got each verdict. */
export type VerdictCounts = Record<Verdict, number>;

/** Counts the verdicts of the given metric diffs. */
export function countVerdicts(metrics: readonly MetricDiff[]): VerdictCounts {
  const counts: VerdictCounts = { improved: 0, regressed: 0, unchanged: 0, new: 0, missing: 0 };
  for (const metric of metrics) counts[metric.verdict] += 1;
  return counts;
}

/** Counts over every run of an experiment. */
export function countExperimentVerdicts(experiment: ExperimentComparison): VerdictCounts {
  return countVerdicts(experiment.runs.flatMap((run) => run.metrics));
}

/** The overall state of an experiment or run, for badges and colours. */
export type Outcome = 'regressed' | 'ok' | 'no-baseline' | 'no-runs';

export function experimentOutcome(experiment: ExperimentComparison): Outcome {
  if (experiment.runs.length === 0) return 'no-runs';
  const counts = countExperimentVerdicts(experiment);
  if (experiment.status === 'failure' || counts.regressed > 0) return 'regressed';
  if (experiment.baseline.kind === 'none' || experiment.runs.every((run) => run.base === null)) {
    return 'no-baseline';
  }
  return 'ok';
}

export function runOutcome(run: RunComparison): Outcome {
  if (countVerdicts(run.metrics).regressed > 0) return 'regressed';
  return run.base === null ? 'no-baseline' : 'ok';
}

/** Words for an outcome: `2 regressions`, `no regressions, 3 improved`, `no baseline`. */
export function outcomeWords(outcome: Outcome, counts: VerdictCounts): string {
  switch (outcome) {
    case 'no-runs':
      return 'no runs';
    case 'no-baseline':
      return 'no baseline';
    case 'regressed':
      return counts.regressed > 0 ? plural(counts.regressed, 'regression') : 'failed';
    case 'ok':
      return counts.improved > 0
        ? `no regressions, ${formatImproved(counts.improved)}`
        : 'no regressions';
  }
}

function formatImproved(count: number): string {
  return `${plural(count, 'metric')} improved`;
}

/** Words for a verdict, with the arrow used in tables. */
export function verdictWords(verdict: Verdict): string {
  switch (verdict) {
    case 'improved':
      return '▲ improved';
    case 'regressed':
      return '▼ regressed';
    default:
      return verdict;
  }
}

/**
 * Why this baseline: `PR base abc1234`, `abc1234, the nearest ancestor with a run, 3
 * commits back`, `no baseline: <reason>`. `commit` renders a commit or ref, `text` renders
 * untrusted free text (both escape for their output format).
 */
export function baselineWords(
  baseline: BaselineSource,
  commit: (ref: string) => string,
  text: (free: string) => string,
): string {
  switch (baseline.kind) {
    case 'pr-base':
      return `Baseline: PR base ${commit(baseline.sha)}`;
    case 'explicit':
      return `Baseline: ${commit(baseline.ref)} (chosen explicitly)`;
    case 'ancestor': {
      const back =
        baseline.distance <= 0 ? 'the same commit' : `${plural(baseline.distance, 'commit')} back`;
      return `Baseline: ${commit(baseline.sha)}, the nearest ancestor with a run, ${back}`;
    }
    case 'none':
      return `No baseline: ${text(baseline.reason)}`;
  }
}
