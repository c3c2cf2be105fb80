/**
 * The comparison as terminal text: aligned columns, and colour only when asked (the CLI
 * decides from the TTY and NO_COLOR). Untrusted strings lose their control characters so a
 * metric name cannot move the cursor or recolour the terminal.
 */
import type {
  Comparison,
  ExperimentComparison,
  MetricDiff,
  ParamChange,
  RunComparison,
  RunRef,
  Verdict,
} from '../compare/comparison-types.js';
import { shortCommit } from './commit-label.js';
import { safeHttpUrl } from '../text/markdown-link.js';
import { formatDelta, formatPercent, formatValue, plural } from '../text/format-number.js';
import {
  cleanForTerminal,
  columns,
  painter,
  type AnsiStyle,
  type Paint,
} from '../text/text-columns.js';
import {
  baselineWords,
  countExperimentVerdicts,
  countVerdicts,
  experimentOutcome,
  outcomeWords,
  runOutcome,
  verdictWords,
  type Outcome,
} from './verdict-summary.js';

/** Options of `renderTextReport`. */
export interface TextReportOptions {
  /** Use ANSI colours. Without it the output holds no escape sequence at all. */
  color: boolean;
  /** List every param, not only the changed ones. Default false. */
  all?: boolean;
}

const CELL_LENGTH = 80;

/** Cleans and caps an untrusted string for the terminal. */
function clean(text: string, max = CELL_LENGTH): string {
  return cleanForTerminal(text, max);
}

const VERDICT_STYLE: Record<Verdict, AnsiStyle | undefined> = {
  improved: 'green',
  regressed: 'red',
  unchanged: 'dim',
  new: undefined,
  missing: undefined,
};

const OUTCOME_STYLE: Record<Outcome, AnsiStyle | undefined> = {
  regressed: 'red',
  ok: 'green',
  'no-baseline': undefined,
  'no-runs': undefined,
};

/** Renders the comparison as lines of text, ending with a newline. */
export function renderTextReport(comparison: Comparison, options: TextReportOptions): string {
  const paint = painter(options.color);
  const lines: string[] = [];
  if (comparison.experiments.length === 0) {
    lines.push(`No runs found at ${shortCommit(comparison.headCommit)}.`);
  }
  comparison.experiments.forEach((experiment, index) => {
    if (index > 0) lines.push('');
    lines.push(...experimentLines(experiment, options, paint));
  });
  return `${lines.join('\n')}\n`;
}

function experimentLines(
  experiment: ExperimentComparison,
  options: TextReportOptions,
  paint: Paint,
): string[] {
  const outcome = experimentOutcome(experiment);
  const words = outcomeWords(outcome, countExperimentVerdicts(experiment));
  const lines = [
    `${paint(clean(experiment.experiment), 'bold')}: ${paint(words, OUTCOME_STYLE[outcome])}`,
    baselineWords(experiment.baseline, shortCommit, (text) => clean(text, 300)),
  ];
  if (experiment.runs.length === 0) lines.push(`No runs at ${shortCommit(experiment.headCommit)}.`);
  const several = experiment.runs.length > 1;
  for (const run of experiment.runs) {
    lines.push('');
    if (several) {
      const label = run.matrixKey === '' ? '(no matrix)' : clean(run.matrixKey);
      const runWords = outcomeWords(runOutcome(run), countVerdicts(run.metrics));
      lines.push(`[${label}] ${paint(runWords, OUTCOME_STYLE[runOutcome(run)])}`);
    } else if (run.matrixKey !== '') {
      lines.push(`matrix: ${clean(run.matrixKey)}`);
    }
    lines.push(`head: ${runRef(run.head)}  base: ${run.base ? runRef(run.base) : 'none'}`);
    lines.push(...metricLines(run.metrics, paint));
    lines.push(...paramLines(run, options.all ?? false));
  }
  if (experiment.leaderboard && experiment.leaderboard.rows.length > 0) {
    lines.push('', ...leaderboardLines(experiment));
  }
  return lines;
}

function runRef(run: RunRef): string {
  const url = safeHttpUrl(run.workflowUrl);
  return url === undefined ? shortCommit(run.commit) : `${shortCommit(run.commit)} ${url}`;
}

function metricLines(metrics: MetricDiff[], paint: Paint): string[] {
  if (metrics.length === 0) return ['No metrics logged.'];
  const rows = metrics.map((m) => [
    clean(m.key),
    formatValue(m.base, m.precision),
    formatValue(m.head, m.precision),
    formatDelta(m.delta, m.precision),
    formatPercent(m.deltaPercent),
    verdictWords(m.verdict),
  ]);
  return columns(
    [['metric', 'base', 'head', 'Δ', 'Δ%', 'verdict'], ...rows],
    [false, true, true, true, true, false],
    paint,
    [undefined, ...metrics.map((m) => VERDICT_STYLE[m.verdict])],
  );
}

function paramValue(value: string | null): string {
  return value === null ? '(not set)' : clean(value);
}

function paramLines(run: RunComparison, all: boolean): string[] {
  const params: ParamChange[] = all ? run.allParams : run.changedParams;
  const title = all
    ? `params (${run.allParams.length}):`
    : run.changedParams.length === 0
      ? `params: none changed (${run.unchangedParamCount} unchanged)`
      : `params: ${run.changedParams.length} changed, ${run.unchangedParamCount} unchanged`;
  if (params.length === 0) return [title];
  const rows = params.map((p) => [clean(p.key), paramValue(p.base), paramValue(p.head)]);
  return [
    title,
    ...columns([['param', 'base', 'head'], ...rows], [false, false, false], painter(false)),
  ];
}

function leaderboardLines(experiment: ExperimentComparison): string[] {
  const board = experiment.leaderboard as NonNullable<ExperimentComparison['leaderboard']>;
  const precision =
    experiment.runs.flatMap((r) => r.metrics).find((m) => m.key === board.objective)?.precision ??
    4;
  const direction = board.direction === 'max' ? 'higher is better' : 'lower is better';
  const rows = board.rows.map((row) => [
    String(row.rank),
    row.run.matrixKey === '' ? '(no matrix)' : clean(row.run.matrixKey),
    formatValue(row.objective, precision),
    shortCommit(row.run.commit),
  ]);
  return [
    `leaderboard by ${clean(board.objective)} (${direction}), ${plural(board.rows.length, 'run')}:`,
    ...columns(
      [['#', 'matrix key', clean(board.objective), 'commit'], ...rows],
      [true, false, true, false],
      painter(false),
    ),
  ];
}
