import { describe, expect, it } from 'vitest';
import { renderTextReport } from '../../../src/report/text-report.js';
import {
  hostileComparison,
  mixedComparison,
  noBaselineComparison,
  sweepComparison,
} from './fixtures.js';

const ESC = '\u001b';

describe('renderTextReport', () => {
  it('aligns columns without any escape code when colour is off', () => {
    expect(renderTextReport(mixedComparison(), { color: false })).toBe(
      [
        'iris: 1 regression',
        'Baseline: PR base f0e1d2c',
        '',
        'head: a1b2c3d https://github.com/acme/iris/actions/runs/200  base: f0e1d2c https://github.com/acme/iris/actions/runs/100',
        '  metric       base    head        Δ      Δ%  verdict',
        '  accuracy   0.9000  0.9500  +0.0500  +5.56%  ▲ improved',
        '  loss       0.2000  0.3000  +0.1000  +50.0%  ▼ regressed',
        '  f1         0.8000  0.8000   0.0000   0.00%  unchanged',
        '  auc             -  0.7700        -       -  new',
        '  recall     0.5000       -        -       -  missing',
        '  grad_norm    1.50     NaN      NaN    NaN%  unchanged',
        '  bias       0.0000  0.0100  +0.0100       -  ▲ improved',
        'params: 2 changed, 1 unchanged',
        '  param      base       head',
        '  lr         0.1        0.01',
        '  optimizer  (not set)  adam',
        '',
      ].join('\n'),
    );
  });

  it('colours improved green, regressed red and unchanged dim when asked', () => {
    const lines = renderTextReport(mixedComparison(), { color: true }).split('\n');
    expect(lines[0]).toBe(`${ESC}[1miris${ESC}[0m: ${ESC}[31m1 regression${ESC}[0m`);
    expect(lines[5]).toBe(
      `  ${ESC}[32maccuracy   0.9000  0.9500  +0.0500  +5.56%  ▲ improved${ESC}[0m`,
    );
    expect(lines[6]).toBe(
      `  ${ESC}[31mloss       0.2000  0.3000  +0.1000  +50.0%  ▼ regressed${ESC}[0m`,
    );
    expect(lines[7]).toBe(
      `  ${ESC}[2mf1         0.8000  0.8000   0.0000   0.00%  unchanged${ESC}[0m`,
    );
    expect(lines[8]).toBe('  auc             -  0.7700        -       -  new');
  });

  it('renders no-baseline, sweeps and all params', async () => {
    const text = [
      renderTextReport(noBaselineComparison(), { color: false, all: true }),
      renderTextReport(sweepComparison(), { color: false }),
    ].join('\n');
    expect(text).not.toContain(ESC);
    await expect(text).toMatchFileSnapshot('__snapshots__/text-report.txt');
  });

  it('strips control characters and unsafe links from untrusted strings', async () => {
    const text = renderTextReport(hostileComparison(), { color: false });
    // eslint-disable-next-line no-control-regex -- looking for control characters
    expect(text).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/u);
    expect(text).toContain('head: a1b2c3d  base: f0e1d2c https://x.test/a%29%28b%7Cc\n');
    await expect(text).toMatchFileSnapshot('__snapshots__/text-hostile.txt');
  });
});
