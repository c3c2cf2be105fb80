/**
 * A fault-injecting HTTP proxy in front of the real registry, for the failures a network or an
 * overloaded registry produces: an answer of 5xx or 429 (with Retry-After) instead of
 * forwarding, a connection cut after N bytes of a request or response body, or a hook run
 * mid-request (e.g. killing the registry process, or changing the file being uploaded), after
 * which the request is cut or, with `thenForward`, goes on. Everything else is forwarded unchanged,
 * Host header included, so the registry's Location URLs point back through the proxy. Each
 * request is recorded (method, path, status, auth scheme) for assertions.
 */
import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultAction =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'cut-request'; afterBytes: number }
  | { kind: 'cut-response'; afterBytes: number }
  | { kind: 'hook'; afterBytes: number; run: () => Promise<void>; thenForward?: boolean };

export interface FaultRule {
  method?: string;
  path?: RegExp;
  /** How many matching requests the fault applies to (default 1). */
  times?: number;
  /** Matching requests to let through untouched first (default 0). */
  skip?: number;
  action: FaultAction;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  /** The query string ('' or '?…'). */
  query: string;
  status: number | 'cut';
  /** 'basic', 'bearer' or null: the Authorization scheme the client sent. */
  auth: string | null;
  /** Request body bytes the proxy saw. */
  bytes: number;
}

export interface FaultProxy {
  host: string;
  requests: ProxiedRequest[];
  addFault(rule: FaultRule): void;
  close(): Promise<void>;
}

/** Starts a proxy on a loopback port forwarding to `target` (`host:port`). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [targetHost, targetPort] = target.split(':') as [string, string];
  const rules: Array<FaultRule & { left: number; toSkip: number }> = [];
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();

  const take = (req: IncomingMessage): FaultAction | undefined => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    for (const rule of rules) {
      if (rule.left <= 0) continue;
      if (rule.method !== undefined && rule.method !== req.method) continue;
      if (rule.path !== undefined && !rule.path.test(path)) continue;
      if (rule.toSkip > 0) {
        rule.toSkip -= 1;
        continue;
      }
      rule.left -= 1;
      return rule.action;
    }
    return undefined;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const { pathname: path, search: query } = new URL(req.url ?? '/', 'http://x');
    const scheme = /^(\w+)/.exec(req.headers.authorization ?? '')?.[1]?.toLowerCase() ?? null;
    const entry: ProxiedRequest = {
      method: req.method ?? '',
      path,
      query,
      status: 'cut',
      auth: scheme,
      bytes: 0,
    };
    requests.push(entry);
    const action = take(req);
    if (action?.kind === 'status') {
      req.on('data', (chunk: Buffer) => (entry.bytes += chunk.length));
      req.on('end', () => {
        entry.status = action.status;
        res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
        res.end(
          action.body ??
            JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected fault' }] }),
        );
      });
      return;
    }
    const upstream = request(
      {
        host: targetHost,
        port: Number(targetPort),
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        entry.status = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (action?.kind === 'cut-response') {
          let sent = 0;
          answer.on('data', (chunk: Buffer) => {
            if (sent + chunk.length >= action.afterBytes) {
              res.write(chunk.subarray(0, Math.max(0, action.afterBytes - sent)));
              entry.status = 'cut';
              res.socket?.destroy();
              answer.destroy();
              return;
            }
            sent += chunk.length;
            res.write(chunk);
          });
          answer.on('end', () => res.end());
        } else answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      entry.status = 'cut';
      res.socket?.destroy();
    });
    let fired = false;
    let forwardRest = false;
    req.on('data', (chunk: Buffer) => {
      entry.bytes += chunk.length;
      if (
        !forwardRest &&
        (action?.kind === 'cut-request' || action?.kind === 'hook') &&
        !fired &&
        entry.bytes >= action.afterBytes
      ) {
        fired = true;
        req.pause();
        void (async () => {
          if (action.kind === 'hook') await action.run();
          if (action.kind === 'hook' && action.thenForward === true) {
            upstream.write(chunk);
            fired = false;
            forwardRest = true;
            req.resume();
            return;
          }
          entry.status = 'cut';
          upstream.destroy();
          req.socket.destroy();
        })();
        return;
      }
      if (!fired) upstream.write(chunk);
    });
    req.on('end', () => {
      if (!fired) upstream.end();
    });
  };

  const server: Server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    addFault: (rule) => rules.push({ ...rule, left: rule.times ?? 1, toSkip: rule.skip ?? 0 }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
