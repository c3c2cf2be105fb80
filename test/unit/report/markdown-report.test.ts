import { describe, expect, it } from 'vitest';
import { renderMarkdownReport, toMarkdown } from '../../../src/report/markdown-report.js';
import {
  comparison,
  experiment,
  hostileComparison,
  mixedComparison,
  mixedRun,
  noBaselineComparison,
  sweepComparison,
} from './fixtures.js';

describe('renderMarkdownReport', () => {
  it('renders improved, regressed, unchanged, new, missing and NaN metrics', async () => {
    const sections = renderMarkdownReport(mixedComparison());
    expect(sections.map((s) => s.kind)).toEqual([
      'title',
      'heading',
      'summary',
      'params',
      'charts',
    ]);
    await expect(toMarkdown(sections)).toMatchFileSnapshot('__snapshots__/mixed.md.txt');
  });

  it('links each experiment to its comparison on the report site when one is published', () => {
    const c = mixedComparison();
    const [first] = c.experiments;
    const markdown = toMarkdown(
      renderMarkdownReport(c, { siteUrl: 'https://acme.github.io/iris/' }),
    );
    expect(markdown).toContain(
      `[Charts and every run in the report site](https://acme.github.io/iris/#/compare?base=${first?.baseCommit}&head=${first?.headCommit}&experiment=${first?.experiment})`,
    );
    expect(toMarkdown(renderMarkdownReport(c))).not.toContain('report site');
    // A site URL that is not http(s) gives no link at all.
    expect(toMarkdown(renderMarkdownReport(c, { siteUrl: 'javascript:alert(1)' }))).not.toContain(
      'report site',
    );
  });

  it('lists every param in a collapsed table with all', async () => {
    const sections = renderMarkdownReport(mixedComparison(), { all: true, title: 'Model report' });
    expect(sections.map((s) => s.kind)).toEqual([
      'title',
      'heading',
      'summary',
      'params',
      'all-params',
      'charts',
    ]);
    await expect(toMarkdown(sections)).toMatchFileSnapshot('__snapshots__/mixed-all.md.txt');
  });

  it('says why there is no baseline', async () => {
    await expect(toMarkdown(renderMarkdownReport(noBaselineComparison()))).toMatchFileSnapshot(
      '__snapshots__/no-baseline.md.txt',
    );
  });

  it('renders a sweep: overview, leaderboard and one detail per matrix key', async () => {
    const sections = renderMarkdownReport(sweepComparison());
    expect(sections.map((s) => s.kind)).toEqual([
      'title',
      'heading',
      'summary',
      'leaderboard',
      'detail',
      'detail',
      'detail',
    ]);
    await expect(toMarkdown(sections)).toMatchFileSnapshot('__snapshots__/sweep.md.txt');
  });

  it('renders several experiments and matrix keys with charts', async () => {
    const report = comparison(
      experiment({
        experiment: 'iris',
        runs: [mixedRun('seed=1'), mixedRun('seed=2')],
        status: 'failure',
      }),
      experiment({ experiment: 'wine', runs: [], baseline: { kind: 'none', reason: 'first run' } }),
    );
    await expect(toMarkdown(renderMarkdownReport(report))).toMatchFileSnapshot(
      '__snapshots__/several.md.txt',
    );
  });

  it('escapes every hostile string', async () => {
    const markdown = toMarkdown(renderMarkdownReport(hostileComparison(), { all: true }));
    await expect(markdown).toMatchFileSnapshot('__snapshots__/hostile.md.txt');
    // eslint-disable-next-line no-control-regex -- looking for control characters
    expect(markdown).not.toMatch(/<script|<b>|<!--|-->|\u001b|\u0007/u);
    // The link syntax is escaped, and the unsafe workflow URL is not linked.
    expect(markdown).not.toMatch(/(?<!\\)\]\(javascript:/u);
    expect(markdown).toContain('Head: `a1b2c3d` · Base:');
    expect(markdown).not.toMatch(/@(?!\u200D)/u);
    // Every table row has exactly its columns: no cell leaks a pipe.
    for (const line of markdown.split('\n').filter((l) => l.startsWith('| '))) {
      const cells = line.split(/(?<!\\)\|/u).length - 2;
      expect([3, 6]).toContain(cells);
    }
    // Fences and details stay balanced.
    expect(markdown.match(/^```/gmu)?.length).toBe(2);
    expect(markdown.match(/<details>/gu)?.length).toBe(markdown.match(/<\/details>/gu)?.length);
  });

  it('says when there are no runs at all', () => {
    const markdown = toMarkdown(renderMarkdownReport(comparison()));
    expect(markdown).toBe('## ghml comparison\n\nHead `a1b2c3d`: no runs found.\n');
  });
});
