/**
 * MLflow's checks on logged data, with MLflow's limits and messages (mlflow/utils/validation.py),
 * followed by ghml's stricter key rule, since keys become file names on the tracking branch.
 * Every check throws INVALID_PARAMETER_VALUE before anything is written.
 */
import { RUN_LIMITS, keyProblem } from '../../tracking/run-limits.js';
import { decodeNumber } from '../../tracking/run-record.js';
import { invalidParameter } from '../http/mlflow-error.js';

export const MLFLOW_LIMITS = {
  maxKeyLength: RUN_LIMITS.maxKeyLength,
  maxParamValueLength: RUN_LIMITS.maxParamValueLength,
  /** MLflow allows 8000 since 2.x; the tracking branch keeps 5000 (DESIGN.md). */
  maxTagValueLength: RUN_LIMITS.maxTagValueLength,
  maxMetricsPerBatch: 1000,
  maxParamsTagsPerBatch: 100,
  maxEntitiesPerBatch: 1000,
  maxBatchRequestBytes: 1_000_000,
  maxExperimentNameLength: 500,
  maxExperimentTagValueLength: 5000,
  maxRegistryTagValueLength: 100_000,
} as const;

const MLFLOW_NAME = /^[/\w.\- :]*$/u;

function jsonPath(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

function invalidValue(path: string, value: unknown, message: string): string {
  return `Invalid value ${JSON.stringify(value)} for parameter '${path}' supplied: ${message}`;
}

function normalisesElsewhere(name: string): string | undefined {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  const norm = (name.startsWith('/') ? '/' : '') + parts.join('/') || '.';
  if (norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) return norm;
  return undefined;
}

/** A param, metric or tag key: MLflow's rule, then ghml's file-name rule. */
export function checkKey(key: string, path: string, lengthName: string): void {
  if (!MLFLOW_NAME.test(key)) {
    throw invalidParameter(
      invalidValue(
        path,
        key,
        'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).',
      ),
    );
  }
  const norm = normalisesElsewhere(key);
  if (norm !== undefined) {
    throw invalidParameter(
      invalidValue(
        path,
        key,
        `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`,
      ),
    );
  }
  if (key.length > MLFLOW_LIMITS.maxKeyLength) {
    throw invalidParameter(
      `'${lengthName}' exceeds the maximum length of ${MLFLOW_LIMITS.maxKeyLength} characters`,
    );
  }
  const problem = keyProblem(key);
  if (problem !== undefined) {
    throw invalidParameter(
      invalidValue(path, key, `ghml stores keys as file names, and this one ${problem}.`),
      "use ASCII letters, digits, '_', '-', '.', ' ' and '/' (no ':')",
    );
  }
}

export function checkParam(key: string, value: string, path = ''): void {
  checkKey(key, jsonPath(path, 'key'), 'Param key');
  if (value.length > MLFLOW_LIMITS.maxParamValueLength) {
    throw invalidParameter(
      `'Param value' exceeds the maximum length of ${MLFLOW_LIMITS.maxParamValueLength} characters`,
    );
  }
}

export function checkTag(key: string, value: string, path = ''): void {
  checkKey(key, jsonPath(path, 'key'), jsonPath(path, 'key'));
  if (value.length > MLFLOW_LIMITS.maxTagValueLength) {
    throw invalidParameter(
      `'${jsonPath(path, 'value')}' exceeds the maximum length of ${MLFLOW_LIMITS.maxTagValueLength} characters`,
      'the tracking branch keeps tag values up to 5000 characters; log longer text with log_text',
    );
  }
}

/** A checked metric point. */
export interface MetricInput {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** Checks one metric of a request (`path` is e.g. `metrics[3]` in a batch, '' for log-metric). */
export function checkMetric(
  raw: Record<string, unknown>,
  path = '',
  keyKnown = false,
): MetricInput {
  const own = (name: string): unknown => (Object.hasOwn(raw, name) ? raw[name] : undefined);
  const key = own('key');
  if (typeof key !== 'string' || key === '') {
    throw invalidParameter(`Missing value for required parameter '${jsonPath(path, 'key')}'.`);
  }
  const rawValue = own('value');
  if (rawValue === undefined || rawValue === null) {
    throw invalidParameter(`Missing value for required parameter '${jsonPath(path, 'value')}'.`);
  }
  const timestampRaw = own('timestamp');
  const value =
    typeof rawValue === 'boolean'
      ? undefined
      : decodeNumber(typeof rawValue === 'string' ? numericText(rawValue) : rawValue);
  if (value === undefined) {
    throw invalidParameter(
      invalidValue(
        jsonPath(path, 'value'),
        rawValue,
        `(timestamp=${String(timestampRaw)}). Please specify value as a valid double (64-bit floating point)`,
      ),
    );
  }
  const timestamp = integer(timestampRaw);
  if (timestamp === undefined || timestamp < 0) {
    throw invalidParameter(
      invalidValue(
        jsonPath(path, 'timestamp'),
        timestampRaw ?? null,
        `metric '${key}' (value=${value}). Timestamp must be a nonnegative long (64-bit integer) `,
      ),
    );
  }
  const stepRaw = own('step');
  const step = stepRaw === undefined || stepRaw === null ? 0 : integer(stepRaw);
  if (step === undefined) {
    throw invalidParameter(
      invalidValue(
        jsonPath(path, 'step'),
        stepRaw,
        `metric '${key}' (value=${value}). Step must be a valid long (64-bit integer).`,
      ),
    );
  }
  if (!keyKnown) checkKey(key, jsonPath(path, 'name'), 'Metric name');
  return { key, value, timestamp, step };
}

// Proto JSON carries doubles as numbers, or as strings for non-finite values and from some
// clients for any value.
function numericText(text: string): unknown {
  if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') return text;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

function integer(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d{1,16}$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function batchLimit(entity: string, limit: number, length: number): void {
  if (length > limit) {
    throw invalidParameter(
      `A batch logging request can contain at most ${limit} ${entity}. Got ${length} ${entity}. Please split up ${entity} across multiple requests and try again.`,
    );
  }
}

export function checkBatchLimits(metrics: number, params: number, tags: number): void {
  batchLimit('metrics', MLFLOW_LIMITS.maxMetricsPerBatch, metrics);
  batchLimit('params', MLFLOW_LIMITS.maxParamsTagsPerBatch, params);
  batchLimit('tags', MLFLOW_LIMITS.maxParamsTagsPerBatch, tags);
  batchLimit(
    'metrics, params, and tags',
    MLFLOW_LIMITS.maxEntitiesPerBatch,
    metrics + params + tags,
  );
}

export function checkBatchRequestSize(bytes: number): void {
  if (bytes > MLFLOW_LIMITS.maxBatchRequestBytes) {
    throw invalidParameter(
      `Batched logging API requests must be at most ${MLFLOW_LIMITS.maxBatchRequestBytes} bytes, got a request of size ${bytes}.`,
    );
  }
}

export function checkParamKeysUnique(params: ReadonlyArray<{ key: string }>): void {
  const seen = new Set<string>();
  const dupes: string[] = [];
  for (const { key } of params) {
    if (seen.has(key)) dupes.push(key);
    seen.add(key);
  }
  if (dupes.length > 0) {
    throw invalidParameter(
      `Duplicate parameter keys have been submitted: [${dupes.map((d) => `'${d}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`,
    );
  }
}

/** MLflow's run id rule. */
export function checkRunIdShape(runId: string, path = 'run_id'): void {
  if (!/^[a-zA-Z0-9][\w-]{0,255}$/.test(runId)) {
    throw invalidParameter(
      `Invalid value ${JSON.stringify(runId)} for parameter '${path}' supplied.`,
    );
  }
}
