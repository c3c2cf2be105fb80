/**
 * The run record: what `run.json` on the tracking branch holds (format 1, see DESIGN.md, and
 * format 2, docs/storage-format.md, which keeps the same record).
 * Vocabulary follows MLflow: params are immutable strings, metrics are append-only series,
 * status is RUNNING | FINISHED | FAILED | KILLED.
 *
 * Non-finite numbers cannot be written as JSON numbers, so everywhere in format 1 (run.json,
 * metrics.jsonl, the events file) NaN, Infinity and -Infinity are written as the strings
 * "NaN", "Infinity" and "-Infinity". `encodeNumber` / `decodeNumber` convert.
 */

/** The tracking-branch format this ghml writes (docs/storage-format.md). */
export const TRACKING_FORMAT = 2;

/** Formats this ghml reads: 1 (DESIGN.md) and 2 (docs/storage-format.md). */
export type TrackingFormat = 1 | 2;

export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';
export const RUN_STATUSES: readonly RunStatus[] = ['RUNNING', 'FINISHED', 'FAILED', 'KILLED'];

/** One point of a metric series, as stored one per line in `metrics.jsonl`. */
export interface MetricPoint {
  key: string;
  value: number;
  step: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

/** Summary of one metric series, kept in run.json so listing never reads metrics.jsonl. */
export interface MetricSummary {
  /** The last value logged (highest step; ties broken by timestamp, then by log order). */
  value: number;
  step: number;
  timestamp: number;
  min: number;
  max: number;
  /** Number of points in the series. */
  count: number;
}

/** Where the run's code came from. */
export interface RunSource {
  /** Full sha of the commit the run trained on (for a PR: the PR head, never the merge commit). */
  commit: string;
  /** Branch name, or null on a detached HEAD. */
  branch: string | null;
  /** True when tracked files differed from `commit` when the run started. */
  dirty: boolean;
}

/** GitHub Actions context, present when the run happened in a workflow. */
export interface RunGithubContext {
  repository: string;
  serverUrl: string;
  workflow: string;
  runId: string;
  runAttempt: string;
  job: string;
  /** Pull request number, when the workflow ran for a PR. */
  prNumber?: number;
  /** Base sha of that PR, from the event payload. */
  prBaseSha?: string;
  /** Values of the job's matrix (from the `matrix` context), stringified. */
  matrix?: Record<string, string>;
}

/** A file recorded with the run. */
export interface ArtifactEntry {
  /** Path relative to the run's artifacts folder, '/'-separated. */
  path: string;
  size: number;
  sha256: string;
  /**
   * True when the bytes are stored on the tracking branch under `artifacts/<path>`.
   * False for files over the size limit: only `uri` (where they went) and the digest are kept.
   */
  stored: boolean;
  /** For files not stored: where the bytes are (release asset, workflow artifact, file://). */
  uri?: string;
}

/** A registry or deploy event that refers to this run (appended by later issues). */
export interface RunEvent {
  kind: string;
  at: number;
  [field: string]: unknown;
}

export interface RunRecord {
  /** The format of the branch the record was read from or will be written to. */
  format: TrackingFormat;
  /** ULID: time-sortable and unique across parallel jobs. */
  id: string;
  experiment: string;
  /** Optional human name (MLflow's run name). */
  name: string | null;
  status: RunStatus;
  /** Milliseconds since the epoch. */
  startTime: number;
  endTime: number | null;
  /** Exit code of the training command, null when it was killed by a signal or never ran. */
  exitCode: number | null;
  source: RunSource;
  github: RunGithubContext | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, MetricSummary>;
  artifacts: ArtifactEntry[];
  /**
   * Where the artifacts not kept on the branch are (`stored: false`): the run's manifest in the
   * artifact store. Absent when the run has none, or when no store was configured.
   */
  store?: RunStoreReference;
}

/** A run's manifest in an OCI artifact store (docs/artifact-store.md). */
export interface RunStoreReference {
  /** The store, e.g. `oci://ghcr.io/acme/ml`. */
  url: string;
  /** The repository holding the manifest, e.g. `acme/ml/runs`. */
  repository: string;
  /** `sha256:<hex>` of the manifest (tagged with the run id). */
  manifest: string;
}

/** Writes a number the way format 1 stores it: finite numbers as numbers, others as strings. */
export function encodeNumber(value: number): number | string {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

/** Reads a number stored by `encodeNumber`; returns undefined for anything else. */
export function decodeNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return undefined;
}

/**
 * Sets an own, enumerable property: a key such as `__proto__` read from the branch stays data
 * and never becomes an object's prototype, whatever the record's origin.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
