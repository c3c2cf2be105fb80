/**
 * Parsers for the unit-bearing values of ghml.yml: thresholds ('0.5%' or 0.01), byte sizes
 * ('1MiB', '500KB', 1048576) and durations ('120s', '2m', 500 = milliseconds). Each returns
 * undefined for input it does not understand; the schema turns that into an error with a fix.
 */
import type { Threshold } from './config-types.js';

const NUMBER = String.raw`[+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`;
const PERCENT = new RegExp(`^\\s*(${NUMBER})\\s*%\\s*$`);
const PLAIN_NUMBER = new RegExp(`^\\s*(${NUMBER})\\s*$`);
const SIZE = new RegExp(`^\\s*(${NUMBER})\\s*([a-zA-Z]*)\\s*$`);
const DURATION_PART = new RegExp(`(${NUMBER})\\s*(ms|s|m|h)`, 'gy');

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function nonNegative(n: number): number | undefined {
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** '0.5%' → percent 0.5; 0.01 or '0.01' → absolute 0.01. Negative values are refused. */
export function parseThreshold(value: unknown): Threshold | undefined {
  if (typeof value === 'number') {
    const n = nonNegative(value);
    return n === undefined ? undefined : { kind: 'absolute', value: n };
  }
  if (typeof value !== 'string') return undefined;
  const percent = PERCENT.exec(value);
  if (percent) {
    const n = nonNegative(Number(percent[1]));
    return n === undefined ? undefined : { kind: 'percent', value: n };
  }
  const plain = PLAIN_NUMBER.exec(value);
  if (plain) {
    const n = nonNegative(Number(plain[1]));
    return n === undefined ? undefined : { kind: 'absolute', value: n };
  }
  return undefined;
}

/**
 * Byte sizes: a whole number of bytes, or a number with a unit, case-insensitive: B, KB, MB, GB,
 * TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024). Fractions round down to a byte.
 */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = SIZE.exec(value);
  if (!match) return undefined;
  const unit = SIZE_UNITS[(match[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : undefined;
}

/**
 * Durations in milliseconds: a number is milliseconds; a string is one or more parts with a unit
 * (ms, s, m, h), e.g. '120s', '2m', '1m30s', '1.5h'. A bare numeric string is milliseconds too.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return nonNegative(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const plain = PLAIN_NUMBER.exec(text);
  if (plain) return nonNegative(Number(plain[1]));
  if (text === '') return undefined;
  let total = 0;
  let at = 0;
  DURATION_PART.lastIndex = 0;
  for (let part = DURATION_PART.exec(text); part; part = DURATION_PART.exec(text)) {
    total += Number(part[1]) * (DURATION_UNITS[part[2] ?? ''] ?? Number.NaN);
    at = DURATION_PART.lastIndex;
    // Allow spaces between parts ('1m 30s').
    while (text[at] === ' ') at += 1;
    DURATION_PART.lastIndex = at;
  }
  if (at !== text.length) return undefined;
  const ms = Math.round(total);
  return Number.isSafeInteger(ms) ? nonNegative(ms) : undefined;
}
