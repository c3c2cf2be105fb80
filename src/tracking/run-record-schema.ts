/**
 * The one schema of a run record's content, shared by the producer and the importer: `ghml run`
 * checks a run's identity against it before the command starts and RunBuilder.build checks the
 * whole record before it is written; the import of an untrusted run artifact
 * (untrusted-run-artifact.ts) checks the same rules. Invariant: whatever ghml records, its
 * importer accepts, and nothing it imports could not have been recorded.
 *
 * Beyond the shape that run-record-json.ts parses, the rules are: keys of params, metrics and
 * tags follow the key rule (run-limits.ts), values their length limits; times lie within a
 * Date's range; a run name has at most 250 characters; the GitHub context holds an
 * `owner/name` repository, an http(s) server URL and numeric run ids (each may be empty
 * outside Actions); matrix names are any 1 to 250 printable characters (Actions allows
 * `python:version`) but not `__proto__`, with values of at most 5000 characters; artifact
 * paths follow the key rule and appear once.
 */
import { UsageError } from '../errors/ghml-error.js';
import type { RunGithubContext, RunRecord } from './run-record.js';
import { isStorableTime, keyProblem, RUN_LIMITS, timeRule } from './run-limits.js';
import { isCommitSha } from './store/run-path.js';

export const RUN_SCHEMA_LIMITS = {
  maxRunNameLength: 250,
  maxMatrixEntries: 100,
  maxMatrixKeyLength: 250,
  maxMatrixValueLength: 5000,
  /** Workflow and job names, as GitHub shows them. */
  maxGithubTextLength: 1000,
} as const;

/** A rule a record breaks: the field (a dotted path into run.json) and what is wrong. */
export interface RecordProblem {
  field: string;
  problem: string;
}

/** A run record, or the identity of a run about to start, that breaks the shared schema. */
export class InvalidRunRecordError extends UsageError {
  readonly field: string;
  constructor(problem: RecordProblem, hint: string) {
    super(`'${problem.field}' ${problem.problem}`, { hint });
    this.name = 'InvalidRunRecordError';
    this.field = problem.field;
  }
}

const REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/;
const DIGITS = /^[0-9]{1,20}$/;
// C0 and C1 control characters (newlines, escapes) and DEL.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function shown(value: string, max = 80): string {
  return `'${value.length > max ? `${value.slice(0, max)}…` : value}'`;
}

/** Why `name` cannot be a run name, or undefined. */
export function runNameProblem(name: string): string | undefined {
  if (name.length > RUN_SCHEMA_LIMITS.maxRunNameLength) {
    return `must be at most ${RUN_SCHEMA_LIMITS.maxRunNameLength} characters (it has ${name.length})`;
  }
  return undefined;
}

/** Why `key` cannot name a matrix value, or undefined. */
export function matrixKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'must not be empty';
  if (key.length > RUN_SCHEMA_LIMITS.maxMatrixKeyLength) {
    return `must be at most ${RUN_SCHEMA_LIMITS.maxMatrixKeyLength} characters`;
  }
  if (CONTROL.test(key)) return 'must not contain control characters';
  if (key === '__proto__') return "is reserved ('__proto__' names a JavaScript object's prototype)";
  return undefined;
}

/** The first problem of a matrix, or undefined. */
export function matrixProblem(matrix: Record<string, string>): RecordProblem | undefined {
  const keys = Object.keys(matrix);
  if (keys.length > RUN_SCHEMA_LIMITS.maxMatrixEntries) {
    return {
      field: 'github.matrix',
      problem: `has ${keys.length} entries; at most ${RUN_SCHEMA_LIMITS.maxMatrixEntries} are allowed`,
    };
  }
  for (const key of keys) {
    const problem = matrixKeyProblem(key);
    if (problem !== undefined) {
      return { field: 'github.matrix', problem: `name ${shown(key)} ${problem}` };
    }
    const value = matrix[key] as string;
    if (typeof value !== 'string' || value.length > RUN_SCHEMA_LIMITS.maxMatrixValueLength) {
      return {
        field: `github.matrix.${key}`,
        problem: `must be a text of at most ${RUN_SCHEMA_LIMITS.maxMatrixValueLength} characters`,
      };
    }
  }
  return undefined;
}

function githubProblem(github: RunGithubContext): RecordProblem | undefined {
  const at = (field: string, problem: string): RecordProblem => ({
    field: `github.${field}`,
    problem,
  });
  if (github.repository !== '' && !REPOSITORY.test(github.repository)) {
    return at('repository', `must be 'owner/name', got ${shown(github.repository)}`);
  }
  if (github.serverUrl !== '') {
    let url: URL | undefined;
    try {
      url = new URL(github.serverUrl);
    } catch {
      url = undefined;
    }
    if (
      url === undefined ||
      (url.protocol !== 'https:' && url.protocol !== 'http:') ||
      url.username !== '' ||
      url.password !== '' ||
      url.search !== '' ||
      url.hash !== ''
    ) {
      return at('serverUrl', `must be an http(s) URL, got ${shown(github.serverUrl)}`);
    }
  }
  if (github.runId !== '' && !DIGITS.test(github.runId)) {
    return at('runId', `must be digits, got ${shown(github.runId)}`);
  }
  if (github.runAttempt !== '' && !DIGITS.test(github.runAttempt)) {
    return at('runAttempt', `must be digits, got ${shown(github.runAttempt)}`);
  }
  for (const field of ['workflow', 'job'] as const) {
    if (github[field].length > RUN_SCHEMA_LIMITS.maxGithubTextLength) {
      return at(field, `must be at most ${RUN_SCHEMA_LIMITS.maxGithubTextLength} characters`);
    }
  }
  if (
    github.prNumber !== undefined &&
    !(Number.isSafeInteger(github.prNumber) && github.prNumber > 0)
  ) {
    return at('prNumber', 'must be a positive integer');
  }
  if (github.prBaseSha !== undefined && !isCommitSha(github.prBaseSha)) {
    return at('prBaseSha', 'must be a full commit sha');
  }
  return github.matrix === undefined ? undefined : matrixProblem(github.matrix);
}

/** What a run is before anything is logged: checked before its command starts. */
export type RunIdentityFields = Pick<RunRecord, 'name' | 'startTime' | 'endTime' | 'github'>;

/** The first problem of a run's identity (name, times, GitHub context), or undefined. */
export function runIdentityProblem(identity: RunIdentityFields): RecordProblem | undefined {
  if (identity.name !== null) {
    const problem = runNameProblem(identity.name);
    if (problem !== undefined) return { field: 'name', problem };
  }
  if (!isStorableTime(identity.startTime)) {
    return { field: 'startTime', problem: `must be ${timeRule()}` };
  }
  if (identity.endTime !== null && !isStorableTime(identity.endTime)) {
    return { field: 'endTime', problem: `must be ${timeRule()}` };
  }
  return identity.github === null ? undefined : githubProblem(identity.github);
}

function mapProblem(
  field: 'params' | 'tags',
  map: Record<string, string>,
  maxValue: number,
): RecordProblem | undefined {
  for (const key of Object.keys(map)) {
    const problem = keyProblem(key);
    if (problem !== undefined) return { field, problem: `key ${shown(key)} ${problem}` };
    const value = map[key] as string;
    if (value.length > maxValue) {
      return { field: `${field}.${key}`, problem: `is over ${maxValue} characters` };
    }
  }
  return undefined;
}

/** The first problem of a whole record, or undefined. */
export function runRecordProblem(record: RunRecord): RecordProblem | undefined {
  const identity = runIdentityProblem(record);
  if (identity !== undefined) return identity;
  const params = mapProblem('params', record.params, RUN_LIMITS.maxParamValueLength);
  if (params !== undefined) return params;
  const tags = mapProblem('tags', record.tags, RUN_LIMITS.maxTagValueLength);
  if (tags !== undefined) return tags;
  for (const key of Object.keys(record.metrics)) {
    const problem = keyProblem(key);
    if (problem !== undefined) return { field: 'metrics', problem: `key ${shown(key)} ${problem}` };
    if (!isStorableTime(record.metrics[key]?.timestamp, 0)) {
      return { field: `metrics.${key}.timestamp`, problem: `must be ${timeRule(0)}` };
    }
  }
  const paths = new Set<string>();
  for (const [index, artifact] of record.artifacts.entries()) {
    const problem = keyProblem(artifact.path);
    if (problem !== undefined) {
      return { field: `artifacts[${index}].path`, problem: `${shown(artifact.path)} ${problem}` };
    }
    if (paths.has(artifact.path)) {
      return {
        field: `artifacts[${index}].path`,
        problem: `${shown(artifact.path)} is listed twice`,
      };
    }
    paths.add(artifact.path);
  }
  return undefined;
}
