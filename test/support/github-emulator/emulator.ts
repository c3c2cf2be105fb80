/**
 * The GitHub REST emulator: a real HTTP server on 127.0.0.1 that serves the operations in
 * test/support/github-openapi from in-memory state, checks every request and response against
 * GitHub's OpenAPI description, and can inject faults.
 *
 * Two servers share one state: `url` is the API (api.github.com) and `uploadUrl` serves only
 * release asset uploads (uploads.github.com), as the description's `servers` entry says.
 * Paths under `{url}/_emulator/` are the emulator's own (asset downloads, the "web" host) and
 * are not API routes.
 *
 * A request the description does not allow (unknown route, method, bad parameters or body) or
 * a response that does not match it is answered with 501 and recorded as a violation;
 * `assertNoViolations()` (call it in afterEach) throws listing them all.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultInjector } from './faults.js';
import { GitHubObjects, type EmulatorUrls } from './github-objects.js';
import { loadSpec, type Operation } from './openapi-spec.js';
import { OpenApiValidator } from './openapi-validator.js';
import { RequestLog } from './request-log.js';
import { HttpError, type Caller, type RouteContext, type RouteResult } from './route-context.js';
import { ROUTES } from './routes/index.js';
import { EmulatorState } from './state.js';

/** Who a token belongs to and what it may do. */
export interface TokenIdentity {
  login: string;
  /** `Bot` for installation tokens such as Actions' GITHUB_TOKEN (default `User`). */
  type?: 'User' | 'Bot';
  /** `read` answers writes with 403 like a fork PR's token (default `write`). */
  permissions?: 'read' | 'write';
}

/** Tokens every emulator knows unless `tokens` replaces them. They look like real tokens. */
export const TEST_TOKENS = {
  /** A personal access token of `octocat`. */
  user: 'ghp_EmulatorUserToken0000000000000000001',
  /** Actions' GITHUB_TOKEN: `github-actions[bot]`, may write. */
  actions: 'ghs_EmulatorActionsToken00000000000000002',
  /** A fork PR's GITHUB_TOKEN: `github-actions[bot]`, read-only. */
  readOnly: 'ghs_EmulatorReadOnlyToken0000000000000003',
  /** A personal access token of another user, `someone-else`. */
  other: 'ghp_EmulatorOtherUserToken000000000000004',
} as const;

export const DEFAULT_TOKENS: Readonly<Record<string, TokenIdentity>> = {
  [TEST_TOKENS.user]: { login: 'octocat' },
  [TEST_TOKENS.actions]: { login: 'github-actions[bot]', type: 'Bot' },
  [TEST_TOKENS.readOnly]: { login: 'github-actions[bot]', type: 'Bot', permissions: 'read' },
  [TEST_TOKENS.other]: { login: 'someone-else' },
};

export interface GitHubEmulatorOptions {
  /** Known tokens (default {@link DEFAULT_TOKENS}). */
  tokens?: Record<string, TokenIdentity>;
  /** The clock for timestamps (default: real time). */
  now?: () => Date;
}

/** A request or response the OpenAPI description does not allow, or an emulator failure. */
export interface Violation {
  kind:
    | 'unknown-route'
    | 'method-not-allowed'
    | 'invalid-request'
    | 'invalid-response'
    | 'not-implemented'
    | 'handler-error';
  method: string;
  path: string;
  operationId?: string;
  problems: string[];
}

export interface GitHubEmulator {
  /** API base URL, e.g. `http://127.0.0.1:41234`; pass it as Octokit's `baseUrl`. */
  readonly url: string;
  /** Upload base URL (release assets), e.g. `http://127.0.0.1:41235`. */
  readonly uploadUrl: string;
  /** Stand-in for https://github.com in `html_url`s and `browser_download_url`s. */
  readonly webUrl: string;
  readonly state: EmulatorState;
  readonly faults: FaultInjector;
  readonly requests: RequestLog;
  readonly violations: readonly Violation[];
  /** Throws listing every violation so far. */
  assertNoViolations(): void;
  /** Returns the violations so far and forgets them (for tests that provoke one on purpose). */
  takeViolations(): Violation[];
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_BODY_BYTES = 64 * 1024 * 1024;

let sharedValidator: OpenApiValidator | undefined;

/** Starts an emulator on two random ports of 127.0.0.1. */
export async function startGitHubEmulator(
  options: GitHubEmulatorOptions = {},
): Promise<GitHubEmulator> {
  const spec = loadSpec();
  sharedValidator ??= new OpenApiValidator();
  const validator = sharedValidator;
  const state = new EmulatorState(options.now);
  const faults = new FaultInjector();
  const requests = new RequestLog();
  const violations: Violation[] = [];
  const tokens = options.tokens ?? DEFAULT_TOKENS;
  const used = new Map<string, number>();
  let requestCounter = 0;

  const apiServer = createServer();
  const uploadServer = createServer();
  const apiPort = await listen(apiServer);
  const uploadPort = await listen(uploadServer);
  const api = `http://127.0.0.1:${apiPort}`;
  const urls: EmulatorUrls = {
    api,
    uploads: `http://127.0.0.1:${uploadPort}`,
    web: `${api}/_emulator/web`,
  };
  const objects = new GitHubObjects(spec, urls, state);

  function violation(v: Violation): RouteResult {
    violations.push(v);
    return {
      status: 501,
      body: {
        message: `GitHub emulator: ${v.kind} ${v.method} ${v.path}: ${v.problems.join('; ')}`,
        documentation_url: 'https://docs.github.com/rest',
      },
    };
  }

  function authenticate(req: IncomingMessage): Caller | undefined | 'bad' {
    const header = req.headers.authorization;
    if (header === undefined) return undefined;
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(header)?.[1];
    const identity = token === undefined ? undefined : tokens[token];
    if (identity === undefined) return 'bad';
    return {
      user: state.user(identity.login, identity.type ?? 'User'),
      permissions: identity.permissions ?? 'write',
    };
  }

  async function handle(
    host: 'api' | 'uploads',
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const base = host === 'api' ? urls.api : urls.uploads;
    const url = new URL(req.url ?? '/', base);
    const raw = await readBody(req);
    const requestId = `EMU${(++requestCounter).toString(16).toUpperCase().padStart(8, '0')}`;

    if (host === 'api' && url.pathname.startsWith('/_emulator/')) {
      serveInternal(url, res);
      return;
    }

    const matched = spec.match(host, method, url.pathname);
    const query = Object.fromEntries(url.searchParams) as Record<string, unknown>;
    let parsed: unknown;
    if (raw.length > 0 && (req.headers['content-type'] ?? '').includes('json')) {
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        parsed = undefined;
      }
    }
    const caller = authenticate(req);
    const log = (status: number, operation?: Operation, faulted = false): void =>
      requests.record({
        method,
        path: url.pathname,
        route: operation === undefined ? undefined : `${operation.method} ${operation.path}`,
        operationId: operation?.operationId,
        query: Object.fromEntries(url.searchParams),
        body: parsed,
        status,
        login: typeof caller === 'object' ? caller.user.login : undefined,
        faulted,
      });

    if (!('operation' in matched)) {
      const result = violation({
        kind: matched.pathMatches ? 'method-not-allowed' : 'unknown-route',
        method,
        path: url.pathname,
        problems: [
          matched.pathMatches
            ? `the description has no ${method} for this path`
            : `no operation in the description (or not served on the ${host} host)`,
        ],
      });
      send(res, result, requestId, undefined);
      log(result.status);
      return;
    }

    const { operation } = matched;
    const params: Record<string, unknown> = { ...matched.params };
    const problems = [
      ...validator.validateParameters(operation, 'path', params),
      ...validator.validateParameters(operation, 'query', query),
      ...validator.validateRequestBody(operation, req.headers['content-type'], raw, parsed),
    ];
    if (problems.length > 0) {
      const result = violation({
        kind: 'invalid-request',
        method,
        path: url.pathname,
        operationId: operation.operationId,
        problems,
      });
      send(res, result, requestId, undefined);
      log(result.status, operation);
      return;
    }

    const fault = faults.take(method, operation.path);
    if (fault !== undefined && fault.delayMs > 0) await sleep(fault.delayMs);
    if (fault?.response !== undefined) {
      send(res, fault.response, requestId, undefined);
      log(fault.response.status, operation, true);
      return;
    }

    let result: RouteResult;
    if (caller === 'bad') {
      result = errorResult(401, 'Bad credentials');
    } else if (method !== 'GET' && method !== 'HEAD' && caller === undefined) {
      result = errorResult(401, 'Requires authentication');
    } else if (method !== 'GET' && method !== 'HEAD' && caller?.permissions === 'read') {
      result = errorResult(403, 'Resource not accessible by integration');
    } else {
      result = await run(operation, {
        operation,
        params,
        query,
        body: parsed,
        rawBody: raw,
        headers: req.headers,
        caller,
        repo: { owner: String(params['owner'] ?? ''), repo: String(params['repo'] ?? '') },
        url,
        urls,
        state,
        objects,
      });
    }

    const responseProblems = validator.validateResponse(operation, result.status, result.body);
    if (responseProblems.length > 0) {
      result = violation({
        kind: 'invalid-response',
        method,
        path: url.pathname,
        operationId: operation.operationId,
        problems: responseProblems,
      });
    }
    const login = typeof caller === 'object' ? caller.user.login : undefined;
    send(res, result, requestId, login === undefined ? undefined : count(login));
    log(result.status, operation);
  }

  function count(login: string): number {
    const n = (used.get(login) ?? 0) + 1;
    used.set(login, n);
    return n;
  }

  async function run(operation: Operation, context: RouteContext): Promise<RouteResult> {
    const handler = ROUTES[operation.operationId];
    if (handler === undefined) {
      return violation({
        kind: 'not-implemented',
        method: operation.method,
        path: context.url.pathname,
        operationId: operation.operationId,
        problems: ['the emulator has no handler for this operation'],
      });
    }
    try {
      return await handler(context);
    } catch (error) {
      if (error instanceof HttpError) return { status: error.status, body: error.body };
      return violation({
        kind: 'handler-error',
        method: operation.method,
        path: context.url.pathname,
        operationId: operation.operationId,
        problems: [error instanceof Error ? (error.stack ?? error.message) : String(error)],
      });
    }
  }

  function serveInternal(url: URL, res: ServerResponse): void {
    const download = /^\/_emulator\/assets\/(\d+)\/download$/.exec(url.pathname);
    const web = /^\/_emulator\/web\/([^/]+)\/([^/]+)\/releases\/download\/([^/]+)\/([^/]+)$/.exec(
      url.pathname,
    );
    let asset = download
      ? state.releaseAssets.find((a) => a.id === Number(download[1]))
      : undefined;
    if (web) {
      const [owner, repo, tag, name] = web.slice(1).map((s) => decodeURIComponent(s));
      const key = { owner: owner ?? '', repo: repo ?? '' };
      const release = state.releasesOf(key).find((r) => r.tagName === tag);
      asset = release && state.assetsOf(release.id).find((a) => a.name === name);
    }
    if (asset === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    asset.downloadCount++;
    res
      .writeHead(200, {
        'content-type': asset.contentType,
        'content-length': String(asset.data.length),
      })
      .end(asset.data);
  }

  const onRequest =
    (host: 'api' | 'uploads') =>
    (req: IncomingMessage, res: ServerResponse): void => {
      handle(host, req, res).catch((error: unknown) => {
        violations.push({
          kind: 'handler-error',
          method: req.method ?? '',
          path: req.url ?? '',
          problems: [String(error)],
        });
        if (!res.headersSent) res.writeHead(500, { 'content-type': JSON_TYPE });
        res.end(JSON.stringify({ message: 'GitHub emulator crashed' }));
      });
    };
  apiServer.on('request', onRequest('api'));
  uploadServer.on('request', onRequest('uploads'));

  return {
    url: urls.api,
    uploadUrl: urls.uploads,
    webUrl: urls.web,
    state,
    faults,
    requests,
    violations,
    assertNoViolations() {
      if (violations.length === 0) return;
      const lines = violations.map(
        (v) =>
          `- ${v.kind}: ${v.method} ${v.path}${v.operationId ? ` (${v.operationId})` : ''}\n    ${v.problems.join('\n    ')}`,
      );
      throw new Error(
        `The GitHub emulator saw ${violations.length} OpenAPI violation(s):\n${lines.join('\n')}`,
      );
    },
    takeViolations() {
      return violations.splice(0);
    },
    async close() {
      await Promise.all([stop(apiServer), stop(uploadServer)]);
    },
  };
}

/** An error answer decided before any handler runs (authentication, permission). */
function errorResult(status: number, message: string): RouteResult {
  return { status, body: new HttpError(status, message).body };
}

function send(
  res: ServerResponse,
  result: RouteResult,
  requestId: string,
  used: number | undefined,
): void {
  const headers: Record<string, string> = {
    'x-github-request-id': requestId,
    'x-github-api-version-selected': '2022-11-28',
    'x-ratelimit-limit': '5000',
    // Never 0 on ordinary answers: clients read 0 as a rate limit (faults inject real ones).
    'x-ratelimit-remaining': String(Math.max(1, 5000 - (used ?? 0))),
    'x-ratelimit-used': String(used ?? 0),
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    'x-ratelimit-resource': 'core',
  };
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    headers[name.toLowerCase()] = value;
  }
  if (result.body === undefined) {
    res.writeHead(result.status, headers).end();
    return;
  }
  const text = JSON.stringify(result.body);
  headers['content-type'] = JSON_TYPE;
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(result.status, headers).end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
