import { describe, expect, it } from 'vitest';
import { renderJsonReport, toJsonReport } from '../../../src/report/json-report.js';
import { BASE, HEAD, mixedComparison, noBaselineComparison, sweepComparison } from './fixtures.js';

describe('JSON report', () => {
  it('has the documented shape, with non-finite numbers as strings', () => {
    const report = toJsonReport(mixedComparison());
    expect(Object.keys(report)).toEqual([
      'format',
      'status',
      'headCommit',
      'baseCommit',
      'experiments',
    ]);
    expect(report).toMatchObject({
      format: 'ghml.compare/1',
      status: 'failure',
      headCommit: HEAD,
      baseCommit: BASE,
    });
    const [experiment] = report.experiments;
    expect(experiment?.counts).toEqual({
      improved: 2,
      regressed: 1,
      unchanged: 2,
      new: 1,
      missing: 1,
    });
    expect(experiment?.baseline).toEqual({ kind: 'pr-base', sha: BASE });
    const run = experiment?.runs[0];
    expect(run?.metrics.find((m) => m.key === 'grad_norm')).toEqual({
      key: 'grad_norm',
      base: 1.5,
      head: 'NaN',
      delta: 'NaN',
      deltaPercent: 'NaN',
      verdict: 'unchanged',
      direction: 'max',
      threshold: { kind: 'absolute', value: 0 },
      precision: 2,
    });
    expect(run?.metrics.find((m) => m.key === 'auc')).toMatchObject({ base: null, delta: null });
    expect(run?.series[0]?.head[1]).toEqual({ step: 1, value: 'NaN' });
    expect(run?.changedParams).toEqual([
      { key: 'lr', base: '0.1', head: '0.01' },
      { key: 'optimizer', base: null, head: 'adam' },
    ]);
  });

  it('encodes infinities and survives JSON round trips', () => {
    const text = renderJsonReport(noBaselineComparison());
    expect(text.endsWith('}\n')).toBe(true);
    const parsed = JSON.parse(text) as ReturnType<typeof toJsonReport>;
    expect(parsed.experiments[0]?.runs[0]?.metrics[1]?.head).toBe('Infinity');
    expect(parsed.experiments[0]?.runs[0]?.base).toBeNull();
    expect(parsed).toEqual(toJsonReport(noBaselineComparison()));
    expect(text).not.toMatch(/\bNaN\b(?!")|null,\s*null/u);
  });

  it('is stable', async () => {
    await expect(renderJsonReport(sweepComparison())).toMatchFileSnapshot(
      '__snapshots__/sweep.json.txt',
    );
  });
});
