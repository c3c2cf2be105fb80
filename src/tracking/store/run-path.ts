/**
 * Where a run lives on the tracking branch (format 1):
 * `runs/<experiment>/<sha[0:2]>/<sha[2:]>/<run-id>`. Fanning out on the sha keeps every tree
 * small and makes "the runs at commit C" a single tree listing.
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
