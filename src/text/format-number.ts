/**
 * Number formatting for reports: a fixed precision per metric, '-' for a missing value,
 * NaN / +Inf / -Inf spelled out, explicit signs on deltas, and exponent form when fixed
 * notation would be unreadable (huge) or would hide every significant digit (tiny).
 */

/** Text shown for a missing value. */
export const MISSING = '-';

/** Fixed notation is used below this magnitude; exponent form above. */
const HUGE = 1e12;
const MAX_PRECISION = 12;

function clampPrecision(precision: number): number {
  if (!Number.isFinite(precision)) return 4;
  return Math.min(MAX_PRECISION, Math.max(0, Math.round(precision)));
}

function nonFinite(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

function exponent(value: number): string {
  // 1.23e+14 → 1.23e14, keeps the sign of a negative exponent
  return value.toExponential(2).replace('e+', 'e');
}

function magnitude(value: number, precision: number): string {
  const abs = Math.abs(value);
  if (abs >= HUGE) return exponent(abs);
  const fixed = abs.toFixed(clampPrecision(precision));
  // A non-zero value that would print as 0.0000 shows its digits instead.
  if (abs !== 0 && Number(fixed) === 0) return exponent(abs);
  return fixed;
}

/** A metric value: `0.9500` at precision 4, `-` when missing, `NaN`, `+Inf`, `-Inf`. */
export function formatValue(value: number | null, precision: number): string {
  if (value === null) return MISSING;
  if (!Number.isFinite(value)) return nonFinite(value);
  const text = magnitude(value, precision);
  return value < 0 && Number(text) !== 0 ? `-${text}` : text;
}

/** A difference with an explicit sign: `+0.0500`, `-1.2000`, `0.0000` for exactly zero. */
export function formatDelta(delta: number | null, precision: number): string {
  if (delta === null) return MISSING;
  if (!Number.isFinite(delta)) return nonFinite(delta);
  if (delta === 0) return magnitude(0, precision);
  return `${delta > 0 ? '+' : '-'}${magnitude(delta, precision)}`;
}

/**
 * A relative difference: two decimals below 10 %, one decimal up to a million percent,
 * exponent form beyond; `+<0.01%` rather than a misleading `+0.00%`.
 */
export function formatPercent(percent: number | null): string {
  if (percent === null) return MISSING;
  if (!Number.isFinite(percent)) return `${nonFinite(percent)}%`;
  if (percent === 0) return '0.00%';
  const sign = percent > 0 ? '+' : '-';
  const abs = Math.abs(percent);
  if (abs < 0.005) return `${sign}<0.01%`;
  if (abs < 10) return `${sign}${abs.toFixed(2)}%`;
  if (abs < 1e6) return `${sign}${abs.toFixed(1)}%`;
  return `${sign}${exponent(abs)}%`;
}

/** A count with thousands separators, independent of the locale: `10,000`. */
export function formatCount(count: number): string {
  const whole = Math.trunc(count);
  const digits = String(Math.abs(whole)).replace(/\B(?=(\d{3})+(?!\d))/gu, ',');
  return whole < 0 ? `-${digits}` : digits;
}

/** `count` followed by the singular or plural noun: `1 regression`, `2 regressions`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : pluralForm}`;
}

/** `48213` → `47.1 KiB`; exact bytes below 1 KiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
