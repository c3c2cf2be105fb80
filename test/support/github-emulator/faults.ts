/**
 * Fault injection: tests queue failures for a route, and the emulator serves them instead of
 * (or, for `delayMs` alone, before) the real answer.
 *
 * ```ts
 * emulator.faults.next({ route: 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments', status: 500, times: 2 });
 * emulator.faults.rateLimit({ route: 'GET /user', resetInSeconds: 2 });
 * emulator.faults.secondaryRateLimit({ route: '*', retryAfterSeconds: 1 });
 * ```
 * `route` is the method and the OpenAPI path template exactly as in the description
 * (`GET /repos/{owner}/{repo}/pulls/{pull_number}`), `METHOD *` for every path, or `*`.
 * Faults for the same route are served in the order they were queued.
 */

/** One queued fault. */
export interface FaultSpec {
  /** `METHOD /template`, `METHOD *` or `*`. */
  route: string;
  /** How many matching requests it affects (default 1). */
  times?: number;
  /** Wait this long before answering. Without `status`, the request then proceeds normally. */
  delayMs?: number;
  /** Answer with this status and a GitHub error body. */
  status?: number;
  /** The error body's `message` (default: the status text). */
  message?: string;
  /** Extra response headers, e.g. `retry-after`. */
  headers?: Record<string, string>;
  /** A full JSON body to send instead of `{ message, documentation_url }`. */
  body?: unknown;
  /**
   * Headers computed when the fault fires (so a rate-limit reset is relative to that moment).
   * Used by `rateLimit()`; rarely needed directly.
   */
  dynamicHeaders?: () => Record<string, string>;
}

/** What the server does with a request a fault matched. */
export interface FiredFault {
  delayMs: number;
  response?: { status: number; headers: Record<string, string>; body: unknown };
}

const DOCS = 'https://docs.github.com/rest';

interface Pending {
  spec: FaultSpec;
  remaining: number;
}

export class FaultInjector {
  private readonly queue: Pending[] = [];

  /** Queues a fault; see the module comment for `route`. */
  next(spec: FaultSpec): this {
    const times = spec.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new Error(`faults: bad times ${times}`);
    if (spec.route !== '*' && !/^[A-Z]+ (\*|\/\S*)$/.test(spec.route)) {
      throw new Error(
        `faults: route must look like 'GET /repos/{owner}/{repo}', got '${spec.route}'`,
      );
    }
    this.queue.push({ spec, remaining: times });
    return this;
  }

  /** A primary rate limit: 403 with `x-ratelimit-remaining: 0` and a reset time. */
  rateLimit(options: { route: string; resetInSeconds?: number; times?: number }): this {
    const resetIn = options.resetInSeconds ?? 1;
    return this.next({
      route: options.route,
      status: 403,
      times: options.times ?? 1,
      message: 'API rate limit exceeded for user ID 1.',
      dynamicHeaders: () => ({
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-used': '5000',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + resetIn),
        'x-ratelimit-resource': 'core',
      }),
    });
  }

  /** A secondary rate limit: 429 (or 403) with `retry-after`. */
  secondaryRateLimit(options: {
    route: string;
    retryAfterSeconds?: number;
    status?: 403 | 429;
    times?: number;
  }): this {
    return this.next({
      route: options.route,
      status: options.status ?? 429,
      times: options.times ?? 1,
      message:
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      headers: { 'retry-after': String(options.retryAfterSeconds ?? 1) },
    });
  }

  /** A write refused like a fork PR's read-only `GITHUB_TOKEN`. */
  noPermission(options: { route: string; times?: number }): this {
    return this.next({
      route: options.route,
      status: 403,
      times: options.times ?? 1,
      message: 'Resource not accessible by integration',
    });
  }

  /** How many fault firings are still queued. */
  pending(): number {
    return this.queue.reduce((sum, p) => sum + p.remaining, 0);
  }

  clear(): void {
    this.queue.length = 0;
  }

  /** Takes the first queued fault matching `method` and `template`, if any (server use). */
  take(method: string, template: string): FiredFault | undefined {
    const index = this.queue.findIndex((p) => routeMatches(p.spec.route, method, template));
    const pending = this.queue[index];
    if (pending === undefined) return undefined;
    pending.remaining--;
    if (pending.remaining === 0) this.queue.splice(index, 1);
    const { spec } = pending;
    const fired: FiredFault = { delayMs: spec.delayMs ?? 0 };
    if (spec.status !== undefined) {
      fired.response = {
        status: spec.status,
        headers: { ...spec.headers, ...spec.dynamicHeaders?.() },
        body: spec.body ?? {
          message: spec.message ?? statusText(spec.status),
          documentation_url: DOCS,
          status: String(spec.status),
        },
      };
    }
    return fired;
  }
}

function routeMatches(route: string, method: string, template: string): boolean {
  if (route === '*') return true;
  const [routeMethod, routePath] = route.split(' ');
  return routeMethod === method && (routePath === '*' || routePath === template);
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    400: 'Bad Request',
    401: 'Bad credentials',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    422: 'Validation Failed',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
  };
  return texts[status] ?? `HTTP ${status}`;
}
