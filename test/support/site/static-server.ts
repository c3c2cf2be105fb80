/**
 * A plain static file server on 127.0.0.1 for the browser tests and benchmarks: serves a built
 * site folder the way GitHub Pages does (files as they are, gzip when asked, compressed once and
 * kept, off the event loop), and counts the requests it answered. Paths outside the folder are
 * refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

export interface StaticServer {
  url: string;
  /** Paths requested so far. */
  requests: string[];
  close(): Promise<void>;
}

export async function serveStatic(root: string): Promise<StaticServer> {
  const requests: string[] = [];
  const zipped = new Map<string, Promise<Buffer>>();
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const relative = normalize(path === '/' ? 'index.html' : path.slice(1));
    if (relative.startsWith('..') || relative.includes(`${sep}..`)) {
      response.writeHead(403).end();
      return;
    }
    const file = join(root, relative);
    readFile(file).then(
      async (body) => {
        const ext = relative.slice(relative.lastIndexOf('.') + 1);
        const headers: Record<string, string> = {
          'Content-Type': TYPES[ext] ?? 'application/octet-stream',
        };
        let out: Buffer = body;
        if (/gzip/.test(String(request.headers['accept-encoding'])) && body.length > 1024) {
          let pending = zipped.get(file);
          if (pending === undefined) zipped.set(file, (pending = gzipAsync(body, { level: 6 })));
          out = await pending;
          headers['Content-Encoding'] = 'gzip';
        }
        response.writeHead(200, headers).end(out);
      },
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
