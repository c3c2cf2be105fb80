/**
 * Accumulates what a run logs (params, metrics, tags, artifacts) with MLflow's semantics and
 * builds the RunRecord plus the `metrics.jsonl` bytes for the tracking-branch writer.
 *
 * Every `add*` method validates and throws a typed error (InvalidNameError, InvalidValueError,
 * ParamChangedError) without changing anything, so callers decide what an error means:
 * `ghml log` reports it to the user; ingestion of a finished command turns it into a warning
 * and keeps every other event (see ingest-run.ts). Only `build` with a bad identity throws for
 * the whole run.
 */
import {
  TRACKING_FORMAT,
  encodeNumber,
  type ArtifactEntry,
  type MetricPoint,
  type MetricSummary,
  type RunGithubContext,
  type RunRecord,
  type RunSource,
  type RunStatus,
} from '../run-record.js';
import { ParamChangedError } from './ingest-errors.js';
import {
  validateExperimentName,
  validateKey,
  validateMetricValue,
  validateParamValue,
  validateStep,
  validateTagValue,
  validateTimestamp,
} from '../run-limits.js';
import { UsageError } from '../../errors/ghml-error.js';
import { InvalidRunRecordError, runRecordProblem } from '../run-record-schema.js';
import type { IngestWarning } from './ingest-warnings.js';

/** Who the run is and how it ended; everything `build` needs besides the logged data. */
export interface RunIdentity {
  /** ULID. */
  id: string;
  experiment: string;
  name?: string | null;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  exitCode: number | null;
  source: RunSource;
  github: RunGithubContext | null;
  /** From `collectArtifacts`; default none. */
  artifacts?: ArtifactEntry[];
}

/** What `build` returns. */
export interface BuiltRun {
  record: RunRecord;
  /** The full series, sorted by key, step, timestamp (then log order), one point per line. */
  metricsJsonl: Buffer;
  /** Artifacts announced by events but missing from the artifacts folder. */
  warnings: IngestWarning[];
}

/**
 * At most this many metric keys per run (docs/storage-format.md, "Limits"): a key logged
 * after the cap is reached is skipped, and `build` warns once with how many were.
 */
export const MAX_METRIC_KEYS = 100_000;

export interface RunBuilderOptions {
  /** Clock for points logged without a timestamp; default Date.now. */
  now?: () => number;
}

/** One key's series, stored column-wise: three number arrays instead of a million objects. */
class Series {
  readonly steps: number[] = [];
  readonly values: number[] = [];
  readonly timestamps: number[] = [];
  maxStep = Number.NEGATIVE_INFINITY;

  add(value: number, step: number, timestamp: number): void {
    this.steps.push(step);
    this.values.push(value);
    this.timestamps.push(timestamp);
    if (step > this.maxStep) this.maxStep = step;
  }

  /** The step a point logged without one gets: 1 + the highest step so far, 0 at first. */
  nextStep(): number {
    return this.steps.length === 0 ? 0 : this.maxStep + 1;
  }

  /** Indices ordered by step, then timestamp, then log order. */
  order(): Uint32Array {
    const n = this.steps.length;
    const idx = new Uint32Array(n);
    let sorted = true;
    for (let i = 0; i < n; i++) {
      idx[i] = i;
      if (i > 0 && this.compare(i - 1, i) > 0) sorted = false;
    }
    if (!sorted) idx.sort((a, b) => this.compare(a, b) || a - b);
    return idx;
  }

  private compare(a: number, b: number): number {
    return (
      (this.steps[a] as number) - (this.steps[b] as number) ||
      (this.timestamps[a] as number) - (this.timestamps[b] as number)
    );
  }
}

export class RunBuilder {
  private readonly now: () => number;
  private readonly params = new Map<string, string>();
  private readonly tags = new Map<string, string>();
  private readonly series = new Map<string, Series>();
  private readonly declaredArtifacts = new Set<string>();
  /** Keys refused because the run already had MAX_METRIC_KEYS keys. */
  private readonly skippedKeys = new Set<string>();
  private pointCount = 0;

  constructor(options: RunBuilderOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /** Logs a param. Re-logging the same value is fine; a different value throws ParamChangedError. */
  addParam(key: string, value: string): void {
    validateKey(key, 'param key');
    validateParamValue(key, value);
    const previous = this.params.get(key);
    if (previous !== undefined && previous !== value) {
      throw new ParamChangedError(key, previous, value);
    }
    this.params.set(key, value);
  }

  /** Sets a tag; tags are mutable (the last value wins), as in MLflow. */
  setTag(key: string, value: string): void {
    validateKey(key, 'tag key');
    validateTagValue(key, value);
    this.tags.set(key, value);
  }

  /**
   * Appends a metric point. `value` may be a number (NaN/±Infinity kept) or "NaN"/"Infinity"/
   * "-Infinity"; anything else throws naming the key. Without `step` the point gets the key's
   * next step; without `timestamp`, the builder's clock.
   */
  addMetric(key: string, value: unknown, step?: number, timestamp?: number): void {
    const series = this.series.get(key);
    if (series === undefined) validateKey(key, 'metric key');
    const v = typeof value === 'number' ? value : validateMetricValue(key, value);
    const s = step === undefined ? (series?.nextStep() ?? 0) : validateStep(key, step);
    const t = timestamp === undefined ? this.now() : validateTimestamp(key, timestamp);
    if (series === undefined && this.series.size >= MAX_METRIC_KEYS) {
      // Past the cap: skipped, and counted for the one warning `build` gives.
      this.skippedKeys.add(key);
      return;
    }
    let target = series;
    if (target === undefined) {
      target = new Series();
      this.series.set(key, target);
    }
    target.add(v, s, t);
    this.pointCount += 1;
  }

  /**
   * Logs a value from a metrics file (DVC-style). A key the run did not log gets one point at
   * step 0 with the builder's clock (or `timestamp`). A key the run logged keeps its series:
   * the logged points win over the file. Returns the last logged value when the file's value
   * differs from it (so the caller can warn), undefined otherwise.
   */
  addFinalMetric(key: string, value: unknown, timestamp?: number): number | undefined {
    const series = this.series.get(key);
    if (series === undefined) {
      this.addMetric(key, value, 0, timestamp);
      return undefined;
    }
    const v = typeof value === 'number' ? value : validateMetricValue(key, value);
    const order = series.order();
    const last = series.values[order[order.length - 1] as number] as number;
    return Object.is(last, v) ? undefined : last;
  }

  /** Records that the command announced an artifact; `build` warns when the file is missing. */
  noteArtifact(path: string): void {
    validateKey(path, 'artifact path');
    this.declaredArtifacts.add(path);
  }

  /** Number of metric points so far. */
  get metricPoints(): number {
    return this.pointCount;
  }

  /** Params so far (a copy). */
  paramsSnapshot(): Record<string, string> {
    return Object.fromEntries(this.params);
  }

  /** Builds the run record and metrics.jsonl. Throws UsageError for a bad identity. */
  build(identity: RunIdentity): BuiltRun {
    validateExperimentName(identity.experiment);
    if (identity.id.length === 0) throw new UsageError('The run id must not be empty.');
    const artifacts = [...(identity.artifacts ?? [])].sort((a, b) =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
    );
    const warnings: IngestWarning[] = [];
    const present = new Set(artifacts.map((a) => a.path));
    for (const path of this.declaredArtifacts) {
      if (!present.has(path)) {
        warnings.push({
          source: 'artifacts',
          message: `artifact '${path}' was logged but is not in GHML_ARTIFACTS_DIR at the end of the run`,
        });
      }
    }

    if (this.skippedKeys.size > 0) {
      const first = [...this.skippedKeys].slice(0, 3).map((k) => `'${k}'`);
      const more = this.skippedKeys.size - first.length;
      warnings.push({
        source: 'metrics',
        message: `skipped ${this.skippedKeys.size} metric key(s) over the cap of ${MAX_METRIC_KEYS.toLocaleString('en-US')} keys per run (${first.join(', ')}${more > 0 ? `, and ${more} more` : ''}); log fewer distinct metric names`,
      });
    }

    const summaries: Array<[string, MetricSummary]> = [];
    const chunks: Buffer[] = [];
    for (const key of [...this.series.keys()].sort(byCodeUnits)) {
      const series = this.series.get(key) as Series;
      const order = series.order();
      summaries.push([key, summarize(series, order)]);
      appendJsonl(chunks, key, series, order);
    }
    // fromEntries defines own properties: no key can reach the prototype.
    const metrics: Record<string, MetricSummary> = Object.fromEntries(summaries);

    const record: RunRecord = {
      format: TRACKING_FORMAT,
      id: identity.id,
      experiment: identity.experiment,
      name: identity.name ?? null,
      status: identity.status,
      startTime: identity.startTime,
      endTime: identity.endTime,
      exitCode: identity.exitCode,
      source: identity.source,
      github: identity.github,
      params: sortedObject(this.params),
      tags: sortedObject(this.tags),
      metrics,
      artifacts,
    };
    const problem = runRecordProblem(record);
    if (problem !== undefined) {
      throw new InvalidRunRecordError(problem, 'the run cannot be recorded with this value');
    }
    return { record, metricsJsonl: Buffer.concat(chunks), warnings };
  }
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedObject(map: Map<string, string>): Record<string, string> {
  // fromEntries defines own properties, so a key like "__proto__" stays an ordinary key.
  return Object.fromEntries([...map.entries()].sort((a, b) => byCodeUnits(a[0], b[0])));
}

/** Last value by step then timestamp; min/max ignore NaN unless every value is NaN. */
function summarize(series: Series, order: Uint32Array): MetricSummary {
  const last = order[order.length - 1] as number;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let numbers = 0;
  for (const v of series.values) {
    if (Number.isNaN(v)) continue;
    numbers += 1;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (numbers === 0) min = max = Number.NaN;
  return {
    value: series.values[last] as number,
    step: series.steps[last] as number,
    timestamp: series.timestamps[last] as number,
    min,
    max,
    count: series.values.length,
  };
}

const JSONL_BATCH = 8192;

/**
 * Writes `{"key","value","step","timestamp"}` lines, joined in batches to bound memory.
 * Keys are ASCII (the key rule) and so are numbers, so latin1 encoding is exact and cheaper.
 */
function appendJsonl(chunks: Buffer[], key: string, series: Series, order: Uint32Array): void {
  const prefix = `{"key":${JSON.stringify(key)},"value":`;
  let batch = '';
  let inBatch = 0;
  for (const i of order) {
    const value = series.values[i] as number;
    const encoded = Number.isFinite(value) ? String(value) : `"${String(encodeNumber(value))}"`;
    batch += `${prefix}${encoded},"step":${series.steps[i] as number},"timestamp":${series.timestamps[i] as number}}\n`;
    if (++inBatch === JSONL_BATCH) {
      chunks.push(Buffer.from(batch, 'latin1'));
      batch = '';
      inBatch = 0;
    }
  }
  if (batch !== '') chunks.push(Buffer.from(batch, 'latin1'));
}

/** Parses metrics.jsonl back into points (for tests and readers of format 1). */
export function parseMetricsJsonl(data: Buffer | string): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const line of data.toString().split('\n')) {
    if (line === '') continue;
    const o = JSON.parse(line) as { key: string; value: unknown; step: number; timestamp: number };
    points.push({
      key: o.key,
      value: validateMetricValue(o.key, o.value),
      step: o.step,
      timestamp: o.timestamp,
    });
  }
  return points;
}
