/**
 * The HTTP side of the endpoint (node:http): checks the bearer token, routes, reads bodies
 * within a cap, answers JSON the way MLflow's server does (non-finite numbers as proto3 JSON
 * strings) and turns every error into MLflow's error JSON.
 * `close` refuses new requests with an error JSON while it drains, then stops listening.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GhmlError, describeError } from '../../errors/ghml-error.js';
import {
  InvalidNameError as IngestNameError,
  InvalidValueError,
} from '../../tracking/ingest/ingest-errors.js';
import { MlflowApiError } from './mlflow-error.js';
import { parseJsonBody, queryFields, readBody, type Fields } from './request-input.js';
import type { HttpMethod, RouteReply, RouteRequest, Router } from './router.js';
import type { TokenCheck } from './bearer-token.js';

export interface EndpointServerOptions {
  router: Router;
  /** Requests must carry this token when set. */
  token?: TokenCheck;
  /** Largest JSON body accepted (bytes). */
  maxJsonBytes: number;
  log: (message: string) => void;
}

export interface ListeningEndpoint {
  /** e.g. http://127.0.0.1:5000 */
  url: string;
  port: number;
  host: string;
  /** Stops accepting requests (those arriving meanwhile get an error JSON) and closes. */
  close(): Promise<void>;
  /** Marks the endpoint closing: every further request is answered with an error. */
  refuse(reason: string): void;
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']);
/**
 * JSON as MLflow's server writes it (proto3's JSON mapping): NaN and ±Infinity as the strings
 * "NaN", "Infinity" and "-Infinity", which protobuf's parser in every client reads back.
 */
export function mlflowJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  );
}

function send(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** An error as MLflow's error JSON; ghml's own errors map to MLflow's codes. */
function errorReply(error: unknown): { status: number; body: string } {
  if (error instanceof MlflowApiError)
    return { status: error.status, body: mlflowJson(error.body()) };
  if (
    error instanceof IngestNameError ||
    error instanceof InvalidValueError ||
    error instanceof GhmlError
  ) {
    const hint = error instanceof GhmlError && error.hint ? ` (${error.hint})` : '';
    const mapped = new MlflowApiError('INVALID_PARAMETER_VALUE', `${error.message}${hint}`);
    return { status: mapped.status, body: mlflowJson(mapped.body()) };
  }
  const internal = new MlflowApiError('INTERNAL_ERROR', describeError(error));
  return { status: 500, body: mlflowJson(internal.body()) };
}

export function startEndpointServer(
  options: EndpointServerOptions,
  listen: { host: string; port: number },
): Promise<ListeningEndpoint> {
  let refusal: string | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (refusal !== undefined) {
      throw new MlflowApiError('INVALID_STATE', refusal);
    }
    if (options.token !== undefined && !options.token.accepts(req)) {
      // Drain nothing: the body of an unauthenticated request is never read.
      res.setHeader('connection', 'close');
      throw new MlflowApiError(
        'UNAUTHENTICATED',
        'A valid bearer token is required: set MLFLOW_TRACKING_TOKEN to the token of this ghml endpoint.',
      );
    }
    // The raw path, not WHATWG-normalised: '..' segments must reach the path checks, not be
    // resolved away into another run's folder.
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const url = {
      pathname: queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt),
      searchParams: new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1)),
    };
    const method = req.method ?? 'GET';
    if (!METHODS.has(method)) {
      throw new MlflowApiError(
        'ENDPOINT_NOT_FOUND',
        `No API endpoint found for ${method} ${url.pathname}`,
      );
    }
    const { handler, params } = options.router.match(method, url.pathname);
    let fields: Fields | undefined;
    let bodyBytes = 0;
    const request: RouteRequest = {
      method: method as HttpMethod,
      params,
      query: url.searchParams,
      raw: req,
      async fields() {
        if (fields !== undefined) return fields;
        if (method === 'GET') {
          fields = queryFields(url.searchParams);
        } else {
          const body = await readBody(req, options.maxJsonBytes);
          bodyBytes = body.length;
          // MLflow clients send DELETE parameters as a JSON body, curl users as a query.
          fields =
            method === 'DELETE' && body.length === 0
              ? queryFields(url.searchParams)
              : parseJsonBody(body);
        }
        return fields;
      },
      bodyBytes: () => bodyBytes,
    };
    const reply: RouteReply = await handler(request);
    if ('json' in reply) {
      send(res, reply.status ?? 200, mlflowJson(reply.json));
      return;
    }
    res.writeHead(200, {
      'content-type': reply.contentType,
      ...(reply.size === undefined ? {} : { 'content-length': reply.size }),
    });
    reply.stream.on('error', () => res.destroy());
    reply.stream.pipe(res);
  };

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const { status, body } = errorReply(error);
      if (status >= 500)
        options.log(`ghml: endpoint error on ${req.method} ${req.url}: ${describeError(error)}`);
      // A refused body is not read: close the connection rather than drain it.
      if (!req.complete) res.setHeader('connection', 'close');
      send(res, status, body);
      if (!req.complete) req.resume();
    });
  });

  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolvePromise({
        url: `http://${host}:${address.port}`,
        port: address.port,
        host: address.address,
        refuse(reason: string) {
          refusal = reason;
        },
        close() {
          refusal ??= 'This ghml endpoint has closed.';
          return new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
            setTimeout(() => server.closeAllConnections(), 2000).unref();
          });
        },
      });
    });
  });
}
