/** The numeric options of `ghml report build` and `ghml ui`, checked. */
import { InvalidSiteOptionError } from './site-errors.js';
import type { SeriesBudget } from './data/series-selection.js';

/** A whole number in [min, max], or InvalidSiteOptionError quoting the option. */
export function wholeNumber(option: string, value: string, min: number, max: number): number {
  const n = /^[0-9]{1,10}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new InvalidSiteOptionError(option, value, `a whole number from ${min} to ${max}`);
  return n;
}

export function parseSeriesBudget(options: {
  seriesRuns: string;
  seriesPoints: string;
  seriesRunPoints: string;
}): SeriesBudget {
  return {
    maxRuns: wholeNumber('--series-runs', options.seriesRuns, 0, 1_000_000),
    maxPoints: wholeNumber('--series-points', options.seriesPoints, 0, 1_000_000_000),
    maxRunPoints: wholeNumber('--series-run-points', options.seriesRunPoints, 100, 100_000_000),
  };
}

/** A TCP port; 0 lets the system choose a free one. */
export function parsePort(value: string): number {
  return wholeNumber('--port', value, 0, 65535);
}
