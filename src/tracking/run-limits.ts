/**
 * MLflow's limits on run data (DESIGN.md, "Tracking branch, format 1"), checked in one place:
 * key names, param/tag value lengths, experiment names, metric values, steps and timestamps.
 * Each check returns the value it accepts or throws a typed error quoting the bad value.
 *
 * Steps: integers (any safe integer, negatives allowed as in MLflow). When a metric is logged
 * without a step, ghml does NOT use MLflow's default of 0: the RunBuilder gives it the next
 * step of that key's series (1 + the highest step so far, 0 for the first point), so a loop
 * that never passes a step still charts as a series.
 * Timestamps: integer milliseconds since the epoch, >= 0 and at most MAX_TIME_MS. Every time
 * ghml stores (start and end times, metric timestamps, event times) stays within the range a
 * JavaScript Date holds, so no reader ever meets an `Invalid time value`.
 */
import {
  InvalidNameError,
  InvalidValueError,
  quote,
  type NameKind,
} from './ingest/ingest-errors.js';
import { decodeNumber } from './run-record.js';
import { isExperimentName } from './store/run-path.js';

export const RUN_LIMITS = {
  maxKeyLength: 250,
  maxParamValueLength: 6000,
  maxTagValueLength: 5000,
  maxExperimentNameLength: 100,
} as const;

/** The farthest a JavaScript Date reaches from the epoch, in ms (100,000,000 days either way). */
export const MAX_TIME_MS = 8.64e15;

/**
 * True for a time ghml can store: whole milliseconds within a Date's range (from `minimum`,
 * default -MAX_TIME_MS, to MAX_TIME_MS).
 */
export function isStorableTime(value: unknown, minimum = -MAX_TIME_MS): value is number {
  return (
    typeof value === 'number' && Number.isInteger(value) && value >= minimum && value <= MAX_TIME_MS
  );
}

/** The rule isStorableTime checks, for messages. */
export function timeRule(minimum = -MAX_TIME_MS): string {
  return `whole milliseconds since the epoch, from ${minimum} to ${MAX_TIME_MS} (the range of a date)`;
}

const KEY_CHARS = /^[A-Za-z0-9_.\- /]{1,250}$/;
const KEY_HINT = "use letters, digits, '_', '-', '.', ' ' and '/' between non-empty segments";

/**
 * Returns why `key` breaks the key rule, or undefined when it is valid. A key must match
 * `^[A-Za-z0-9_.\- /]{1,250}$` and must not normalise to another path: no leading or trailing
 * '/', no '//', and no '.' or '..' segments (keys become file paths in some tools). The one
 * key `__proto__` is refused everywhere (params, metrics, tags, artifact paths).
 */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'must not be empty';
  if (key.length > RUN_LIMITS.maxKeyLength) {
    return `must be at most ${RUN_LIMITS.maxKeyLength} characters (it has ${key.length})`;
  }
  if (!KEY_CHARS.test(key)) {
    return "may only contain letters, digits, '_', '-', '.', ' ' and '/'";
  }
  if (key.startsWith('/')) return "must not start with '/'";
  if (key.endsWith('/')) return "must not end with '/'";
  if (key.includes('//')) return "must not contain '//'";
  for (const segment of key.split('/')) {
    if (segment === '..') return "must not contain '..' segments";
    if (segment === '.') return "must not contain '.' segments";
  }
  // As an object key it would set the prototype instead of a field, so JSON writers and
  // readers would drop it; every other name (toString, constructor, ...) is an ordinary key.
  if (key === '__proto__') return "is reserved ('__proto__' names a JavaScript object's prototype)";
  return undefined;
}

/** Throws InvalidNameError unless `key` is a valid param, metric or tag key (or artifact path). */
export function validateKey(key: string, kind: NameKind = 'key'): string {
  const problem = keyProblem(key);
  if (problem !== undefined) throw new InvalidNameError(kind, key, problem, KEY_HINT);
  return key;
}

/**
 * Throws unless `name` can be an experiment name (it becomes a path segment). The rule is the
 * branch writer's (run-path.ts), so a name accepted here is never refused after training.
 */
export function validateExperimentName(name: string): string {
  if (!isExperimentName(name)) {
    throw new InvalidNameError(
      'experiment name',
      name,
      name.endsWith('.lock')
        ? "must not end in '.lock'"
        : 'must match [A-Za-z0-9][A-Za-z0-9._-]{0,99}',
      "start with a letter or digit, then use letters, digits, '.', '_' or '-' (at most 100), and do not end in '.lock'",
    );
  }
  return name;
}

/** Throws unless `value` fits MLflow's 6000-character limit for params. */
export function validateParamValue(key: string, value: string): string {
  return checkLength('param', key, value, RUN_LIMITS.maxParamValueLength);
}

/** Throws unless `value` fits MLflow's 5000-character limit for tags. */
export function validateTagValue(key: string, value: string): string {
  return checkLength('tag', key, value, RUN_LIMITS.maxTagValueLength);
}

function checkLength(kind: string, key: string, value: string, max: number): string {
  if (value.length > max) {
    throw new InvalidValueError(
      `${kind} ${quote(key)} value is ${value.length} characters; ${kind} values are at most ${max}.`,
      key,
      `at most ${max} characters`,
      kind === 'param'
        ? 'shorten the value, or save it as an artifact and log its path'
        : 'shorten the value',
    );
  }
  return value;
}

/**
 * Accepts a metric value: a number (NaN and ±Infinity included) or one of the strings "NaN",
 * "Infinity", "-Infinity" that format 1 stores non-finite numbers as.
 */
export function validateMetricValue(key: string, value: unknown): number {
  const decoded = decodeNumber(value);
  if (decoded !== undefined) return decoded;
  throw new InvalidValueError(
    `metric ${quote(key)} value must be a number, got ${describe(value)}.`,
    key,
    'metric values are numbers',
    'log numbers only; log text as a param or a tag',
  );
}

/** Accepts a step: a safe integer. */
export function validateStep(key: string, step: unknown): number {
  if (typeof step === 'number' && Number.isSafeInteger(step)) return step;
  throw new InvalidValueError(
    `metric ${quote(key)} step must be an integer, got ${describe(step)}.`,
    key,
    'steps are integers',
    'pass a whole number as the step (or none: ghml then uses the next step)',
  );
}

/** Accepts a timestamp: whole milliseconds since the epoch, from 0 to MAX_TIME_MS. */
export function validateTimestamp(key: string, timestamp: unknown): number {
  if (
    typeof timestamp === 'number' &&
    Number.isSafeInteger(timestamp) &&
    timestamp >= 0 &&
    timestamp <= MAX_TIME_MS
  ) {
    return timestamp;
  }
  throw new InvalidValueError(
    `metric ${quote(key)} timestamp must be ${timeRule(0)}, got ${describe(timestamp)}.`,
    key,
    'timestamps are integer milliseconds within the range of a date',
    'pass Date.now() / int(time.time() * 1000), or leave the timestamp out',
  );
}

/** Accepts a run's start or end time: whole milliseconds within the range of a date. */
export function validateRunTime(field: 'startTime' | 'endTime', value: unknown): number {
  if (isStorableTime(value)) return value;
  throw new InvalidValueError(
    `the run's ${field} must be ${timeRule()}, got ${describe(value)}.`,
    field,
    'run times are integer milliseconds within the range of a date',
    'pass Date.now() as the time',
  );
}

/**
 * Parses the text of a number as a user types it (`0.93`, `-1e-3`, `NaN`, `inf`, `-Infinity`);
 * returns undefined for anything else. Used for CLI arguments and stdout metrics.
 */
export function parseNumberText(text: string): number | undefined {
  const t = text.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  const lower = t.toLowerCase();
  if (lower === 'nan' || lower === '+nan' || lower === '-nan') return Number.NaN;
  if (lower === 'inf' || lower === 'infinity' || lower === '+inf' || lower === '+infinity') {
    return Number.POSITIVE_INFINITY;
  }
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  return undefined;
}

/** Describes a bad value for a message: strings quoted, other things by type. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `${quote(value)} (a string)`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${String(value)} (${typeof value})`;
}
