/**
 * What a comparison means for the workflow: the `verdict` output and one annotation per
 * regressed metric. Metric names come from the PR; the runner escapes annotation text, and
 * nothing here is Markdown.
 */
import type { ComparisonResult } from '../compare/compare-result.js';
import type { MetricDiff } from '../compare/comparison-types.js';
import { formatDelta, formatPercent, formatValue } from '../text/format-number.js';

/** The `verdict` output of `command: compare`. */
export type ComparisonVerdict = 'regressed' | 'improved' | 'unchanged' | 'no-baseline';

export function comparisonVerdict(comparison: ComparisonResult): ComparisonVerdict {
  if (comparison.experiments.some((e) => e.status === 'failure')) return 'regressed';
  const metrics = comparison.experiments.flatMap((e) => e.runs.flatMap((run) => run.metrics));
  const hasBaseline = comparison.experiments.some((e) => e.runs.some((run) => run.base !== null));
  if (!hasBaseline) return 'no-baseline';
  return metrics.some((m) => m.verdict === 'improved') ? 'improved' : 'unchanged';
}

/** One annotation for a regressed metric (or a failed head run). */
export interface RegressionAnnotation {
  title: string;
  message: string;
}

function thresholdText(metric: MetricDiff): string {
  const { kind, value } = metric.threshold;
  return kind === 'percent' ? `${value}%` : formatValue(value, metric.precision);
}

export function regressionAnnotations(
  comparison: ComparisonResult,
  options: { includeUnfinished: boolean },
): RegressionAnnotation[] {
  const annotations: RegressionAnnotation[] = [];
  for (const experiment of comparison.experiments) {
    for (const run of experiment.runs) {
      const where = `${experiment.experiment}${run.matrixKey ? ` [${run.matrixKey}]` : ''}`;
      for (const metric of run.metrics) {
        if (metric.verdict !== 'regressed') continue;
        const better = metric.direction === 'max' ? 'higher' : 'lower';
        annotations.push({
          title: `ghml: ${metric.key} regressed`,
          message:
            `${where}: ${metric.key} went from ${formatValue(metric.base, metric.precision)} to ` +
            `${formatValue(metric.head, metric.precision)} (${formatDelta(metric.delta, metric.precision)}, ` +
            `${formatPercent(metric.deltaPercent)}); ${better} is better and the threshold is ${thresholdText(metric)}.`,
        });
      }
      if (!options.includeUnfinished && run.headStatus !== 'FINISHED') {
        annotations.push({
          title: `ghml: run ${run.headStatus}`,
          message: `${where}: head run ${run.head.id} is ${run.headStatus}, so the comparison fails.`,
        });
      }
    }
  }
  return annotations;
}

/** Number of regressed metrics. */
export function regressionCount(comparison: ComparisonResult): number {
  return comparison.experiments.reduce(
    (sum, e) =>
      sum +
      e.runs.reduce((n, run) => n + run.metrics.filter((m) => m.verdict === 'regressed').length, 0),
    0,
  );
}
