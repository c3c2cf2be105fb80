/**
 * Line charts of metric series (value against step) with uPlot, bundled into the page. A
 * series of any length is drawn from at most a few thousand of its real points
 * (series-reduce.ts); hovering shows the exact stored values of the nearest point of the FULL
 * series, not of the drawn subset. Several series (runs) can share one chart; non-finite values
 * are gaps in the line and are named in the hover text.
 */
import uPlot from 'uplot';
import type { DecodedSeries } from '../../../src/site/data/series-codec.js';
import { nearestIndex, reduceSeries } from '../../../src/site/data/series-reduce.js';
import { el } from '../dom.js';

export interface ChartLine {
  label: string;
  series: DecodedSeries;
}

const PALETTE = ['--c1', '--c2', '--c3', '--c4', '--c5', '--c6'];

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** Drawn points per line: about 4 per pixel column at most. */
function bucketsFor(width: number): number {
  return Math.max(50, Math.floor(width / 2));
}

/** Aligns the reduced lines on the union of their steps (uPlot's data layout). */
function alignedData(lines: readonly ChartLine[], width: number): uPlot.AlignedData {
  const kept = lines.map((line) => {
    const idx = reduceSeries(line.series.step, line.series.value, bucketsFor(width));
    return idx;
  });
  const steps = new Set<number>();
  lines.forEach((line, i) => {
    for (const j of kept[i] as number[]) steps.add(line.series.step[j] as number);
  });
  const xs = Float64Array.from([...steps].sort((a, b) => a - b));
  const position = new Map<number, number>();
  xs.forEach((x, i) => position.set(x, i));
  const ys = lines.map((line, i) => {
    const y: Array<number | null> = new Array<number | null>(xs.length).fill(null);
    for (const j of kept[i] as number[]) {
      const v = line.series.value[j] as number;
      const at = position.get(line.series.step[j] as number) as number;
      y[at] = Number.isFinite(v) ? v : null;
    }
    return y;
  });
  return [xs, ...ys] as uPlot.AlignedData;
}

/** Text of the hover line: each line's exact point nearest to `step`. */
function exactAt(lines: readonly ChartLine[], step: number): string {
  return lines
    .map((line) => {
      const i = nearestIndex(line.series.step, step);
      if (i < 0) return `${line.label}: -`;
      const time = line.series.time[i] as number;
      const when = Number.isFinite(time) && time > 0 ? ` at ${new Date(time).toISOString()}` : '';
      return `${line.label}: ${String(line.series.value[i])} (step ${String(line.series.step[i])}${when})`;
    })
    .join('\n');
}

/** A chart element; `lines` share the x axis (step). */
export function metricChart(
  title: string,
  lines: readonly ChartLine[],
  width = 560,
  height = 220,
): HTMLElement {
  const hover = el(
    'pre',
    { class: 'chart-hover', 'aria-live': 'off' },
    'Hover the chart for exact values.',
  );
  const plot = el('div', { class: 'chart-plot' });
  const points = lines.reduce((n, line) => n + line.series.step.length, 0);
  const figure = el(
    'figure',
    { class: 'chart', 'data-metric': title, 'data-points': points },
    el(
      'figcaption',
      {},
      title,
      el('span', { class: 'note' }, ` ${points.toLocaleString('en-US')} points`),
    ),
    plot,
    el(
      'ul',
      { class: 'chart-legend' },
      ...lines.map((line, i) =>
        el('li', { class: `swatch s${(i % PALETTE.length) + 1}` }, line.label),
      ),
    ),
    hover,
  );
  const data = alignedData(lines, width);
  const axis = cssVar('--fg-muted', '#666');
  const grid = cssVar('--grid', '#ddd');
  const options: uPlot.Options = {
    width,
    height,
    legend: { show: false },
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: false } },
    axes: [
      { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
      {
        stroke: axis,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid, width: 1 },
        size: 60,
      },
    ],
    series: [
      { label: 'step' },
      ...lines.map((line, i) => {
        const stroke = cssVar(PALETTE[i % PALETTE.length] as string, '#36c');
        const few = line.series.step.length < 60;
        return {
          label: line.label,
          stroke,
          width: 1.5,
          spanGaps: lines.length > 1,
          points: { show: few, size: 6, width: 1, fill: stroke, stroke },
        };
      }),
    ],
    hooks: {
      setCursor: [
        (u: uPlot) => {
          const left = u.cursor.left;
          if (left === undefined || left < 0) return;
          hover.textContent = exactAt(lines, u.posToVal(left, 'x'));
        },
      ],
    },
  };
  // uPlot measures its container, so it is created once the figure is in the document.
  requestAnimationFrame(() => {
    if (!figure.isConnected) return;
    const fit = Math.max(280, Math.min(1200, plot.clientWidth || width));
    new uPlot({ ...options, width: fit }, data, plot);
  });
  return figure;
}
