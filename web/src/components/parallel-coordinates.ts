/**
 * Parallel coordinates in hand-drawn SVG: one vertical axis per param (numeric params on a
 * linear scale, others as evenly spaced categories) and a last axis for the objective; one
 * line per run, coloured by its rank. Labels are SVG text nodes (never markup). Hovering a
 * line names its run; clicking it opens the run.
 */
const SVG = 'http://www.w3.org/2000/svg';

export interface ParallelAxis {
  label: string;
  /** One value per line; null when the run lacks it. */
  values: Array<number | string | null>;
}

export interface ParallelLine {
  id: string;
  title: string;
  /** 0 = best … 1 = worst, for the colour. */
  rank: number;
}

function node<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  return n;
}

/** A position in [0, 1] for each value of the axis (null stays null). */
function scale(values: ReadonlyArray<number | string | null>): {
  at: Array<number | null>;
  ticks: Array<[number, string]>;
} {
  const numeric = values.every(
    (v) =>
      v === null ||
      (typeof v === 'number' ? Number.isFinite(v) : v.trim() !== '' && Number.isFinite(Number(v))),
  );
  if (numeric) {
    const nums = values.map((v) => (v === null ? null : Number(v)));
    const finite = nums.filter((v): v is number => v !== null);
    const lo = Math.min(...finite);
    const hi = Math.max(...finite);
    const span = hi - lo || 1;
    return {
      at: nums.map((v) => (v === null ? null : (v - lo) / span)),
      ticks:
        finite.length === 0
          ? []
          : [
              [0, String(lo)],
              [1, String(hi)],
            ],
    };
  }
  const categories = [
    ...new Set(values.filter((v): v is string | number => v !== null).map(String)),
  ].sort();
  const step = categories.length > 1 ? 1 / (categories.length - 1) : 0;
  const index = new Map(categories.map((c, i) => [c, i * step]));
  return {
    at: values.map((v) => (v === null ? null : (index.get(String(v)) ?? null))),
    ticks: categories
      .slice(0, 12)
      .map((c) => [index.get(c) ?? 0, c.length > 14 ? `${c.slice(0, 13)}…` : c]),
  };
}

export function parallelCoordinates(
  axes: readonly ParallelAxis[],
  lines: readonly ParallelLine[],
  onOpen: (id: string) => void,
  width = 900,
  height = 320,
): SVGSVGElement {
  const pad = { top: 28, bottom: 24, left: 70, right: 70 };
  const svg = node('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'parallel',
    role: 'img',
    'aria-label': 'Parallel coordinates of the sweep',
  });
  const x = (i: number): number =>
    pad.left + (axes.length > 1 ? (i * (width - pad.left - pad.right)) / (axes.length - 1) : 0);
  const y = (t: number): number => height - pad.bottom - t * (height - pad.top - pad.bottom);
  const scales = axes.map((a) => scale(a.values));
  const title = node('text', {
    x: width / 2,
    y: height - 4,
    class: 'pc-hover',
    'text-anchor': 'middle',
  });
  lines.forEach((line, li) => {
    const points: string[] = [];
    scales.forEach((s, ai) => {
      const t = s.at[li];
      if (t !== null && t !== undefined) points.push(`${x(ai).toFixed(1)},${y(t).toFixed(1)}`);
    });
    const hue = Math.round(120 - 120 * line.rank);
    const path = node('polyline', {
      points: points.join(' '),
      class: 'pc-line',
      stroke: `hsl(${hue} 70% 45%)`,
      'data-run': line.id,
      tabindex: 0,
    });
    const label = node('title', {});
    label.textContent = line.title;
    path.appendChild(label);
    const show = (): void => {
      title.textContent = line.title;
    };
    path.addEventListener('mouseenter', show);
    path.addEventListener('focus', show);
    path.addEventListener('click', () => onOpen(line.id));
    path.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') onOpen(line.id);
    });
    svg.appendChild(path);
  });
  axes.forEach((axis, ai) => {
    svg.appendChild(node('line', { x1: x(ai), x2: x(ai), y1: y(0), y2: y(1), class: 'pc-axis' }));
    const label = node('text', {
      x: x(ai),
      y: pad.top - 10,
      'text-anchor': 'middle',
      class: 'pc-label',
    });
    label.textContent = axis.label.length > 24 ? `${axis.label.slice(0, 23)}…` : axis.label;
    svg.appendChild(label);
    for (const [t, text] of scales[ai]?.ticks ?? []) {
      const tick = node('text', { x: x(ai) + 4, y: y(t) + 4, class: 'pc-tick' });
      tick.textContent = text;
      svg.appendChild(tick);
    }
  });
  svg.appendChild(title);
  return svg;
}
