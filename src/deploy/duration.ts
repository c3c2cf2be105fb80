/** Durations as kubectl writes them: `300s`, `5m`, `1m30s`, `1h`; a bare number is seconds. */
import { InvalidDurationError } from './deploy-errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const MAX_MS = 24 * 3_600_000;

/** Parses a duration into milliseconds; throws InvalidDurationError. */
export function parseDuration(text: string): number {
  const value = text.trim();
  if (/^\d+$/.test(value)) return check(text, Number(value) * 1000);
  if (!/^(\d+(ms|s|m|h))+$/.test(value)) throw new InvalidDurationError(text);
  let total = 0;
  for (const match of value.matchAll(/(\d+)(ms|s|m|h)/g)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000);
  }
  return check(text, total);
}

function check(text: string, ms: number): number {
  if (!Number.isSafeInteger(ms) || ms <= 0 || ms > MAX_MS) throw new InvalidDurationError(text);
  return ms;
}

/** Whole seconds for kubectl's `--timeout`, at least 1. */
export function kubectlSeconds(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}
