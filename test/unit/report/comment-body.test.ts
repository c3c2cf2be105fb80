import { describe, expect, it } from 'vitest';
import type { Comparison } from '../../../src/compare/comparison-types.js';
import { buildCommentBody } from '../../../src/report/comment-body.js';
import { formatCommentMarker, parseCommentMarker } from '../../../src/report/comment-marker.js';
import type { MarkdownSection } from '../../../src/report/markdown-section.js';
import { renderMarkdownReport, toMarkdown } from '../../../src/report/markdown-report.js';
import {
  comparison,
  diff,
  experiment,
  mixedComparison,
  mixedRun,
  runComparison,
} from './fixtures.js';

const marker = { kind: 'compare', key: 'iris' };

/** Structural checks every body must pass: whole tables, balanced details and fences. */
function expectWellFormed(body: string): void {
  expect(body.match(/<details>/gu)?.length ?? 0).toBe(body.match(/<\/details>/gu)?.length ?? 0);
  expect((body.match(/^```/gmu)?.length ?? 0) % 2).toBe(0);
  const lines = body.split('\n');
  lines.forEach((line, i) => {
    // A delimiter row always follows a header row and precedes rows or the end of the table.
    if (/^\| :?-/u.test(line)) expect(lines[i - 1]?.startsWith('| ')).toBe(true);
    if (line.startsWith('| ')) expect(line.endsWith(' |')).toBe(true);
  });
}

function manyMetrics(count: number, name: (i: number) => string): Comparison {
  const metrics = Array.from({ length: count }, (_, i) =>
    diff({
      key: name(i),
      base: i,
      head: i % 1000 === 7 ? i - 1 : i + 1,
      verdict: i % 1000 === 7 ? 'regressed' : 'improved',
    }),
  );
  const series = Array.from({ length: 50 }, (_, i) => ({
    key: `m${i}`,
    base: Array.from({ length: 100 }, (__, s) => ({ step: s, value: s })),
    head: Array.from({ length: 100 }, (__, s) => ({ step: s, value: s * 2 })),
  }));
  const params = Array.from({ length: 500 }, (_, i) => ({ key: `p${i}`, base: 'a', head: 'b' }));
  return comparison(
    experiment({
      status: 'failure',
      runs: [
        runComparison({ metrics, series, allParams: params, changedParams: params.slice(0, 3) }),
      ],
    }),
  );
}

describe('buildCommentBody', () => {
  it('writes the marker first, then the sections, unchanged when they fit', () => {
    const sections = renderMarkdownReport(mixedComparison());
    const body = buildCommentBody({ marker, sections });
    expect(body).toBe(`<!-- ghml:compare:iris -->\n${toMarkdown(sections)}`);
    expect(parseCommentMarker(body)).toEqual(marker);
    expect(buildCommentBody({ marker: formatCommentMarker('compare', 'iris'), sections })).toBe(
      body,
    );
    expect(buildCommentBody({ sections })).toBe(toMarkdown(sections));
  });

  it('refuses a marker string it did not format', () => {
    expect(() =>
      buildCommentBody({ marker: '<!-- ghml:compare:x --> @everyone', sections: [] }),
    ).toThrow(/Not a ghml comment marker/u);
  });

  it('cuts charts first, then full param lists, then per-key details', () => {
    const report = comparison(
      experiment({ runs: [mixedRun('seed=1'), mixedRun('seed=2')], status: 'failure' }),
    );
    const sections = renderMarkdownReport(report, { all: true });
    const full = toMarkdown(sections);
    const without = (kinds: string[]) =>
      toMarkdown(sections.filter((s) => !kinds.includes(s.kind))).length;

    // Room for everything but the charts (the note takes some room too).
    const noCharts = buildCommentBody({ marker, sections, maxLength: without(['charts']) + 400 });
    expect(noCharts.length).toBeLessThan(full.length);
    expect(noCharts).not.toContain('```mermaid');
    expect(noCharts).toContain('<summary>All params for seed=1');
    expect(noCharts).toMatch(/Left out: 2 chart sections\. For the full report/u);

    const noAll = buildCommentBody({
      marker,
      sections,
      maxLength: without(['charts', 'all-params']) + 400,
    });
    expect(noAll).not.toContain('All params');
    expect(noAll).toContain('#### seed=2');
    expect(noAll).toMatch(/Left out: 2 chart sections and 2 full param lists\./u);

    const summaryOnly = buildCommentBody({
      marker,
      sections,
      maxLength: without(['charts', 'all-params', 'detail']) + 400,
    });
    expect(summaryOnly).not.toContain('#### seed=');
    expect(summaryOnly).toContain('| seed=1 | ❌ 1 regression | loss | accuracy, bias |');
    expect(summaryOnly).toContain('### iris: ❌ 2 regressions');
    expect(summaryOnly).toMatch(
      /\n\n---\n\n✂️ \*\*Shortened to fit the limit of [\d,]+ characters\.\*\* Left out: 2 chart sections, 2 full param lists and 2 per-key detail sections\. For the full report, see the job summary or run `ghml compare --all` locally\.\n$/u,
    );
    for (const body of [noCharts, noAll, summaryOnly]) expectWellFormed(body);
  });

  it('fits 10,000 metrics, keeping regressions first and saying how many rows were cut', () => {
    const sections = renderMarkdownReport(
      manyMetrics(10_000, (i) => `metric_${i}`),
      { all: true },
    );
    const body = buildCommentBody({ marker, sections });
    expect(body.length).toBeLessThanOrEqual(65536);
    expect(body.startsWith('<!-- ghml:compare:iris -->\n## ghml comparison')).toBe(true);
    expect(body).toContain('### iris: ❌ 10 regressions');
    expect(body).not.toContain('```mermaid');
    expect(body).not.toContain('All params');
    // All ten regressions lead the table, then the rest in order.
    const rows = body.split('\n').filter((l) => l.startsWith('| metric\\_'));
    expect(rows.slice(0, 10).every((r) => r.includes('▼ regressed'))).toBe(true);
    expect(rows[10]).toContain('| metric\\_0 |');
    const shown = rows.length;
    expect(shown).toBeGreaterThan(500);
    expect(body).toContain(`_${(10_000 - shown).toLocaleString('en-US')} more metrics not shown._`);
    expect(body).toMatch(/rows of 1 table\. For the full report/u);
    expectWellFormed(body);
  });

  it('fits huge hostile names', () => {
    const name = (i: number) => `<@x>|${'<'.repeat(6000)}${i}`;
    const sections = renderMarkdownReport(manyMetrics(2000, name));
    const body = buildCommentBody({ marker, sections });
    expect(body.length).toBeLessThanOrEqual(65536);
    expect(body).not.toMatch(/<@x>|@x/u);
    expect(body).toMatch(/more metrics not shown/u);
    expectWellFormed(body);
  });

  it('stays within the limit when even the headings do not fit', () => {
    const experiments = Array.from({ length: 3000 }, (_, i) =>
      experiment({ experiment: `exp-${i}-${'x'.repeat(90)}`, runs: [mixedRun()] }),
    );
    const sections = renderMarkdownReport(comparison(...experiments), { title: 't'.repeat(500) });
    const body = buildCommentBody({ marker, sections, maxLength: 20_000 });
    expect(body.length).toBeLessThanOrEqual(20_000);
    expect(body).toContain('### exp-0-');
    expect(body).toMatch(/other sections/u);
    expectWellFormed(body);

    for (const max of [0, 10, 30, 200]) {
      expect(buildCommentBody({ marker, sections, maxLength: max }).length).toBeLessThanOrEqual(
        max,
      );
    }
  });

  it('cuts rows only at row boundaries in a leaderboard too', () => {
    const section: MarkdownSection = {
      kind: 'leaderboard',
      markdown: '',
      table: {
        head: 'Board:\n\n| # | run |\n| -: | :- |',
        rows: Array.from({ length: 1000 }, (_, i) => ({
          markdown: `| ${i + 1} | r${i} |`,
          important: false,
        })),
        tail: '',
        rowNoun: 'runs',
      },
    };
    section.markdown = [
      section.table?.head,
      ...(section.table?.rows.map((r) => r.markdown) ?? []),
    ].join('\n');
    const body = buildCommentBody({ sections: [section], maxLength: 2000 });
    expect(body.length).toBeLessThanOrEqual(2000);
    expect(body).toContain('| 1 | r0 |\n| 2 | r1 |');
    expect(body).toMatch(/\|\n\n_[\d,]+ more runs not shown\._\n\n---\n/u);
    expectWellFormed(body);
  });
});
