/**
 * The HTTP server of `ghml ui`: serves the site from memory on 127.0.0.1 only. Requests whose
 * Host is not this loopback address and port are refused (a web page elsewhere cannot reach
 * the runs through DNS rebinding); only GET and HEAD are served; nothing is read from disk by
 * a request path. Run series and artifacts that are not in memory come from `dynamic`, which
 * reads git. Artifacts are always sent as downloads (`attachment`, `nosniff`): a run's HTML
 * file must never run as a page of this origin.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { SitePortError } from './site-errors.js';

/** The page's Content-Security-Policy: nothing from another host, no inline script. */
export const SITE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** A response body and its type. */
export interface ServedFile {
  body: Buffer;
  type: string;
  /** Sent as a download under this name. */
  download?: string;
}

export interface SiteServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** The current files by path (e.g. 'index.html', 'data/manifest.json'); may change between requests. */
  files(): ReadonlyMap<string, Buffer>;
  /** Files made on request (series, artifacts); undefined is a 404. */
  dynamic(path: string): Promise<ServedFile | undefined>;
  /** Reports a request that failed (the client gets a 500). */
  onError?(error: unknown): void;
}

export function contentType(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1);
  return TYPES[ext] ?? 'application/octet-stream';
}

const gzipped = new WeakMap<Buffer, Buffer>();

function send(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  file: ServedFile,
): void {
  const headers: Record<string, string> = {
    'Content-Type': file.type,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': SITE_CSP,
  };
  let body = file.body;
  if (file.download !== undefined) {
    const safe = file.download.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'artifact';
    headers['Content-Disposition'] = `attachment; filename="${safe}"`;
  } else if (body.length > 1024 && /\bgzip\b/.test(String(request.headers['accept-encoding']))) {
    let zipped = gzipped.get(body);
    if (zipped === undefined) gzipped.set(body, (zipped = gzipSync(body, { level: 6 })));
    body = zipped;
    headers['Content-Encoding'] = 'gzip';
    headers['Vary'] = 'Accept-Encoding';
  }
  headers['Content-Length'] = String(body.length);
  response.writeHead(status, headers);
  response.end(request.method === 'HEAD' ? undefined : body);
}

function text(message: string): ServedFile {
  return { body: Buffer.from(`${message}\n`), type: 'text/plain; charset=utf-8' };
}

export class SiteServer {
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly options: SiteServerOptions) {}

  /** Starts listening on 127.0.0.1; resolves with the site's URL. */
  async start(): Promise<string> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.options.onError?.(error);
        if (!response.headersSent) send(request, response, 500, text('internal error'));
        else response.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new SitePortError(this.options.port, error)));
      server.listen(this.options.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}/`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const host = String(request.headers.host ?? '');
    if (host !== `127.0.0.1:${this.port}` && host !== `localhost:${this.port}`) {
      send(request, response, 403, text('forbidden host'));
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      send(request, response, 405, text('method not allowed'));
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      send(request, response, 400, text('bad request'));
      return;
    }
    path = path.replace(/^\/+/, '');
    if (path === '') path = 'index.html';
    const body = this.options.files().get(path);
    if (body !== undefined) {
      send(request, response, 200, { body, type: contentType(path) });
      return;
    }
    const made = await this.options.dynamic(path);
    if (made === undefined) send(request, response, 404, text('not found'));
    else send(request, response, 200, made);
  }
}
