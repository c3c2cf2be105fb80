/**
 * run.json and metrics.jsonl as text (format 1). `formatRunRecord` writes keys in a fixed
 * order so the same record always gives the same bytes (and the same blob); `parseRunRecord`
 * checks the shape and gives back exactly what was formatted. NaN and ±Infinity are written
 * as the strings "NaN", "Infinity", "-Infinity" (see encodeNumber in run-record.ts).
 */
import {
  RUN_STATUSES,
  TRACKING_FORMAT,
  decodeNumber,
  encodeNumber,
  type ArtifactEntry,
  type MetricPoint,
  type MetricSummary,
  type RunGithubContext,
  type RunRecord,
  type RunEvent,
  type RunStatus,
  type TrackingFormat,
  type RunStoreReference,
  setOwn,
} from './run-record.js';
import { isStorableTime, timeRule } from './run-limits.js';
import { isCommitSha, isExperimentName, isRunId } from './store/run-path.js';
import { InvalidRunDataError, NewerFormatError } from './tracking-errors.js';

function sortedRecord<T, U>(
  record: Record<string, T>,
  map: (value: T, key: string) => U,
): Record<string, U> {
  const out: Record<string, U> = {};
  for (const key of Object.keys(record).sort()) setOwn(out, key, map(record[key] as T, key));
  return out;
}

function formatGithub(github: RunGithubContext): Record<string, unknown> {
  const out: Record<string, unknown> = {
    repository: github.repository,
    serverUrl: github.serverUrl,
    workflow: github.workflow,
    runId: github.runId,
    runAttempt: github.runAttempt,
    job: github.job,
  };
  if (github.prNumber !== undefined) out['prNumber'] = github.prNumber;
  if (github.prBaseSha !== undefined) out['prBaseSha'] = github.prBaseSha;
  if (github.matrix !== undefined) out['matrix'] = sortedRecord(github.matrix, (v) => v);
  return out;
}

function formatArtifact(artifact: ArtifactEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {
    path: artifact.path,
    size: artifact.size,
    sha256: artifact.sha256,
    stored: artifact.stored,
  };
  if (artifact.uri !== undefined) out['uri'] = artifact.uri;
  return out;
}

function formatSummary(
  summary: MetricSummary,
  key: string,
  refuse: (field: string, value: unknown, minimum: number) => never,
): Record<string, unknown> {
  if (!isStorableTime(summary.timestamp, 0)) {
    refuse(`metrics.${key}.timestamp`, summary.timestamp, 0);
  }
  return {
    value: encodeNumber(summary.value),
    step: summary.step,
    timestamp: summary.timestamp,
    min: encodeNumber(summary.min),
    max: encodeNumber(summary.max),
    count: summary.count,
  };
}

/**
 * Refuses to write a time no reader could turn into a date: every time in run.json must be
 * whole milliseconds within a Date's range (metric timestamps also not before the epoch; those
 * are checked as their summaries are formatted). Returns the refusal for the metric checks.
 */
function checkRecordTimes(
  record: RunRecord,
): (field: string, value: unknown, minimum?: number) => never {
  const refuse = (field: string, value: unknown, minimum?: number): never => {
    throw new InvalidRunDataError(
      `run.json of run ${record.id}`,
      `'${field}' must be ${timeRule(minimum)}, got ${String(value)}`,
    );
  };
  if (!isStorableTime(record.startTime)) refuse('startTime', record.startTime);
  if (record.endTime !== null && !isStorableTime(record.endTime)) {
    refuse('endTime', record.endTime);
  }
  return refuse;
}

/** run.json text: 2-space JSON in a fixed key order, ending with a newline. */
export function formatRunRecord(record: RunRecord): string {
  const refuse = checkRecordTimes(record);
  const out = {
    format: record.format,
    id: record.id,
    experiment: record.experiment,
    name: record.name,
    status: record.status,
    startTime: record.startTime,
    endTime: record.endTime,
    exitCode: record.exitCode,
    source: {
      commit: record.source.commit,
      branch: record.source.branch,
      dirty: record.source.dirty,
    },
    github: record.github === null ? null : formatGithub(record.github),
    params: sortedRecord(record.params, (v) => v),
    tags: sortedRecord(record.tags, (v) => v),
    metrics: sortedRecord(record.metrics, (summary, key) => formatSummary(summary, key, refuse)),
    artifacts: record.artifacts.map(formatArtifact),
    ...(record.store === undefined
      ? {}
      : {
          store: {
            url: record.store.url,
            repository: record.store.repository,
            manifest: record.store.manifest,
          },
        }),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** Reads fields of an untrusted JSON object, naming the field in every error. */
class Fields {
  constructor(
    private readonly where: string,
    private readonly prefix: string,
    private readonly value: Record<string, unknown>,
  ) {}

  static of(where: string, prefix: string, value: unknown): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidRunDataError(where, `${prefix || 'the file'} must be a JSON object`);
    }
    return new Fields(where, prefix, value as Record<string, unknown>);
  }

  fail(key: string, expected: string): never {
    const shown = JSON.stringify(this.value[key]) ?? 'nothing';
    throw new InvalidRunDataError(
      this.where,
      `'${this.prefix}${key}' must be ${expected}, got ${shown.slice(0, 80)}`,
    );
  }

  has(key: string): boolean {
    return this.value[key] !== undefined;
  }

  isNull(key: string): boolean {
    return this.value[key] === null;
  }

  string(key: string, check?: (s: string) => boolean, expected = 'a string'): string {
    const v = this.value[key];
    if (typeof v !== 'string' || (check && !check(v))) this.fail(key, expected);
    return v;
  }

  nullableString(key: string): string | null {
    return this.isNull(key) ? null : this.string(key, undefined, 'a string or null');
  }

  integer(key: string): number {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(key, 'an integer');
    return v;
  }

  nullableInteger(key: string): number | null {
    return this.isNull(key) ? null : this.integer(key);
  }

  /** Whole milliseconds within a Date's range, not before `minimum`. */
  time(key: string, minimum?: number): number {
    const v = this.value[key];
    if (!isStorableTime(v, minimum)) this.fail(key, timeRule(minimum));
    return v;
  }

  finite(key: string): number {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'a number');
    return v;
  }

  number(key: string): number {
    const v = decodeNumber(this.value[key]);
    if (v === undefined) this.fail(key, 'a number, "NaN", "Infinity" or "-Infinity"');
    return v;
  }

  boolean(key: string): boolean {
    const v = this.value[key];
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  object(key: string): Fields {
    return Fields.of(this.where, `${this.prefix}${key}.`, this.value[key]);
  }

  entries(key: string): Array<[string, unknown]> {
    const v = this.value[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(key, 'an object');
    return Object.entries(v);
  }

  stringMap(key: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.entries(key)) {
      if (typeof v !== 'string') this.fail(key, 'an object of strings');
      setOwn(out, k, v);
    }
    return out;
  }

  array(key: string): unknown[] {
    const v = this.value[key];
    if (!Array.isArray(v)) this.fail(key, 'an array');
    return v;
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidRunDataError(where, `not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Returns the format `format` names; throws NewerFormatError when it is newer than this ghml
 * understands and InvalidRunDataError when it is not a format at all.
 */
export function checkFormat(format: unknown, where: string): TrackingFormat {
  if (typeof format === 'number' && Number.isInteger(format) && format > TRACKING_FORMAT) {
    throw new NewerFormatError(where, format);
  }
  if (format !== 1 && format !== 2) {
    throw new InvalidRunDataError(
      where,
      `'format' must be 1 or ${TRACKING_FORMAT}, got ${JSON.stringify(format)}`,
    );
  }
  return format;
}

function parseGithub(f: Fields): RunGithubContext {
  const github: RunGithubContext = {
    repository: f.string('repository'),
    serverUrl: f.string('serverUrl'),
    workflow: f.string('workflow'),
    runId: f.string('runId'),
    runAttempt: f.string('runAttempt'),
    job: f.string('job'),
  };
  if (f.has('prNumber')) github.prNumber = f.integer('prNumber');
  if (f.has('prBaseSha')) github.prBaseSha = f.string('prBaseSha');
  if (f.has('matrix')) github.matrix = f.stringMap('matrix');
  return github;
}

function parseArtifact(where: string, index: number, value: unknown): ArtifactEntry {
  const f = Fields.of(where, `artifacts[${index}].`, value);
  const artifact: ArtifactEntry = {
    path: f.string('path', (s) => s.length > 0),
    size: f.integer('size'),
    sha256: f.string('sha256', (s) => /^[0-9a-f]{64}$/.test(s), 'a 64-character hex sha256'),
    stored: f.boolean('stored'),
  };
  if (f.has('uri')) artifact.uri = f.string('uri');
  return artifact;
}

function parseSummary(f: Fields): MetricSummary {
  return {
    value: f.number('value'),
    step: f.finite('step'),
    timestamp: f.time('timestamp', 0),
    min: f.number('min'),
    max: f.number('max'),
    count: f.integer('count'),
  };
}

/**
 * Parses run.json text. `where` names the file in errors (e.g. its path on the branch).
 * Refuses a record of a newer format with NewerFormatError.
 */
export function parseRunRecord(text: string, where: string): RunRecord {
  const json = parseJson(text, where);
  const f = Fields.of(where, '', json);
  const format = checkFormat((json as Record<string, unknown>)['format'], where);
  const source = f.object('source');
  const metrics: Record<string, MetricSummary> = {};
  for (const [key] of f.entries('metrics'))
    setOwn(metrics, key, parseSummary(f.object('metrics').object(key)));
  return {
    format,
    id: f.string('id', isRunId, 'a ULID'),
    experiment: f.string('experiment', isExperimentName, 'a valid experiment name'),
    name: f.nullableString('name'),
    status: f.string(
      'status',
      (s) => (RUN_STATUSES as readonly string[]).includes(s),
      RUN_STATUSES.join(', '),
    ) as RunStatus,
    startTime: f.time('startTime'),
    endTime: f.isNull('endTime') ? null : f.time('endTime'),
    exitCode: f.nullableInteger('exitCode'),
    source: {
      commit: source.string('commit', isCommitSha, 'a full commit sha'),
      branch: source.nullableString('branch'),
      dirty: source.boolean('dirty'),
    },
    github: f.isNull('github') ? null : parseGithub(f.object('github')),
    params: f.stringMap('params'),
    tags: f.stringMap('tags'),
    metrics,
    artifacts: f.array('artifacts').map((a, i) => parseArtifact(where, i, a)),
    ...(f.has('store') ? { store: parseStore(f.object('store')) } : {}),
  };
}

function parseStore(f: Fields): RunStoreReference {
  return {
    url: f.string('url', (s) => /^oci:\/\/[^\s]{1,500}$/.test(s), 'an oci:// URL'),
    repository: f.string(
      'repository',
      (s) => /^[a-z0-9][a-z0-9._/-]{0,500}$/.test(s),
      'a repository path',
    ),
    manifest: f.string('manifest', (s) => /^sha256:[0-9a-f]{64}$/.test(s), 'a sha256: digest'),
  };
}

/** One metrics.jsonl line (no trailing newline). */
export function formatMetricLine(point: MetricPoint): string {
  return JSON.stringify({
    key: point.key,
    value: encodeNumber(point.value),
    step: point.step,
    timestamp: point.timestamp,
  });
}

/** metrics.jsonl text for a whole series, one line per point, ending with a newline. */
export function formatMetricLines(points: readonly MetricPoint[]): string {
  return points.map((p) => `${formatMetricLine(p)}\n`).join('');
}

/** Parses metrics.jsonl text; blank lines are skipped, a bad line is an error naming its number. */
export function parseMetricLines(text: string, where = 'metrics.jsonl'): MetricPoint[] {
  const points: MetricPoint[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const at = `${where}:${index + 1}`;
    const f = Fields.of(at, '', parseJson(line, at));
    points.push({
      key: f.string('key', (s) => s.length > 0, 'a non-empty string'),
      value: f.number('value'),
      step: f.finite('step'),
      timestamp: f.time('timestamp', 0),
    });
  });
  return points;
}

/** An event file (`events/<id>.json`): `kind` and `at` first, other fields sorted. */
export function formatRunEvent(event: RunEvent): string {
  const { kind, at, ...rest } = event;
  if (!isStorableTime(at)) {
    throw new InvalidRunDataError(
      `event '${kind}'`,
      `'at' must be ${timeRule()}, got ${String(at)}`,
    );
  }
  const out = { kind, at, ...sortedRecord(rest, (v) => v) };
  const text = JSON.stringify(
    out,
    (_key, value: unknown) => (typeof value === 'number' ? encodeNumber(value) : value),
    2,
  );
  return `${text}\n`;
}

/** Parses an event file; `kind` must be a non-empty string and `at` a time in ms within a Date's range. */
export function parseRunEvent(text: string, where: string): RunEvent {
  const json = parseJson(text, where);
  const f = Fields.of(where, '', json);
  const kind = f.string('kind', (s) => s.length > 0, 'a non-empty string');
  const at = f.time('at');
  return { ...(json as Record<string, unknown>), kind, at };
}
