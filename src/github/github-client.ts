/**
 * ghml's Octokit: REST only, base URL from `GITHUB_API_URL` (GitHub Enterprise Server), a time
 * limit on each attempt of each request (request-timeout.ts), 5xx and network retries
 * (@octokit/plugin-retry) and rate-limit waits within a budget (@octokit/plugin-throttling). The token is registered for redaction and never logged.
 */
import { retry } from '@octokit/plugin-retry';
import { throttling, type ThrottlingOptions } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { UsageError } from '../errors/ghml-error.js';
import { rememberRoute } from './github-errors.js';
import { createSpacingGroup } from './request-spacing.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, fetchWithTimeout } from './request-timeout.js';
import { redact, registerSecret, type Env } from './token.js';

const GhmlOctokit = Octokit.plugin(retry, throttling);

/** The client every src/github helper takes. */
export type GitHubClient = InstanceType<typeof GhmlOctokit>;

/** Where the client's diagnostics go; every message is redacted first. */
export interface GitHubLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** How long ghml may wait out GitHub rate limits before giving up with a RateLimitError. */
export interface RateLimitBudget {
  /** Waits per request (default 3). */
  maxRetries?: number;
  /** Total seconds one request may spend waiting (default 300). */
  maxWaitSeconds?: number;
}

export interface GitHubClientOptions {
  token: string;
  /** API base URL; default `GITHUB_API_URL`, then https://api.github.com. */
  baseUrl?: string;
  env: Env;
  /** Retries of 5xx and network failures (default 3), waiting 1, 4, 9… time units. */
  retries?: number;
  rateLimit?: RateLimitBudget;
  /**
   * Milliseconds in one "second" of waiting, for retries and rate limits (default 1000).
   * Tests shrink it so waits take milliseconds.
   */
  timeUnitMs?: number;
  /**
   * Minimum spacing of write requests in ms. Default: GitHub's guidance as the throttling
   * plugin applies it (1 s between writes, 3 s between content-creating writes).
   */
  minWriteIntervalMs?: number;
  log?: GitHubLogger;
  /** The fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /**
   * Milliseconds one attempt of a request may wait for GitHub's answer (default 60 s; see
   * request-timeout.ts). A timed-out attempt is retried like a network error.
   */
  requestTimeoutMs?: number;
}

/** `GITHUB_API_URL` or the given base URL is not an http(s) URL. */
export class InvalidApiUrlError extends UsageError {
  /** The URL as given, with any credentials in it masked. */
  readonly value: string;

  constructor(value: string) {
    // A rejected URL may still carry a token (`ftp://x:TOKEN@host`, `https:/x:TOKEN@host`).
    const shown = redact(value);
    super(`Invalid GitHub API URL '${shown}'.`, {
      hint: 'use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server',
    });
    this.name = 'InvalidApiUrlError';
    this.value = shown;
  }
}

const DEFAULT_LOG: GitHubLogger = {
  debug() {},
  info() {},
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

/** The API base URL: explicit, then `GITHUB_API_URL`, then github.com's. */
export function resolveApiUrl(baseUrl: string | undefined, env: Env): string {
  const value = (baseUrl ?? env['GITHUB_API_URL'] ?? '').trim() || 'https://api.github.com';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidApiUrlError(value);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidApiUrlError(value);
  if (url.username !== '' || url.password !== '') throw new InvalidApiUrlError(value);
  return value.replace(/\/+$/, '');
}

type ThrottleHandler = Extract<ThrottlingOptions, { onRateLimit: unknown }>['onRateLimit'];
type WriteGroup = NonNullable<Extract<ThrottlingOptions, { onRateLimit: unknown }>['write']>;

/** Creates the Octokit client ghml uses for every GitHub call. */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  registerSecret(options.token);
  const log = redactingLogger(options.log ?? DEFAULT_LOG);
  const unit = options.timeUnitMs ?? 1000;
  const maxRetries = options.rateLimit?.maxRetries ?? 3;
  const maxWaitSeconds = options.rateLimit?.maxWaitSeconds ?? 300;
  const waited = new WeakMap<object, number>();

  const onLimit =
    (kind: string): ThrottleHandler =>
    (retryAfter, request, _octokit, retryCount) => {
      const route = `${request.method} ${request.url}`;
      const total = (waited.get(request) ?? 0) + retryAfter;
      if (retryCount >= maxRetries || total > maxWaitSeconds) {
        log.warn(
          `GitHub ${kind} on ${route}: waiting ${retryAfter}s more is over the budget ` +
            `(${maxRetries} waits, ${maxWaitSeconds}s); giving up.`,
        );
        return false;
      }
      waited.set(request, total);
      log.warn(
        `GitHub ${kind} on ${route}: waiting ${retryAfter}s (wait ${retryCount + 1} of ${maxRetries}).`,
      );
      return true;
    };

  const spacing =
    options.minWriteIntervalMs === undefined
      ? {}
      : {
          write: createSpacingGroup(options.minWriteIntervalMs) as unknown as WriteGroup,
          notifications: createSpacingGroup(options.minWriteIntervalMs) as unknown as WriteGroup,
        };

  const client = new GhmlOctokit({
    auth: options.token,
    baseUrl: resolveApiUrl(options.baseUrl, options.env),
    userAgent: 'ghml',
    // Octokit logs one info/error line per request; those are debug detail for ghml, whose
    // failures surface as typed errors. Its warnings (deprecations) stay warnings.
    log: {
      debug: (message: string) => log.debug(message),
      info: (message: string) => log.debug(message),
      warn: (message: string) => log.warn(message),
      error: (message: string) => log.debug(message),
    },
    request: {
      fetch: fetchWithTimeout(
        options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
        options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      ),
    },
    retry: {
      retries: options.retries ?? 3,
      retryAfterBaseValue: unit,
      // Rate limits (403/429) are the throttling plugin's job.
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
    },
    throttle: {
      onRateLimit: onLimit('rate limit'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
      retryAfterBaseValue: unit,
      ...spacing,
    },
  });
  client.hook.error('request', (error, request) => {
    rememberRoute(error, `${request.method} ${request.url}`);
    throw error;
  });
  return client;
}

function redactingLogger(log: GitHubLogger): GitHubLogger {
  return {
    debug: (message) => log.debug(redact(message)),
    info: (message) => log.info(redact(message)),
    warn: (message) => log.warn(redact(message)),
    error: (message) => log.error(redact(message)),
  };
}
