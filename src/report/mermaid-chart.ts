/**
 * Mermaid `xychart-beta` line charts of metric series, head against base. GitHub renders
 * them in comments and job summaries. xychart-beta has no legend, so the colours are fixed
 * with an init directive and named in the title. Non-finite values cannot be plotted: they
 * are skipped and the text says so. Titles are reduced to a safe character set so a metric
 * name cannot end the quoted title, the statement, the fence or the `<details>` block.
 */
import type { MetricSeries } from '../compare/comparison-types.js';
import { DEFAULT_MAX_POINTS, downsample, type SeriesPoint } from './downsample.js';
import { escapeHtml, escapeMarkdown } from '../text/markdown-escape.js';
import { plural } from '../text/format-number.js';

const HEAD_COLOUR = '#0969da';
const BASE_COLOUR = '#8c959f';
const TITLE_LENGTH = 80;

/** Options of `renderMetricChart` and `renderChartsDetails`. */
export interface ChartOptions {
  /** Cap on the points of the common step axis; default 100. */
  maxPoints?: number;
}

/**
 * Reduces untrusted text to characters that mean nothing to Mermaid, Markdown or HTML:
 * letters, digits, space and `_ . - / = , + ( )`; anything else becomes `_`.
 */
export function sanitizeMermaidText(text: string, maxLength = TITLE_LENGTH): string {
  const safe = Array.from(text.replace(/\s+/gu, ' '))
    .map((char) => (/^[\p{L}\p{N} _./=,+()-]$/u.test(char) ? char : '_'))
    .join('')
    .trim();
  const capped = Array.from(safe);
  return capped.length > maxLength ? `${capped.slice(0, maxLength - 3).join('')}...` : safe;
}

/**
 * A number as Mermaid's lexer reads it (`-?digits(.digits)?`, no exponent), rounded to 6
 * significant digits.
 */
export function mermaidNumber(value: number): string {
  const rounded = Number(value.toPrecision(6));
  if (rounded === 0) return '0';
  const text = String(rounded);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/u.exec(text);
  if (!match) return text;
  const [, sign = '', whole = '', fraction = '', exp = '0'] = match;
  const digits = whole + fraction;
  const point = whole.length + Number(exp);
  let plain: string;
  if (point <= 0) plain = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) plain = digits + '0'.repeat(point - digits.length);
  else plain = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return sign + plain.replace(/(\.\d*?)0+$/u, '$1').replace(/\.$/u, '');
}

interface Line {
  label: 'head' | 'base';
  colour: string;
  points: SeriesPoint[];
  skipped: number;
}

function finiteLine(label: Line['label'], colour: string, points: readonly SeriesPoint[]): Line {
  const finite = points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.step));
  return { label, colour, points: finite, skipped: points.length - finite.length };
}

/** For each grid step, the line's last value at or before it (its first value before that). */
function alignOnGrid(points: SeriesPoint[], grid: number[]): number[] {
  const sorted = downsample(points, Number.MAX_SAFE_INTEGER);
  const values: number[] = [];
  let index = 0;
  for (const step of grid) {
    while (index + 1 < sorted.length && (sorted[index + 1] as SeriesPoint).step <= step) index += 1;
    values.push((sorted[index] as SeriesPoint).value);
  }
  return values;
}

/** Powers of 1000 keep the plotted numbers short when a metric is tiny or huge. */
function scaleFor(lines: Line[]): number {
  let maxAbs = 0;
  for (const line of lines)
    for (const p of line.points) maxAbs = Math.max(maxAbs, Math.abs(p.value));
  if (maxAbs === 0) return 0;
  const exp = Math.floor(Math.log10(maxAbs));
  if (exp >= -3 && exp <= 8) return 0;
  return Math.floor(exp / 3) * 3;
}

/**
 * One metric's chart as a ```mermaid fenced block, then (after a blank line) a sentence
 * naming skipped non-finite values. Without any finite value there is no chart, only a
 * sentence saying so. Callers put a blank line before and after it.
 */
export function renderMetricChart(series: MetricSeries, options: ChartOptions = {}): string {
  const name = sanitizeMermaidText(series.key);
  const lines = [
    finiteLine('base', BASE_COLOUR, series.base),
    finiteLine('head', HEAD_COLOUR, series.head),
  ];
  const plotted = lines.filter((line) => line.points.length > 0);
  const notes = lines
    .filter((line) => line.skipped > 0)
    .map((line) => `${plural(line.skipped, 'non-finite value')} skipped in ${line.label}`);
  const key = escapeMarkdown(series.key);
  if (plotted.length === 0) {
    const why = notes.length > 0 ? ` (${notes.join(', ')})` : '';
    return `${key}: no finite values to chart${why}.`;
  }
  const noteText = notes.length > 0 ? `\n\n${key}: ${notes.join(', ')}.` : '';

  const steps = new Map<number, SeriesPoint>();
  for (const line of plotted)
    for (const p of line.points) steps.set(p.step, { step: p.step, value: 0 });
  const grid = downsample([...steps.values()], options.maxPoints ?? DEFAULT_MAX_POINTS).map(
    (p) => p.step,
  );
  const scale = scaleFor(plotted);
  const factor = 10 ** scale;
  const legend = plotted.map(
    (line) => `${line.label} ${line.colour === HEAD_COLOUR ? 'blue' : 'grey'}`,
  );
  const title = `${name} (${legend.join(', ')})`;
  const yTitle = scale === 0 ? name : `${name} x 1e${scale}`;
  const palette = plotted.map((line) => line.colour).join(', ');

  const chart = [
    '```mermaid',
    `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${palette}"}}}}%%`,
    'xychart-beta',
    `  title "${title}"`,
    `  x-axis "step" [${grid.map((step) => `"${mermaidNumber(step)}"`).join(', ')}]`,
    `  y-axis "${yTitle}"`,
    ...plotted.map((line) => {
      const values = alignOnGrid(line.points, grid).map((v) => mermaidNumber(v / factor));
      return `  line [${values.join(', ')}]`;
    }),
    '```',
  ];
  return chart.join('\n') + noteText;
}

/**
 * Every chart of a run comparison inside `<details><summary>…</summary>`. `summary` is
 * untrusted text and is escaped here. Returns '' when there is no series.
 */
export function renderChartsDetails(
  series: readonly MetricSeries[],
  summary: string,
  options: ChartOptions = {},
): string {
  if (series.length === 0) return '';
  const charts = series.map((s) => renderMetricChart(s, options));
  return [
    '<details>',
    `<summary>${escapeHtml(summary, { maxLength: 300 })}</summary>`,
    '',
    charts.join('\n\n'),
    '',
    '</details>',
  ].join('\n');
}
