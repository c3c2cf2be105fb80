/**
 * The GitHub Actions context of a run, read from the runner's environment and event payload.
 * In a pull_request workflow `actions/checkout` checks out the PR *merge* commit, so the
 * commit a run trained on is the PR head sha from the payload, never GITHUB_SHA.
 */
import { UsageError } from '../../errors/ghml-error.js';
import { quote } from './ingest-errors.js';
import { isSha, readEventPayload } from './pull-request-event.js';
import type { RunGithubContext } from '../run-record.js';

export interface ActionsEnvironment {
  context: RunGithubContext;
  /** Sha to record as the run's source commit (PR head on PR events), if the event names one. */
  sourceCommit: string | null;
  /** Branch to record (the PR head branch on PR events). */
  sourceBranch: string | null;
  eventName: string;
}

/** GHML_MATRIX is not a JSON object of matrix values. */
export class InvalidMatrixVariableError extends UsageError {
  constructor(value: string, problem: string) {
    super(`GHML_MATRIX must be a JSON object of matrix values, got ${quote(value)}: ${problem}`, {
      hint: 'set GHML_MATRIX to ${{ toJSON(matrix) }} in a workflow, or pass --matrix key=value to ghml run',
    });
    this.name = 'InvalidMatrixVariableError';
  }
}

/**
 * The matrix values in `GHML_MATRIX` (a JSON object; other values than text are written as
 * JSON), or undefined when it is unset, empty or `null`. Throws InvalidMatrixVariableError.
 */
export function readMatrixVariable(env: NodeJS.ProcessEnv): Record<string, string> | undefined {
  const raw = env.GHML_MATRIX;
  if (!raw || raw.trim() === '' || raw.trim() === 'null') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new InvalidMatrixVariableError(raw, (error as Error).message);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidMatrixVariableError(raw, 'not an object');
  }
  // fromEntries defines own properties: a "__proto__" name stays a name (the schema refuses it).
  const matrix = Object.fromEntries(
    Object.entries(parsed as Record<string, unknown>).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
  return Object.keys(matrix).length > 0 ? matrix : undefined;
}

/** The payload as it may be: every field is checked before use (a bad one would make the run unwritable). */
interface PullRequestPayload {
  number?: unknown;
  head?: { sha?: unknown; ref?: unknown } | null;
  base?: { sha?: unknown; ref?: unknown } | null;
}

/**
 * Reads the Actions context when `GITHUB_ACTIONS=true`; returns null elsewhere. The matrix
 * comes from `GHML_MATRIX` (set it to `${{ toJSON(matrix) }}`), since the runner does not
 * expose the matrix to processes. Throws InvalidMatrixVariableError for a bad GHML_MATRIX.
 */
export function readActionsEnvironment(env: NodeJS.ProcessEnv): ActionsEnvironment | null {
  if (env.GITHUB_ACTIONS !== 'true') return null;
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  const payload = readEventPayload(env);
  const raw = payload.pull_request;
  const pr = raw !== null && typeof raw === 'object' ? (raw as PullRequestPayload) : undefined;
  const context: RunGithubContext = {
    repository: env.GITHUB_REPOSITORY ?? '',
    serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
    workflow: env.GITHUB_WORKFLOW ?? '',
    runId: env.GITHUB_RUN_ID ?? '',
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1',
    job: env.GITHUB_JOB ?? '',
  };
  if (pr && Number.isSafeInteger(pr.number) && (pr.number as number) > 0)
    context.prNumber = pr.number as number;
  if (isSha(pr?.base?.sha)) context.prBaseSha = pr.base.sha;
  const matrix = readMatrixVariable(env);
  if (matrix) context.matrix = matrix;

  const headSha = isSha(pr?.head?.sha) ? pr.head.sha : null;
  const headRef = typeof pr?.head?.ref === 'string' ? pr.head.ref : undefined;
  const refName = env.GITHUB_REF_TYPE === 'branch' ? (env.GITHUB_REF_NAME ?? null) : null;
  return {
    context,
    sourceCommit: headSha,
    // GITHUB_HEAD_REF is set but empty on push events.
    sourceBranch: headRef ?? (env.GITHUB_HEAD_REF || refName),
    eventName,
  };
}

/** URL of the workflow run that produced a run, e.g. for links in reports. */
export function workflowRunUrl(context: RunGithubContext): string | null {
  if (!context.repository || !context.runId) return null;
  const attempt =
    context.runAttempt && context.runAttempt !== '1' ? `/attempts/${context.runAttempt}` : '';
  return `${context.serverUrl.replace(/\/$/, '')}/${context.repository}/actions/runs/${context.runId}${attempt}`;
}
