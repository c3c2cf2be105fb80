/**
 * The one place that turns Octokit's RequestError into ghml's typed errors, with a hint that
 * says what to do. Messages never contain the token: they are built from GitHub's answer and
 * passed through `redact`, and the original error (which holds the request) is not kept.
 */
import { RequestTimeoutError } from './request-timeout.js';
import { GhmlError } from '../errors/ghml-error.js';
import { redact } from './token.js';

/** Fields shared by every GitHub API error. */
export interface GitHubApiErrorDetails {
  status: number;
  method: string;
  /** `METHOD /path/{template}` when known, else the concrete path. */
  route: string;
  /** GitHub's `x-github-request-id`, to quote to GitHub support. */
  requestId: string | undefined;
  /** GitHub's own `message`. */
  githubMessage: string;
}

/** A GitHub REST call failed. */
export class GitHubApiError extends GhmlError {
  readonly status: number;
  readonly method: string;
  readonly route: string;
  readonly requestId: string | undefined;
  readonly githubMessage: string;

  constructor(message: string, details: GitHubApiErrorDetails, hint: string | undefined) {
    super(redact(message), hint === undefined ? {} : { hint: redact(hint) });
    this.name = 'GitHubApiError';
    this.status = details.status;
    this.method = details.method;
    this.route = details.route;
    this.requestId = details.requestId;
    this.githubMessage = redact(details.githubMessage);
  }
}

/**
 * The token may not write here (403): typically a fork PR's read-only `GITHUB_TOKEN`, or a
 * workflow without the needed `permissions:`. Callers may turn it into a one-line skip.
 */
export class NoWritePermissionError extends GitHubApiError {
  constructor(message: string, details: GitHubApiErrorDetails, hint: string) {
    super(message, details, hint);
    this.name = 'NoWritePermissionError';
  }
}

/** GitHub's rate limit was hit and waiting it out was not within the configured budget. */
export class RateLimitError extends GitHubApiError {
  /** When the primary limit resets, if GitHub said. */
  readonly resetAt: Date | undefined;
  /** GitHub's `retry-after` for secondary limits, in seconds. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    message: string,
    details: GitHubApiErrorDetails,
    hint: string,
    limits: { resetAt: Date | undefined; retryAfterSeconds: number | undefined },
  ) {
    super(message, details, hint);
    this.name = 'RateLimitError';
    this.resetAt = limits.resetAt;
    this.retryAfterSeconds = limits.retryAfterSeconds;
  }
}

/** The parts of Octokit's RequestError ghml reads (duck-typed: bundles may hold two copies). */
interface RequestErrorLike {
  status: number;
  message: string;
  request: { method?: string; url?: string };
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
  cause?: unknown;
}

export function isRequestError(error: unknown): error is RequestErrorLike {
  return (
    error instanceof Error &&
    typeof (error as { status?: unknown }).status === 'number' &&
    typeof (error as { request?: unknown }).request === 'object'
  );
}

const routes = new WeakMap<object, string>();

/** Records the route template a failed request used (the client does this from a hook). */
export function rememberRoute(error: unknown, route: string): void {
  if (error !== null && typeof error === 'object') routes.set(error, route);
}

// The workflow permission each kind of write needs.
const PERMISSIONS: Array<[RegExp, string]> = [
  [/\/issues\/|\/pulls\//, 'pull-requests: write'],
  [/\/statuses\//, 'statuses: write'],
  [/\/deployments/, 'deployments: write'],
  [/\/releases|\/git\//, 'contents: write'],
];

function permissionFor(route: string): string {
  return (
    PERMISSIONS.find(([pattern]) => pattern.test(route))?.[1] ?? 'the matching write permission'
  );
}

function header(error: RequestErrorLike, name: string): string | undefined {
  const value = error.response?.headers?.[name];
  return value === undefined ? undefined : String(value);
}

function githubMessageOf(error: RequestErrorLike): string {
  const data = error.response?.data as
    | { message?: unknown; errors?: Array<{ message?: unknown; code?: unknown; field?: unknown }> }
    | undefined;
  const base = typeof data?.message === 'string' ? data.message : error.message;
  const details = (data?.errors ?? [])
    .map((e) =>
      typeof e.message === 'string'
        ? e.message
        : [e.field, e.code].filter((p) => typeof p === 'string').join(' '),
    )
    .filter((text) => text !== '');
  return details.length > 0 ? `${base}: ${details.join('; ')}` : base;
}

function routeOf(error: RequestErrorLike): string {
  const remembered = routes.get(error);
  if (remembered !== undefined) return remembered;
  const method = (error.request.method ?? 'GET').toUpperCase();
  let path = error.request.url ?? '';
  try {
    path = new URL(path).pathname;
  } catch {
    path = path.split('?')[0] ?? path;
  }
  return `${method} ${path}`;
}

function hhmm(date: Date): string {
  return `${date.toISOString().slice(11, 16)} UTC`;
}

/**
 * Converts a failed Octokit call into a typed error; anything else is returned unchanged.
 * `action` says what ghml was doing, e.g. "post the PR comment".
 */
export function toGitHubError(error: unknown, action?: string): unknown {
  if (error instanceof GitHubApiError || !isRequestError(error)) return error;
  const route = routeOf(error);
  const method = route.split(' ')[0] ?? 'GET';
  const githubMessage = githubMessageOf(error);
  const requestId = header(error, 'x-github-request-id');
  const details: GitHubApiErrorDetails = {
    status: error.status,
    method,
    route,
    requestId,
    githubMessage,
  };
  const doing = action === undefined ? 'GitHub API call failed' : `Could not ${action}`;
  const where = `${route}${requestId === undefined ? '' : `, request id ${requestId}`}`;
  const message = `${doing}: ${error.status} ${githubMessage} (${where})`;

  const remaining = header(error, 'x-ratelimit-remaining');
  const retryAfter = header(error, 'retry-after');
  const rateLimited =
    (error.status === 403 || error.status === 429) &&
    (remaining === '0' || retryAfter !== undefined || /rate limit/i.test(githubMessage));
  if (rateLimited) {
    const reset = Number(header(error, 'x-ratelimit-reset'));
    const resetAt = Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : undefined;
    const retryAfterSeconds = retryAfter === undefined ? undefined : Number(retryAfter);
    const until =
      resetAt ??
      (retryAfterSeconds === undefined
        ? undefined
        : new Date(Date.now() + retryAfterSeconds * 1000));
    const hint =
      until === undefined
        ? 'GitHub rate limited this token; wait a few minutes and retry'
        : `rate limited until ${hhmm(until)}; retry after that`;
    return new RateLimitError(message, details, hint, { resetAt, retryAfterSeconds });
  }

  switch (error.status) {
    case 401:
      return new GitHubApiError(
        message,
        details,
        'check GITHUB_TOKEN (or GH_TOKEN): it is missing, expired or revoked; in a workflow pass `env: GITHUB_TOKEN: ${{ github.token }}`',
      );
    case 403:
      if (method !== 'GET' && method !== 'HEAD') {
        return new NoWritePermissionError(
          message,
          details,
          `the token cannot write here (a fork PR's token is read-only); grant \`permissions: ${permissionFor(route)}\` in the workflow, or use the workflow_run pattern for forks`,
        );
      }
      return new GitHubApiError(
        message,
        details,
        'the token may not read this; check its scopes and the workflow `permissions:`',
      );
    case 404:
      return new GitHubApiError(
        message,
        details,
        'check the repository and number; GitHub also answers 404 when the token cannot see a private repository',
      );
    case 422:
      return new GitHubApiError(message, details, `GitHub rejected the request: ${githubMessage}`);
    default:
      if (error.response === undefined && error.cause instanceof RequestTimeoutError) {
        return new GitHubApiError(
          message,
          details,
          'GitHub did not answer in time, on every attempt; check GITHUB_API_URL and the network, or retry later',
        );
      }
      if (error.response === undefined) {
        return new GitHubApiError(
          message,
          details,
          'could not reach GitHub; check the network and GITHUB_API_URL',
        );
      }
      if (error.status >= 500) {
        return new GitHubApiError(
          message,
          details,
          'GitHub had a server error; retry in a few minutes',
        );
      }
      return new GitHubApiError(message, details, undefined);
  }
}

/** Runs one GitHub call, converting its failure with {@link toGitHubError}. */
export async function withGitHubErrors<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toGitHubError(error, action);
  }
}
