/** What a route handler receives and returns, and the errors it throws. */
import type { IncomingHttpHeaders } from 'node:http';
import type { GitHubObjects, EmulatorUrls } from './github-objects.js';
import type { Operation } from './openapi-spec.js';
import type { EmulatorState, RepoKey, UserRecord } from './state.js';

/** The identity and permission behind a request's token. */
export interface Caller {
  user: UserRecord;
  permissions: 'read' | 'write';
}

export interface RouteContext {
  operation: Operation;
  /** Path parameters, decoded, coerced to their documented types (numbers stay numbers). */
  params: Record<string, unknown>;
  /** Query parameters, coerced to their documented types. */
  query: Record<string, unknown>;
  /** The parsed JSON body (undefined when there is none). */
  body: unknown;
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
  /** Undefined for anonymous requests. */
  caller: Caller | undefined;
  /** The repository from `{owner}/{repo}` path parameters (empty strings elsewhere). */
  repo: RepoKey;
  /** The request's absolute URL (for pagination links). */
  url: URL;
  urls: EmulatorUrls;
  state: EmulatorState;
  objects: GitHubObjects;
}

export interface RouteResult {
  status: number;
  /** A JSON body; omit for 204 and redirects. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type RouteHandler = (context: RouteContext) => RouteResult | Promise<RouteResult>;

const DOCS = 'https://docs.github.com/rest';

/** An error answer in GitHub's shape; throw it from a handler. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  get body(): Record<string, unknown> {
    return {
      message: this.message,
      documentation_url: DOCS,
      status: String(this.status),
      ...this.extra,
    };
  }
}

export const notFound = (): HttpError => new HttpError(404, 'Not Found');

/** GitHub's 422: "Validation Failed" with an `errors` entry. */
export function validationFailed(
  error: { resource: string; field?: string; code: string; message?: string },
  message = 'Validation Failed',
): HttpError {
  return new HttpError(422, message, { errors: [error] });
}

/** The caller, or 401 "Requires authentication". */
export function requireCaller(context: RouteContext): Caller {
  if (context.caller === undefined) throw new HttpError(401, 'Requires authentication');
  return context.caller;
}

/** A numeric path parameter (already coerced by validation). */
export function intParam(context: RouteContext, name: string): number {
  const value = context.params[name];
  if (typeof value !== 'number') throw notFound();
  return value;
}

/** A string path parameter. */
export function stringParam(context: RouteContext, name: string): string {
  return String(context.params[name] ?? '');
}

/** The body as an object (validation already checked its shape). */
export function bodyOf(context: RouteContext): Record<string, unknown> {
  const body = context.body;
  return body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
}
