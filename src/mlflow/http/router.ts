/**
 * The route table: MLflow's REST paths (under `/api/<version>/` and the UI's `/ajax-api/...`),
 * with `{name}` path parameters and a `*` tail for artifact paths. A path or method that is not
 * in the table is MLflow's 404 ENDPOINT_NOT_FOUND.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { MlflowApiError } from './mlflow-error.js';
import type { Fields } from './request-input.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** What a handler gets. */
export interface RouteRequest {
  method: HttpMethod;
  /** Path parameters, decoded ({model_id}, and `tail` for `*`). */
  params: Record<string, string>;
  query: URLSearchParams;
  raw: IncomingMessage;
  /** The request's fields: the JSON body (POST/PATCH) or the query (GET/DELETE). */
  fields(): Promise<Fields>;
  /** Size of the JSON body read by `fields`, in bytes (0 for a query). */
  bodyBytes(): number;
}

/** What a handler answers: JSON (200 unless said), or a byte stream. */
export type RouteReply =
  { json: unknown; status?: number } | { stream: Readable; contentType: string; size?: number };

export type RouteHandler = (req: RouteRequest) => Promise<RouteReply>;

interface Route {
  method: HttpMethod;
  parts: string[];
  tail: boolean;
  handler: RouteHandler;
}

// MLflow serves these routes under 2.0 (3.0 holds only newer APIs, e.g. server-info, which a
// client that finds it missing falls back from).
const PREFIXES = ['/api/2.0', '/ajax-api/2.0'];

export class Router {
  private readonly routes: Route[] = [];

  /** Adds a route; `path` starts after the version prefix, e.g. `/mlflow/runs/get`. */
  add(method: HttpMethod, path: string, handler: RouteHandler): this {
    const tail = path.endsWith('/*');
    const parts = (tail ? path.slice(0, -2) : path).split('/').filter((p) => p !== '');
    this.routes.push({ method, parts, tail, handler });
    return this;
  }

  /** The handler and path parameters for a request, or ENDPOINT_NOT_FOUND. */
  match(
    method: string,
    pathname: string,
  ): { handler: RouteHandler; params: Record<string, string> } {
    const prefix = PREFIXES.find((p) => pathname.startsWith(`${p}/`));
    if (prefix !== undefined) {
      const segments = pathname
        .slice(prefix.length)
        .split('/')
        .filter((s) => s !== '');
      for (const route of this.routes) {
        if (route.method !== method) continue;
        const params = matchParts(route, segments);
        if (params !== undefined) return { handler: route.handler, params };
      }
    }
    throw new MlflowApiError(
      'ENDPOINT_NOT_FOUND',
      `No API endpoint found for ${method} ${pathname}`,
    );
  }
}

function matchParts(route: Route, segments: string[]): Record<string, string> | undefined {
  if (route.tail ? segments.length <= route.parts.length : segments.length !== route.parts.length) {
    return undefined;
  }
  const params = Object.create(null) as Record<string, string>;
  for (let i = 0; i < route.parts.length; i++) {
    const part = route.parts[i] as string;
    const segment = segments[i] as string;
    if (part.startsWith('{') && part.endsWith('}')) {
      params[part.slice(1, -1)] = decode(segment);
    } else if (part !== segment) return undefined;
  }
  if (route.tail) params.tail = segments.slice(route.parts.length).map(decode).join('/');
  return params;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new MlflowApiError('INVALID_PARAMETER_VALUE', `Invalid path segment '${segment}'`);
  }
}
