/** The verdict output and the regression annotations of `command: compare`. */
import { describe, expect, it } from 'vitest';
import {
  comparisonVerdict,
  regressionAnnotations,
  regressionCount,
} from '../../../src/action/comparison-outcome.js';
import type { ComparisonResult, RunComparisonResult } from '../../../src/compare/compare-result.js';
import type { MetricDiff } from '../../../src/compare/comparison-types.js';

function metric(
  key: string,
  base: number | null,
  head: number,
  verdict: MetricDiff['verdict'],
): MetricDiff {
  return {
    key,
    base,
    head,
    delta: base === null ? null : head - base,
    deltaPercent: base === null ? null : ((head - base) / Math.abs(base)) * 100,
    verdict,
    direction: 'max',
    threshold: { kind: 'percent', value: 1 },
    precision: 4,
  };
}

function comparison(
  metrics: MetricDiff[],
  options: { base?: boolean; status?: RunComparisonResult['headStatus'] } = {},
): ComparisonResult {
  const ref = (id: string) => ({
    id,
    commit: 'a'.repeat(40),
    matrixKey: 'seed=1',
    workflowUrl: null,
  });
  const run: RunComparisonResult = {
    matrixKey: 'seed=1',
    base: options.base === false ? null : ref('B'),
    head: ref('H'),
    metrics,
    changedParams: [],
    unchangedParamCount: 0,
    allParams: [],
    series: [],
    headStatus: options.status ?? 'FINISHED',
  };
  const failed = metrics.some((m) => m.verdict === 'regressed') || run.headStatus !== 'FINISHED';
  return {
    headCommit: 'a'.repeat(40),
    baseCommit: null,
    headSource: 'pr-head',
    notes: [],
    experiments: [
      {
        experiment: 'iris',
        baseline: { kind: 'pr-base', sha: 'b'.repeat(40) },
        baseCommit: 'b'.repeat(40),
        headCommit: 'a'.repeat(40),
        runs: [run],
        leaderboard: null,
        status: failed ? 'failure' : 'success',
        missingKeys: [],
      },
    ],
  };
}

describe('comparison outcome', () => {
  it('names the verdict', () => {
    expect(comparisonVerdict(comparison([metric('acc', 0.9, 0.95, 'improved')]))).toBe('improved');
    expect(comparisonVerdict(comparison([metric('acc', 0.9, 0.9, 'unchanged')]))).toBe('unchanged');
    expect(comparisonVerdict(comparison([metric('acc', 0.9, 0.5, 'regressed')]))).toBe('regressed');
    expect(comparisonVerdict(comparison([metric('acc', null, 0.9, 'new')], { base: false }))).toBe(
      'no-baseline',
    );
  });

  it('annotates each regressed metric with a title, values and the threshold', () => {
    const result = comparison([
      metric('acc', 0.9, 0.81, 'regressed'),
      metric('f1', 0.5, 0.6, 'improved'),
    ]);
    expect(regressionCount(result)).toBe(1);
    expect(regressionAnnotations(result, { includeUnfinished: false })).toEqual([
      {
        title: 'ghml: acc regressed',
        message:
          'iris [seed=1]: acc went from 0.9000 to 0.8100 (-0.0900, -10.00%); higher is better and the threshold is 1%.',
      },
    ]);
  });

  it('annotates a head run that did not finish unless unfinished runs are compared', () => {
    const result = comparison([], { status: 'KILLED' });
    expect(regressionAnnotations(result, { includeUnfinished: false })).toEqual([
      {
        title: 'ghml: run KILLED',
        message: 'iris [seed=1]: head run H is KILLED, so the comparison fails.',
      },
    ]);
    expect(regressionAnnotations(result, { includeUnfinished: true })).toEqual([]);
  });
});
