/** Fixture comparisons for the report renderers' tests. */
import type {
  Comparison,
  ExperimentComparison,
  MetricDiff,
  RunComparison,
  RunRef,
} from '../../../src/compare/comparison-types.js';

export const HEAD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
export const BASE = 'f0e1d2c3b4a5968778695a4b3c2d1e0f98765432';

export function runRef(commit: string, matrixKey = '', id = '01J0000000000000000000HEAD'): RunRef {
  return {
    id,
    commit,
    matrixKey,
    workflowUrl: `https://github.com/acme/iris/actions/runs/${commit === HEAD ? '200' : '100'}`,
  };
}

export function diff(partial: Partial<MetricDiff> & Pick<MetricDiff, 'key'>): MetricDiff {
  const base = partial.base === undefined ? 1 : partial.base;
  const head = partial.head === undefined ? 1 : partial.head;
  const delta = base === null || head === null ? null : head - base;
  return {
    base,
    head,
    delta,
    deltaPercent:
      delta === null || base === null || base === 0 ? null : (delta / Math.abs(base)) * 100,
    verdict: 'unchanged',
    direction: 'max',
    threshold: { kind: 'absolute', value: 0 },
    precision: 4,
    ...partial,
  };
}

export function runComparison(partial: Partial<RunComparison> = {}): RunComparison {
  const matrixKey = partial.matrixKey ?? '';
  return {
    matrixKey,
    base: runRef(BASE, matrixKey, '01J0000000000000000000BASE'),
    head: runRef(HEAD, matrixKey),
    metrics: [],
    changedParams: [],
    unchangedParamCount: 0,
    allParams: [],
    series: [],
    ...partial,
  };
}

export function experiment(partial: Partial<ExperimentComparison> = {}): ExperimentComparison {
  return {
    experiment: 'iris',
    baseline: { kind: 'pr-base', sha: BASE },
    baseCommit: BASE,
    headCommit: HEAD,
    runs: [],
    leaderboard: null,
    status: 'success',
    ...partial,
  };
}

export function comparison(...experiments: ExperimentComparison[]): Comparison {
  return { headCommit: HEAD, baseCommit: BASE, experiments };
}

/** improved, regressed, unchanged, new, missing and NaN metrics, params and one series. */
export function mixedRun(matrixKey = ''): RunComparison {
  return runComparison({
    matrixKey,
    metrics: [
      diff({ key: 'accuracy', base: 0.9, head: 0.95, verdict: 'improved' }),
      diff({ key: 'loss', base: 0.2, head: 0.3, verdict: 'regressed', direction: 'min' }),
      diff({ key: 'f1', base: 0.8, head: 0.8, verdict: 'unchanged' }),
      diff({ key: 'auc', base: null, head: 0.77, verdict: 'new' }),
      diff({ key: 'recall', base: 0.5, head: null, verdict: 'missing' }),
      diff({ key: 'grad_norm', base: 1.5, head: Number.NaN, verdict: 'unchanged', precision: 2 }),
      diff({ key: 'bias', base: 0, head: 0.01, verdict: 'improved' }),
    ],
    changedParams: [
      { key: 'lr', base: '0.1', head: '0.01' },
      { key: 'optimizer', base: null, head: 'adam' },
    ],
    unchangedParamCount: 1,
    allParams: [
      { key: 'epochs', base: '10', head: '10' },
      { key: 'lr', base: '0.1', head: '0.01' },
      { key: 'optimizer', base: null, head: 'adam' },
    ],
    series: [
      {
        key: 'loss',
        base: [
          { step: 0, value: 1 },
          { step: 1, value: 0.5 },
          { step: 2, value: 0.2 },
        ],
        head: [
          { step: 0, value: 1.1 },
          { step: 1, value: Number.NaN },
          { step: 2, value: 0.3 },
        ],
      },
    ],
  });
}

/** One experiment, one run, every verdict. */
export function mixedComparison(): Comparison {
  return comparison(experiment({ runs: [mixedRun()], status: 'failure' }));
}

/** No baseline: every metric is new. */
export function noBaselineComparison(): Comparison {
  return comparison(
    experiment({
      baseline: { kind: 'none', reason: 'no run on main within 50 commits' },
      baseCommit: null,
      runs: [
        runComparison({
          base: null,
          metrics: [
            diff({ key: 'accuracy', base: null, head: 0.9, verdict: 'new' }),
            diff({ key: 'loss', base: null, head: Number.POSITIVE_INFINITY, verdict: 'new' }),
          ],
          changedParams: [{ key: 'lr', base: null, head: '0.1' }],
          allParams: [{ key: 'lr', base: null, head: '0.1' }],
        }),
      ],
    }),
  );
}

/** A sweep: three matrix keys and a leaderboard. */
export function sweepComparison(): Comparison {
  const keys = ['lr=0.1,seed=1', 'lr=0.01,seed=1', 'lr=0.001,seed=1'];
  const accuracies = [0.91, 0.95, 0.88];
  const runs = keys.map((matrixKey, index) =>
    runComparison({
      matrixKey,
      metrics: [
        diff({
          key: 'accuracy',
          base: 0.9,
          head: accuracies[index] as number,
          verdict: index === 2 ? 'regressed' : 'improved',
        }),
      ],
      changedParams: [{ key: 'lr', base: '1.0', head: matrixKey.slice(3, -7) }],
      unchangedParamCount: 1,
    }),
  );
  return comparison(
    experiment({
      baseline: { kind: 'ancestor', sha: BASE, distance: 3 },
      runs,
      status: 'failure',
      leaderboard: {
        objective: 'accuracy',
        direction: 'max',
        rows: [1, 0, 2].map((index, rank) => ({
          rank: rank + 1,
          run: runRef(HEAD, keys[index] as string),
          objective: accuracies[index] as number,
          params: { lr: (keys[index] as string).slice(3, -7), seed: '1' },
        })),
      },
    }),
  );
}

/** Every untrusted string is hostile. */
export function hostileComparison(): Comparison {
  const nasty = '<script>alert(1)</script> | @admin `` <!-- x --> [x](javascript:alert(1))\n# h';
  return {
    headCommit: HEAD,
    baseCommit: BASE,
    experiments: [
      experiment({
        experiment: 'exp<b>@team',
        baseline: { kind: 'explicit', ref: 'main`; rm -rf /\n<!--' },
        runs: [
          runComparison({
            matrixKey: 'k=|`@x`|',
            head: { ...runRef(HEAD), workflowUrl: 'javascript:alert(1)' },
            base: { ...runRef(BASE), workflowUrl: 'https://x.test/a)(b|c' },
            metrics: [diff({ key: nasty, base: 1, head: 2, verdict: 'improved' })],
            changedParams: [{ key: nasty, base: '-->', head: '\u001b[31mred\u0007' }],
            series: [
              {
                key: '"] ; line [9]\n```\n</details>%%',
                base: [{ step: 0, value: 1 }],
                head: [{ step: 0, value: 2 }],
              },
            ],
          }),
        ],
      }),
    ],
  };
}
