/**
 * Paths on the tracking branch. A run folder is `runs/<experiment>/<sha[0:2]>/<sha[2:]>/<run-id>`
 * in both formats (in format 2 only while the run is in the open bucket): fanning out on the
 * sha keeps every tree small and makes "the runs at commit C" a single tree listing. Format 2
 * adds event files, metric-series chunks and segment folders (docs/storage-format.md).
 */
import { InvalidNameError } from '../tracking-errors.js';

export const RUNS_DIR = 'runs';

const EXPERIMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** Crockford base32, 26 characters, first one at most '7' (48-bit time). */
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** The parts a run path is made of. */
export interface RunPathParts {
  experiment: string;
  /** Full sha of the commit the run trained on. */
  commit: string;
  runId: string;
}

export function isExperimentName(name: string): boolean {
  return EXPERIMENT.test(name) && name !== '..' && !name.endsWith('.lock');
}

export function isCommitSha(sha: string): boolean {
  return SHA.test(sha);
}

export function isRunId(id: string): boolean {
  return ULID.test(id);
}

export function assertExperimentName(name: string): void {
  if (!isExperimentName(name)) {
    throw new InvalidNameError(
      'experiment name',
      name,
      "starts with a letter or digit, has only letters, digits, '.', '_' or '-', is at most 100 characters and does not end in '.lock'",
    );
  }
}

export function assertCommitSha(sha: string): void {
  if (!isCommitSha(sha)) {
    throw new InvalidNameError('commit', sha, 'is a full 40- or 64-character lowercase hex sha');
  }
}

export function assertRunId(id: string): void {
  if (!isRunId(id)) {
    throw new InvalidNameError('run id', id, 'is a ULID (26 characters of Crockford base32)');
  }
}

/** Folder holding every run of `experiment` at `commit`. */
export function commitDir(experiment: string, commit: string): string {
  assertExperimentName(experiment);
  assertCommitSha(commit);
  return `${RUNS_DIR}/${experiment}/${commit.slice(0, 2)}/${commit.slice(2)}`;
}

/** The run's folder on the tracking branch. Throws InvalidNameError for a bad part. */
export function runPath(experiment: string, commit: string, runId: string): string {
  assertRunId(runId);
  return `${commitDir(experiment, commit)}/${runId}`;
}

/** Parses a path made by `runPath`; undefined when it is not one. */
export function parseRunPath(path: string): RunPathParts | undefined {
  const parts = path.split('/');
  if (parts.length !== 5 || parts[0] !== RUNS_DIR) return undefined;
  const [, experiment = '', head = '', tail = '', runId = ''] = parts;
  const commit = head + tail;
  if (
    head.length !== 2 ||
    !isExperimentName(experiment) ||
    !isCommitSha(commit) ||
    !isRunId(runId)
  ) {
    return undefined;
  }
  return { experiment, commit, runId };
}

/** Folder of open events in format 2: `events/<run-id>/<event-id>.json`. */
export const EVENTS_DIR = 'events';

/** Folder of sealed segments in format 2. */
export const SEGMENTS_DIR = 'segments';

/** Where an event of `runId` lives in format 2. */
export function eventPath(runId: string, eventId: string): string {
  assertRunId(runId);
  assertRunId(eventId);
  return `${EVENTS_DIR}/${runId}/${eventId}.json`;
}

/** Parses an event path of either format; undefined when `path` is not one. */
export function parseEventPath(path: string): { runId: string; eventId: string } | undefined {
  const parts = path.split('/');
  const file = parts[parts.length - 1] ?? '';
  if (!file.endsWith('.json')) return undefined;
  const eventId = file.slice(0, -'.json'.length);
  if (!isRunId(eventId)) return undefined;
  if (parts.length === 3 && parts[0] === EVENTS_DIR && isRunId(parts[1] ?? '')) {
    return { runId: parts[1] as string, eventId };
  }
  // Format 1: runs/<experiment>/<xx>/<rest>/<run-id>/events/<event-id>.json
  if (parts.length === 7 && parts[5] === 'events') {
    const run = parseRunPath(parts.slice(0, 5).join('/'));
    return run ? { runId: run.runId, eventId } : undefined;
  }
  return undefined;
}

/** Name of metric-series chunk `index` in a run folder: metrics.jsonl, metrics-1.jsonl, … */
export function metricsChunkName(index: number): string {
  return index === 0 ? 'metrics.jsonl' : `metrics-${index}.jsonl`;
}

/** The chunk index of a metric-series file name, or undefined when it is not one. */
export function parseMetricsChunkName(name: string): number | undefined {
  if (name === 'metrics.jsonl') return 0;
  const match = /^metrics-([1-9][0-9]{0,8})\.jsonl$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** A sealed segment, as its folder name under segments/ describes it. */
export interface SegmentName {
  /** 1, 2, 3, … */
  number: number;
  /** Smallest and largest run id in the segment; undefined when it holds no run. */
  minRunId: string | undefined;
  maxRunId: string | undefined;
}

/** `<NNNNNN>-<min-run-id>-<max-run-id>`, or `<NNNNNN>-0-0` for a segment without runs. */
export function formatSegmentName(segment: SegmentName): string {
  const number = String(segment.number).padStart(6, '0');
  if (segment.minRunId === undefined || segment.maxRunId === undefined) return `${number}-0-0`;
  return `${number}-${segment.minRunId}-${segment.maxRunId}`;
}

export function parseSegmentName(name: string): SegmentName | undefined {
  const match = /^([0-9]{6,9})-([0-9A-Z]{26}|0)-([0-9A-Z]{26}|0)$/.exec(name);
  if (!match) return undefined;
  const [, number = '', min = '', max = ''] = match;
  if (min === '0' && max === '0') {
    return { number: Number(number), minRunId: undefined, maxRunId: undefined };
  }
  if (!isRunId(min) || !isRunId(max) || min > max) return undefined;
  return { number: Number(number), minRunId: min, maxRunId: max };
}
