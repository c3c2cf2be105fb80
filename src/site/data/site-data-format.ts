/**
 * The JSON files of the report site's `data/` folder: what `ghml report build` writes and what
 * the page (web/) reads. Both sides import these types, so a change here is a change of the
 * contract between them; `SITE_DATA_FORMAT` is bumped when a file changes shape. Every string
 * inside comes from runs, tags or commits and is untrusted: the page only ever sets it as text.
 * Browser-safe: no Node.js imports.
 */
import type { MetricSettings } from '../../config/config-types.js';
import type { RunGithubContext, RunStatus } from '../../tracking/run-record.js';

export const SITE_DATA_FORMAT = 1;

/** Runs in the first shard (the newest): all the runs view needs to draw its first screen. */
export const FIRST_SHARD_RUNS = 1000;

/** Runs per shard file after the first. */
export const RUNS_PER_SHARD = 5000;

/** Paths inside the site folder. */
export const DATA_DIR = 'data';
export const MANIFEST_PATH = `${DATA_DIR}/manifest.json`;
export const MODELS_PATH = `${DATA_DIR}/models.json`;
export const TRENDS_PATH = `${DATA_DIR}/trends.json`;
export const SWEEPS_PATH = `${DATA_DIR}/sweeps.json`;

export function shardPath(index: number): string {
  return `${DATA_DIR}/runs/${String(index).padStart(4, '0')}.json`;
}

/** The runs of commits whose sha starts with these two hex digits. */
export function commitIndexPath(sha: string): string {
  return `${DATA_DIR}/commits/${sha.slice(0, 2).toLowerCase()}.json`;
}

export function seriesPath(runId: string): string {
  return `${DATA_DIR}/series/${runId}.json`;
}

/** A key (param, metric or tag) and how many runs have it. */
export interface KeyCount {
  key: string;
  runs: number;
}

export interface ShardInfo {
  path: string;
  runs: number;
  /** Id of the newest run in the shard (shards hold runs newest first, by id). */
  first: string;
  /** Id of the oldest run in the shard. */
  last: string;
}

export interface SiteExperiment {
  name: string;
  runs: number;
  /** The configured objective (ghml.yml), or null. */
  objective: string | null;
  /** Metric settings configured in ghml.yml; other metrics get the defaults for their name. */
  metrics: Record<string, MetricSettings>;
}

/** Where web links point (GitHub commits, PRs, releases), when the repository is on GitHub. */
export interface SiteRepository {
  serverUrl: string;
  owner: string;
  repo: string;
}

export interface SeriesPolicy {
  /** Runs whose full series are in data/series/ (the others show summaries only). */
  included: number;
  /** The build's budgets: at most this many runs, this many points in all, per run. */
  maxRuns: number;
  maxPoints: number;
  maxRunPoints: number;
  /** True when the site is served by `ghml ui`, which reads any run's series from git. */
  onDemand: boolean;
}

export interface SiteManifest {
  format: typeof SITE_DATA_FORMAT;
  /** Milliseconds since the epoch. */
  generatedAt: number;
  tracking: { branch: string; tip: string | null };
  repository: SiteRepository | null;
  /** Runs on the site (deleted runs are left out). */
  runCount: number;
  /** Newest first. */
  shards: ShardInfo[];
  experiments: SiteExperiment[];
  keys: { params: KeyCount[]; metrics: KeyCount[]; tags: KeyCount[] };
  series: SeriesPolicy;
  /** Files the page may load that are not always present. */
  files: { models: boolean; trends: boolean; sweeps: boolean };
  /** Problems met while building (unreadable registry, no main branch ...), shown on the page. */
  warnings: string[];
}

/**
 * One run in a shard, as an array (positions, not names, to keep 100,000 runs small):
 * [id, experiment index, name, status, startTime, endTime, exitCode, commit, branch, dirty,
 *  params, tags, metrics, github, artifacts, series flag, run folder tree oid].
 * params / tags: [key index, value, key index, value ...] into the shard's key tables.
 * metrics: [key index, value, step, min, max, count, ...], NaN and ±Infinity as strings.
 */
export type EncodedRun = [
  id: string,
  experiment: number,
  name: string | null,
  status: RunStatus,
  startTime: number,
  endTime: number | null,
  exitCode: number | null,
  commit: string,
  branch: string | null,
  dirty: 0 | 1,
  params: Array<number | string>,
  tags: Array<number | string>,
  metrics: Array<number | string>,
  github: RunGithubContext | null,
  artifacts: EncodedArtifact[],
  series: 0 | 1 | 2,
  tree: string,
];

/** [path, size, sha256, stored, uri]. */
export type EncodedArtifact = [string, number, string, 0 | 1, string | null];

export interface RunShard {
  format: typeof SITE_DATA_FORMAT;
  experiments: string[];
  paramKeys: string[];
  tagKeys: string[];
  metricKeys: string[];
  runs: EncodedRun[];
}

/** data/commits/<xx>.json: run ids per commit sha. */
export type CommitIndex = Array<[sha: string, runIds: string[]]>;

/**
 * One metric's series: steps, values and times of its points, in step order. With `deltas`,
 * `step` and `time` hold the first value and then the difference to the previous one (used
 * only when every step and time is a safe integer, so decoding is exact); otherwise they hold
 * the values themselves. `value` is the base64 of the values as little-endian IEEE 754 doubles:
 * exact (NaN and ±Infinity included) and parsed far faster than JSON numbers.
 */
export interface EncodedSeries {
  key: string;
  deltas: boolean;
  step: number[];
  value: string;
  time: number[];
}

export interface SeriesFile {
  format: typeof SITE_DATA_FORMAT;
  id: string;
  /** Points in the run's metrics.jsonl. */
  points: number;
  /** True when the build kept fewer points than the run has (see SeriesPolicy.maxRunPoints). */
  reduced: boolean;
  metrics: EncodedSeries[];
}

/** One point of a trend: an experiment's objective at one commit of the main branch. */
export interface TrendPoint {
  /** Index into TrendsFile.commits. */
  commit: number;
  value: number | string;
  /** The run the value came from. */
  runId: string;
  /** Matrix keys (runs) at that commit; the value is the best of them. */
  runs: number;
}

export interface TrendsFile {
  format: typeof SITE_DATA_FORMAT;
  /** The branch (or rev) whose first-parent history was walked. */
  branch: string;
  /** Oldest first. */
  commits: Array<{ sha: string; date: number; subject: string }>;
  experiments: Array<{
    name: string;
    objective: string;
    direction: 'max' | 'min';
    points: TrendPoint[];
  }>;
}

/** A commit of an experiment whose runs have two or more matrix keys. */
export interface SweepInfo {
  experiment: string;
  commit: string;
  /** Start time of the newest run, ms. */
  time: number;
  runIds: string[];
}

export interface SweepsFile {
  format: typeof SITE_DATA_FORMAT;
  /** Newest first. */
  sweeps: SweepInfo[];
}

/** A registry event as the page shows it. */
export interface SiteModelEvent {
  tag: string;
  event: 'register' | 'deregister' | 'assign' | 'unassign' | 'deprecate';
  version: string | null;
  stage: string | null;
  commit: string;
  author: string | null;
  /** Unix seconds. */
  date: number;
  summary: string;
  runId: string | null;
}

export interface SiteModel {
  name: string;
  latest: string | null;
  deprecated: boolean;
  versions: Array<{
    version: string;
    commit: string;
    active: boolean;
    stages: string[];
    tag: string;
    registeredBy: string | null;
    registeredAt: number;
    runId: string | null;
  }>;
  stages: Array<{ stage: string; current: string | null }>;
  /** Oldest first. */
  events: SiteModelEvent[];
}

export interface ModelsFile {
  format: typeof SITE_DATA_FORMAT;
  models: SiteModel[];
  warnings: string[];
}
