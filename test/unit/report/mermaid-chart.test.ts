import { describe, expect, it } from 'vitest';
import {
  mermaidNumber,
  renderChartsDetails,
  renderMetricChart,
  sanitizeMermaidText,
} from '../../../src/report/mermaid-chart.js';

describe('sanitizeMermaidText', () => {
  it.each([
    ['val/loss', 'val/loss'],
    ['a"b', 'a_b'],
    ['a;b', 'a_b'],
    ['a\nb\r\nc', 'a b c'],
    ['`x`', '_x_'],
    ['#quot; %%{init}%%', '_quot_ ___init___'],
    ['</details>', '_/details_'],
    ['précision', 'précision'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeMermaidText(input)).toBe(expected);
  });

  it('caps the length', () => {
    expect(sanitizeMermaidText('x'.repeat(200))).toBe(`${'x'.repeat(77)}...`);
  });
});

describe('mermaidNumber', () => {
  it.each([
    [0.5, '0.5'],
    [-2, '-2'],
    [1e-7, '0.0000001'],
    [1.2345678e21, '1234570000000000000000'],
    [-3.5e-8, '-0.000000035'],
    [123.4567891, '123.457'],
    [0, '0'],
  ])('%s → %s', (input, expected) => {
    const out = mermaidNumber(input);
    expect(out).toBe(expected);
    // Mermaid's lexer: an optional sign, digits, an optional fraction; no exponent.
    expect(out).toMatch(/^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$/u);
  });
});

describe('renderMetricChart', () => {
  it('draws base and head on a common step axis', () => {
    const chart = renderMetricChart({
      key: 'loss',
      base: [
        { step: 0, value: 1 },
        { step: 2, value: 0.5 },
      ],
      head: [
        { step: 0, value: 0.9 },
        { step: 1, value: 0.6 },
        { step: 2, value: 0.3 },
      ],
    });
    expect(chart).toBe(
      [
        '```mermaid',
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#8c959f, #0969da"}}}}%%',
        'xychart-beta',
        '  title "loss (base grey, head blue)"',
        '  x-axis "step" ["0", "1", "2"]',
        '  y-axis "loss"',
        '  line [1, 1, 0.5]',
        '  line [0.9, 0.6, 0.3]',
        '```',
      ].join('\n'),
    );
  });

  it('skips non-finite values and says so', () => {
    const chart = renderMetricChart({
      key: 'loss',
      base: [],
      head: [
        { step: 0, value: Number.NaN },
        { step: 1, value: 2 },
        { step: 2, value: Number.POSITIVE_INFINITY },
      ],
    });
    expect(chart).toContain('"plotColorPalette": "#0969da"');
    expect(chart).toContain('title "loss (head blue)"');
    expect(chart).toContain('  line [2]\n```');
    expect(chart).not.toMatch(/NaN|Infinity/u);
    expect(chart.endsWith('\n\nloss: 2 non-finite values skipped in head.')).toBe(true);
  });

  it('renders a sentence when nothing is finite', () => {
    expect(renderMetricChart({ key: 'x', base: [], head: [{ step: 0, value: Number.NaN }] })).toBe(
      'x: no finite values to chart (1 non-finite value skipped in head).',
    );
  });

  it('scales tiny and huge metrics and names the scale on the y axis', () => {
    const chart = renderMetricChart({
      key: 'lr',
      base: [],
      head: [
        { step: 0, value: 3e-7 },
        { step: 1, value: 1e-7 },
      ],
    });
    expect(chart).toContain('y-axis "lr x 1e-9"');
    expect(chart).toContain('line [300, 100]');
  });

  it('downsamples the axis to at most maxPoints', () => {
    const head = Array.from({ length: 5000 }, (_, i) => ({ step: i, value: i }));
    const chart = renderMetricChart({ key: 'x', base: head, head }, { maxPoints: 100 });
    const axis = /x-axis "step" \[(.*)\]/u.exec(chart)?.[1] ?? '';
    expect(axis.split(', ').length).toBeLessThanOrEqual(100);
    const line = /line \[(.*)\]/u.exec(chart)?.[1] ?? '';
    expect(line.split(', ').length).toBe(axis.split(', ').length);
  });

  it('cannot be broken by a hostile metric name', () => {
    const key = '"] ; line [9]\n```\n</details> %%{init: {}}%% `"';
    const chart = renderMetricChart({
      key,
      base: [{ step: 0, value: 1 }],
      head: [{ step: 0, value: Number.NaN }],
    });
    const lines = chart.split('\n');
    // The fence opens and closes exactly once, and the title stays one quoted string.
    expect(lines.filter((l) => l.startsWith('```'))).toEqual(['```mermaid', '```']);
    const title = lines.find((l) => l.trim().startsWith('title')) ?? '';
    expect(title).toMatch(/^ {2}title "[^"`;%<>#\n]*"$/u);
    expect(lines.filter((l) => l.trim().startsWith('line'))).toHaveLength(1);
    // The note after the chart is escaped Markdown.
    expect(chart).not.toContain('</details>');
  });
});

describe('renderChartsDetails', () => {
  it('wraps charts in details with blank lines around each fence', () => {
    const out = renderChartsDetails(
      [
        { key: 'a', base: [], head: [{ step: 0, value: 1 }] },
        { key: 'b', base: [], head: [{ step: 0, value: 2 }] },
      ],
      'Charts for <b>@x</b>',
    );
    expect(
      out.startsWith(
        '<details>\n<summary>Charts for &lt;b&gt;@\u200Dx&lt;/b&gt;</summary>\n\n```mermaid\n',
      ),
    ).toBe(true);
    expect(out).toContain('```\n\n```mermaid\n');
    expect(out.endsWith('```\n\n</details>')).toBe(true);
    expect(renderChartsDetails([], 'x')).toBe('');
  });
});
