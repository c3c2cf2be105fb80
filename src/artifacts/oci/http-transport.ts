/**
 * The one door to HTTP for the registry client: a small request/response interface and its
 * node:http(s) implementation. Bodies stream both ways (a 1 GiB upload never sits in memory);
 * a request body is either bytes or a factory of a fresh stream, so a retry can send it again.
 * Plain HTTP is allowed only to loopback hosts (localhost, 127.0.0.0/8, ::1), as docker does;
 * every other http:// URL is refused before a socket opens. Redirects are not followed here:
 * the client decides (and drops credentials when the origin changes).
 */
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { InsecureRegistryError } from './oci-errors.js';

export interface HttpRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  /** Bytes, or a factory of a fresh stream (called once per attempt). */
  body?: Buffer | (() => Readable);
}

export interface HttpResponse {
  status: number;
  /** Lowercase names; repeated headers joined with ', ' except set-cookie. */
  headers: Record<string, string>;
  /** The body; consume or destroy it. */
  body: Readable;
}

/** Sends one request; rejects on a network failure, resolves on any HTTP status. */
export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

/** True for localhost, 127.0.0.0/8 and ::1 (with or without brackets). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
  return false;
}

/** Throws InsecureRegistryError unless `url` is https, or http to a loopback host. */
export function assertTransportAllowed(url: URL): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return;
  throw new InsecureRegistryError(`${url.protocol}//${url.host}${url.pathname}`);
}

/** The base URL of a registry `host[:port]`: http for loopback hosts, https otherwise. */
export function registryBaseUrl(registry: string): URL {
  const host = registry.replace(/:\d+$/, '');
  return new URL(`${isLoopbackHost(host) ? 'http' : 'https'}://${registry}/`);
}

export interface NodeTransportOptions {
  /** Idle socket timeout in ms (no bytes either way); default 120000. */
  idleTimeoutMs?: number;
  /** Connections kept per host; default 8. */
  maxSockets?: number;
}

function flattenHeaders(message: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** HttpTransport over node:http and node:https with keep-alive agents. */
export function createNodeTransport(options: NodeTransportOptions = {}): HttpTransport {
  const idle = options.idleTimeoutMs ?? 120_000;
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 8 };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);

  return (req) =>
    new Promise<HttpResponse>((resolve, reject) => {
      assertTransportAllowed(req.url);
      const secure = req.url.protocol === 'https:';
      const send = secure ? httpsRequest : httpRequest;
      let bodyError: unknown;
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        // The body's own failure (a file that changed size) explains a broken request best.
        reject(bodyError ?? error);
      };
      const outgoing = send(
        req.url,
        {
          method: req.method,
          headers: req.headers,
          agent: secure ? httpsAgent : httpAgent,
          timeout: idle,
        },
        (res) => {
          if (settled) {
            res.destroy();
            return;
          }
          settled = true;
          resolve({ status: res.statusCode ?? 0, headers: flattenHeaders(res), body: res });
        },
      );
      outgoing.on('error', fail);
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no data for ${idle} ms`)));
      const body = req.body;
      if (body === undefined) outgoing.end();
      else if (Buffer.isBuffer(body)) outgoing.end(body);
      else {
        const source = body();
        pipeline(source, outgoing).catch((error: unknown) => {
          if (source.errored) bodyError = source.errored;
          outgoing.destroy(error instanceof Error ? error : new Error(String(error)));
          fail(error);
        });
      }
    });
}

/** Reads at most `limit` bytes of a body as text and discards the rest. */
export async function readBodyText(body: Readable, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buffer = chunk as Buffer;
      if (size < limit) chunks.push(buffer.subarray(0, limit - size));
      size += buffer.length;
    }
  } catch {
    // A body cut short still tells what it managed to say.
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Consumes and discards a body so the connection can be reused. */
export async function drain(body: Readable): Promise<void> {
  try {
    body.resume();
    await finished(body);
  } catch {
    // nothing to keep
  }
}

/** A readable over a buffer, for bodies built in memory. */
export function bufferStream(data: Buffer): Readable {
  return Readable.from([data]);
}
