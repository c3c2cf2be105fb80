/**
 * The comparison as GitHub-flavoured Markdown, for the sticky PR comment and the job
 * summary. Every string from a run is untrusted and escaped. The result is a list of
 * sections so that `buildCommentBody` can cut whole sections (or table rows) to fit.
 */
import { siteCompareUrl } from '../site/site-links.js';
import { markdownTable } from 'markdown-table';
import type {
  Comparison,
  ExperimentComparison,
  LeaderboardRow,
  MetricDiff,
  ParamChange,
  RunComparison,
  RunRef,
} from '../compare/comparison-types.js';
import { commitMarkdown } from './commit-label.js';
import { formatDelta, formatPercent, formatValue, MISSING, plural } from '../text/format-number.js';
import { escapeMarkdown } from '../text/markdown-escape.js';
import { markdownLink } from '../text/markdown-link.js';
import type { MarkdownSection, SectionRow, SectionTable } from './markdown-section.js';
import { renderSectionTable } from './markdown-section.js';
import { renderChartsDetails } from './mermaid-chart.js';
import {
  baselineWords,
  countExperimentVerdicts,
  countVerdicts,
  experimentOutcome,
  outcomeWords,
  runOutcome,
  verdictWords,
  type Outcome,
  type VerdictCounts,
} from './verdict-summary.js';

export { toMarkdown } from './markdown-section.js';
export type { MarkdownSection } from './markdown-section.js';

/** Options of `renderMarkdownReport`. */
export interface MarkdownReportOptions {
  /** List every param (in a collapsed table), not only the changed ones. Default false. */
  all?: boolean;
  /** First heading of the report. Default 'ghml comparison'. */
  title?: string;
  /** Cap on the points of each chart's step axis. Default 100. */
  maxChartPoints?: number;
  /** The published report site (ghml.yml `report.site_url`): each experiment links to its view. */
  siteUrl?: string | undefined;
}

const BADGES: Record<Outcome, string> = {
  regressed: '❌',
  ok: '✅',
  'no-baseline': '⚪',
  'no-runs': '⚪',
};

const NO_MATRIX = '(no matrix)';
const MAX_LEADERBOARD_PARAMS = 6;
const MAX_NAMES_PER_CELL = 5;

/** Renders the comparison as sections; join them with `toMarkdown`. */
export function renderMarkdownReport(
  comparison: Comparison,
  options: MarkdownReportOptions = {},
): MarkdownSection[] {
  const sections: MarkdownSection[] = [titleSection(comparison, options.title)];
  for (const experiment of comparison.experiments) {
    sections.push(...experimentSections(experiment, options));
  }
  return sections;
}

function titleSection(comparison: Comparison, title = 'ghml comparison'): MarkdownSection {
  const heading = `## ${escapeMarkdown(title, { maxLength: 100 })}`;
  const count = comparison.experiments.length;
  const failing = comparison.experiments.filter((e) => experimentOutcome(e) === 'regressed');
  let line = `Head ${commitMarkdown(comparison.headCommit)}`;
  if (count === 0) line += ': no runs found.';
  else if (count === 1) line += '.';
  else line += `: ${plural(count, 'experiment')}, ${formatFailing(failing.length)}.`;
  return { kind: 'title', markdown: `${heading}\n\n${line}` };
}

function formatFailing(count: number): string {
  return count === 0 ? 'none with regressions' : `${count} with regressions`;
}

function badge(outcome: Outcome, counts: VerdictCounts): string {
  return `${BADGES[outcome]} ${outcomeWords(outcome, counts)}`;
}

function experimentSections(
  experiment: ExperimentComparison,
  options: MarkdownReportOptions,
): MarkdownSection[] {
  const outcome = experimentOutcome(experiment);
  const name = escapeMarkdown(experiment.experiment, { maxLength: 100 });
  const lines = [
    `### ${name}: ${badge(outcome, countExperimentVerdicts(experiment))}`,
    `${baselineWords(experiment.baseline, commitMarkdown, (text) => escapeMarkdown(text, { maxLength: 300 }))}.`,
  ];
  const site =
    options.siteUrl !== undefined && experiment.baseCommit !== null
      ? siteCompareUrl(options.siteUrl, {
          base: experiment.baseCommit,
          head: experiment.headCommit,
          experiment: experiment.experiment,
        })
      : undefined;
  if (site !== undefined) lines.push(markdownLink('Charts and every run in the report site', site));
  const single = experiment.runs.length === 1 ? experiment.runs[0] : undefined;
  if (single) lines.push(runLinks(single));
  if (experiment.runs.length === 0) {
    lines.push(`No runs of this experiment at ${commitMarkdown(experiment.headCommit)}.`);
  }
  const sections: MarkdownSection[] = [{ kind: 'heading', markdown: lines.join('\n\n') }];

  if (single) {
    const table = metricTable(single);
    sections.push({ kind: 'summary', markdown: renderSectionTable(table), table });
    sections.push({ kind: 'params', markdown: changedParams(single) });
    if (options.all) sections.push({ kind: 'all-params', markdown: allParams(single, '') });
  } else if (experiment.runs.length > 1) {
    const table = overviewTable(experiment.runs);
    sections.push({ kind: 'summary', markdown: renderSectionTable(table), table });
  }
  if (experiment.leaderboard && experiment.leaderboard.rows.length > 0) {
    const table = leaderboardTable(experiment);
    sections.push({ kind: 'leaderboard', markdown: renderSectionTable(table), table });
  }
  for (const run of experiment.runs) {
    const label = single ? '' : matrixLabel(run.matrixKey);
    if (!single) {
      sections.push({ kind: 'detail', markdown: runDetail(run) });
      if (options.all) sections.push({ kind: 'all-params', markdown: allParams(run, label) });
    }
    const charts = renderChartsDetails(
      run.series,
      `Charts${label ? ` for ${label}` : ''}: ${plural(run.series.length, 'metric')}, head in blue, base in grey`,
      options.maxChartPoints === undefined ? {} : { maxPoints: options.maxChartPoints },
    );
    if (charts !== '') sections.push({ kind: 'charts', markdown: charts });
  }
  return sections;
}

function matrixLabel(matrixKey: string): string {
  return matrixKey === '' ? NO_MATRIX : matrixKey;
}

function runRefLink(run: RunRef): string {
  const link = markdownLink('workflow run', run.workflowUrl);
  return link === 'workflow run'
    ? commitMarkdown(run.commit)
    : `${commitMarkdown(run.commit)} (${link})`;
}

function runLinks(run: RunComparison): string {
  const parts = [];
  if (run.matrixKey !== '') parts.push(`Matrix: ${escapeMarkdown(run.matrixKey)}`);
  parts.push(`Head: ${runRefLink(run.head)}`);
  parts.push(`Base: ${run.base ? runRefLink(run.base) : 'none'}`);
  return parts.join(' · ');
}

function table(
  header: string[],
  rows: string[][],
  align: string[],
): { head: string; rows: string[] } {
  const lines = markdownTable([header, ...rows], { alignDelimiters: false, align }).split('\n');
  return { head: lines.slice(0, 2).join('\n'), rows: lines.slice(2) };
}

const FOOTNOTE_BASE = '¹';
const FOOTNOTE_HEAD = '²';
const FOOTNOTE_PERCENT = '³';

/** The metric table of one run comparison, with a footnote for every '-'. */
function metricTable(run: RunComparison): SectionTable {
  const used = new Set<string>();
  let percentBaseZero = true;
  const cell = (text: string, footnote: string | undefined): string => {
    if (text !== MISSING || footnote === undefined) return text;
    used.add(footnote);
    return `${MISSING}${footnote}`;
  };
  const cells = run.metrics.map((metric: MetricDiff) => {
    const sideMissing =
      metric.base === null ? FOOTNOTE_BASE : metric.head === null ? FOOTNOTE_HEAD : undefined;
    if (metric.deltaPercent === null && sideMissing === undefined && metric.base !== 0) {
      percentBaseZero = false;
    }
    return [
      escapeMarkdown(metric.key),
      cell(formatValue(metric.base, metric.precision), FOOTNOTE_BASE),
      cell(formatValue(metric.head, metric.precision), FOOTNOTE_HEAD),
      cell(formatDelta(metric.delta, metric.precision), sideMissing),
      cell(formatPercent(metric.deltaPercent), sideMissing ?? FOOTNOTE_PERCENT),
      verdictWords(metric.verdict),
    ];
  });
  const built = table(['metric', 'base', 'head', 'Δ', 'Δ%', 'verdict'], cells, [
    'l',
    'r',
    'r',
    'r',
    'r',
    'l',
  ]);
  const notes: string[] = [];
  if (used.has(FOOTNOTE_BASE)) {
    notes.push(
      `${FOOTNOTE_BASE} ${run.base === null ? 'no base run to compare with' : 'not logged by the base run'}.`,
    );
  }
  if (used.has(FOOTNOTE_HEAD)) notes.push(`${FOOTNOTE_HEAD} not logged by the head run.`);
  if (used.has(FOOTNOTE_PERCENT)) {
    notes.push(
      `${FOOTNOTE_PERCENT} ${percentBaseZero ? 'Δ% is undefined when the base is 0' : 'Δ% could not be computed'}.`,
    );
  }
  const rows: SectionRow[] = built.rows.map((markdown, index) => ({
    markdown,
    important: run.metrics[index]?.verdict === 'regressed',
  }));
  if (run.metrics.length === 0) {
    return { head: '_No metrics logged._', rows: [], tail: '', rowNoun: 'metrics' };
  }
  return { head: built.head, rows, tail: notes.join(' '), rowNoun: 'metrics' };
}

function namesCell(metrics: MetricDiff[]): string {
  if (metrics.length === 0) return 'none';
  const shown = metrics
    .slice(0, MAX_NAMES_PER_CELL)
    .map((m) => escapeMarkdown(m.key, { maxLength: 60 }));
  const more = metrics.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

/** One row per matrix key: its verdict and which metrics moved. */
function overviewTable(runs: RunComparison[]): SectionTable {
  const cells = runs.map((run) => [
    escapeMarkdown(matrixLabel(run.matrixKey)),
    badge(runOutcome(run), countVerdicts(run.metrics)),
    namesCell(run.metrics.filter((m) => m.verdict === 'regressed')),
    namesCell(run.metrics.filter((m) => m.verdict === 'improved')),
  ]);
  const built = table(['matrix key', 'verdict', 'regressed', 'improved'], cells, [
    'l',
    'l',
    'l',
    'l',
  ]);
  const rows = built.rows.map((markdown, index) => ({
    markdown,
    important: runs[index] !== undefined && runOutcome(runs[index]) === 'regressed',
  }));
  return { head: built.head, rows, tail: '', rowNoun: 'matrix keys' };
}

function paramValue(value: string | null): string {
  return value === null ? '_(not set)_' : escapeMarkdown(value);
}

function paramsTable(params: ParamChange[]): string {
  const built = table(
    ['param', 'base', 'head'],
    params.map((p) => [escapeMarkdown(p.key), paramValue(p.base), paramValue(p.head)]),
    ['l', 'l', 'l'],
  );
  return [built.head, ...built.rows].join('\n');
}

function changedParams(run: RunComparison): string {
  const unchanged = `${formatUnchanged(run.unchangedParamCount)}`;
  if (run.changedParams.length === 0) return `**Params:** none changed (${unchanged}).`;
  return `**Params:** ${run.changedParams.length} changed, ${unchanged}.\n\n${paramsTable(run.changedParams)}`;
}

function formatUnchanged(count: number): string {
  return `${count} unchanged`;
}

function allParams(run: RunComparison, label: string): string {
  const summary = `All params${label ? ` for ${escapeMarkdown(label)}` : ''} (${run.allParams.length})`;
  const body = run.allParams.length === 0 ? '_No params logged._' : paramsTable(run.allParams);
  // Markdown inside <details> needs blank lines around it to be parsed.
  return `<details>\n<summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

function runDetail(run: RunComparison): string {
  const heading = `#### ${escapeMarkdown(matrixLabel(run.matrixKey))}: ${badge(runOutcome(run), countVerdicts(run.metrics))}`;
  const links = [
    `Head: ${runRefLink(run.head)}`,
    `Base: ${run.base ? runRefLink(run.base) : 'none'}`,
  ];
  return [
    heading,
    links.join(' · '),
    renderSectionTable(metricTable(run)),
    changedParams(run),
  ].join('\n\n');
}

function leaderboardTable(experiment: ExperimentComparison): SectionTable {
  const board = experiment.leaderboard as NonNullable<ExperimentComparison['leaderboard']>;
  const precision =
    experiment.runs.flatMap((r) => r.metrics).find((m) => m.key === board.objective)?.precision ??
    4;
  const paramKeys: string[] = [];
  for (const row of board.rows) {
    for (const key of Object.keys(row.params)) if (!paramKeys.includes(key)) paramKeys.push(key);
  }
  const shownKeys = paramKeys.slice(0, MAX_LEADERBOARD_PARAMS);
  const objective = escapeMarkdown(board.objective, { maxLength: 60 });
  const cells = board.rows.map((row: LeaderboardRow) => [
    String(row.rank),
    escapeMarkdown(matrixLabel(row.run.matrixKey)),
    formatValue(row.objective, precision),
    ...shownKeys.map((key) => {
      const value = Object.hasOwn(row.params, key) ? row.params[key] : undefined;
      return value === undefined ? '_(not set)_' : escapeMarkdown(value, { maxLength: 60 });
    }),
    runRefLink(row.run),
  ]);
  const built = table(
    [
      '#',
      'matrix key',
      objective,
      ...shownKeys.map((k) => escapeMarkdown(k, { maxLength: 60 })),
      'run',
    ],
    cells,
    ['r', 'l', 'r', ...shownKeys.map(() => 'l'), 'l'],
  );
  const direction = board.direction === 'max' ? 'higher is better' : 'lower is better';
  const intro = `**Sweep leaderboard**, ranked by ${objective} (${direction}):`;
  const hidden = paramKeys.length - shownKeys.length;
  return {
    head: `${intro}\n\n${built.head}`,
    rows: built.rows.map((markdown) => ({ markdown, important: false })),
    tail: hidden > 0 ? `${plural(hidden, 'more param')} not shown.` : '',
    rowNoun: 'runs',
  };
}
