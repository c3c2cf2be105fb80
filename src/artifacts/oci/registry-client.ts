/**
 * A client of one OCI registry's distribution API (v2): blobs (HEAD, GET, upload sessions,
 * cross-repository mounts), manifests (GET, HEAD, PUT, DELETE) and tag lists. Every request goes
 * through `send`, which adds authentication (registry-auth.ts), retries network failures, 5xx,
 * 408 and 429 within a budget (Retry-After honoured) when the request can be repeated, follows
 * redirects without carrying credentials to another origin, and turns failures into typed
 * errors: RegistryAuthError (401/403, with a scope hint), RegistryUnavailableError (unreachable
 * or still failing after the retries), RegistryProtocolError (anything else). Requests are
 * logged to the debug sink by method, path and status only: never a header, never a query.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  assertTransportAllowed,
  createNodeTransport,
  drain,
  readBodyText,
  registryBaseUrl,
  type HttpResponse,
  type HttpTransport,
} from './http-transport.js';
import {
  RegistryAuthError,
  RegistryProtocolError,
  RegistryUnavailableError,
  RegistryUnsupportedError,
  type RegistryAccess,
} from './oci-errors.js';
import { assertReference, assertRepository, SHA256_DIGEST, TAG } from './oci-names.js';
import { RegistryAuth } from './registry-auth.js';
import type { RegistryCredential } from './registry-credential.js';
import type { CredentialProvider } from './registry-credentials.js';
import {
  isRetryableStatus,
  parseRetryAfter,
  RetryBudget,
  defaultSleep,
  type RetryOptions,
  type Sleep,
} from './retry-policy.js';
import { redact } from '../../github/token.js';

/** Largest manifest ghml reads (the distribution spec asks registries to accept 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const MAX_TAGS = 1_000_000;

export interface RegistryClientOptions {
  /** `host[:port]`; loopback hosts are spoken to over http, all others over https. */
  registry: string;
  /** Produces the credentials when the registry first asks (null: anonymous). */
  credentials?: CredentialProvider;
  /** The fix to name when the registry refuses access. */
  authHint?: (access: RegistryAccess, credential: RegistryCredential | null) => string;
  transport?: HttpTransport;
  retry?: RetryOptions;
  sleep?: Sleep;
  /** Debug sink: one line per request (method, path, status); never headers or queries. */
  debug?: (message: string) => void;
}

/** A manifest as stored: its exact bytes, media type and digest. */
export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

interface SendOptions {
  method: string;
  url: URL;
  repository: string;
  access: RegistryAccess;
  /** Token scopes the request needs. */
  scopes: string[];
  /** What the request does, for messages: e.g. "uploading blob sha256:…". */
  what: string;
  /** Statuses handed back to the caller. */
  expect: number[];
  headers?: Record<string, string>;
  body?: Buffer | (() => Readable);
  /** False for requests that must not be repeated blindly (a PATCH resumes instead). */
  retry?: boolean;
  followRedirects?: boolean;
}

/** The registry's own error text: `{"errors":[{"code","message"}]}`, or the start of the body. */
export function registryErrorDetail(text: string): string {
  try {
    const parsed = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    if (Array.isArray(parsed.errors) && parsed.errors.length > 0) {
      return redact(
        parsed.errors
          .slice(0, 3)
          .map((e) => [e.code, e.message].filter((x) => typeof x === 'string').join(': '))
          .join('; ')
          .slice(0, 300),
      );
    }
  } catch {
    // not JSON
  }
  return redact(text.replace(/\s+/g, ' ').trim().slice(0, 200));
}

function repositoryScope(repository: string, actions: string): string {
  return `repository:${repository}:${actions}`;
}

export class RegistryClient {
  readonly registry: string;
  readonly baseUrl: URL;
  private readonly transport: HttpTransport;
  private readonly auth: RegistryAuth;
  private readonly credentials: CredentialProvider;
  private readonly retry: RetryOptions;
  private readonly sleep: Sleep;
  private readonly debug: (message: string) => void;
  private readonly hint: NonNullable<RegistryClientOptions['authHint']>;

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    this.baseUrl = registryBaseUrl(options.registry);
    this.transport = options.transport ?? createNodeTransport();
    this.credentials = options.credentials ?? (() => Promise.resolve(null));
    this.auth = new RegistryAuth(options.registry, this.credentials, this.transport);
    this.retry = options.retry ?? {};
    this.sleep = options.sleep ?? defaultSleep;
    this.debug = options.debug ?? (() => undefined);
    this.hint =
      options.authHint ??
      ((access) =>
        `run \`docker login ${options.registry}\`, or set GHML_REGISTRY_USERNAME and GHML_REGISTRY_PASSWORD (${access} access)`);
  }

  /** The URL of an API path under /v2/. */
  url(path: string): URL {
    return new URL(`/v2/${path}`, this.baseUrl);
  }

  /** Sends one logical request; see the module comment. */
  async send(options: SendOptions): Promise<HttpResponse> {
    const budget = new RetryBudget(this.retry, this.sleep);
    const context = {
      repository: options.repository,
      access: options.access,
      hint: (credential: RegistryCredential | null) => this.hint(options.access, credential),
    };
    let url = options.url;
    let redirects = 0;
    let authRetried = false;
    const canRetry = options.retry ?? true;
    for (;;) {
      assertTransportAllowed(url);
      const sameOrigin = url.origin === this.baseUrl.origin;
      let authorization: string | undefined;
      try {
        authorization = sameOrigin
          ? await this.auth.authorization(options.scopes, context)
          : undefined;
      } catch (error) {
        // The token service is down for a moment: wait and ask again, like any request.
        if (error instanceof RegistryUnavailableError && canRetry && (await budget.next()))
          continue;
        throw error;
      }
      const headers: Record<string, string> = {
        'user-agent': 'ghml',
        ...options.headers,
        ...(authorization === undefined ? {} : { authorization }),
      };
      let response: HttpResponse;
      try {
        response = await this.transport({
          method: options.method,
          url,
          headers,
          ...(options.body === undefined ? {} : { body: options.body }),
        });
      } catch (error) {
        if (!isNetworkError(error)) throw error;
        this.debug(`${options.method} ${url.pathname} -> ${(error as Error).message}`);
        if (canRetry && (await budget.next())) continue;
        throw new RegistryUnavailableError(
          this.registry,
          options.what,
          describeNetworkError(error),
          {
            cause: error,
          },
        );
      }
      const status = response.status;
      this.debug(`${options.method} ${url.pathname} -> ${status}`);

      if (status === 401 && sameOrigin) {
        const text = await readBodyText(response.body);
        if (
          !authRetried &&
          (await this.auth.challenge(
            response.headers['www-authenticate'],
            options.scopes,
            authorization,
            context,
          ))
        ) {
          authRetried = true;
          continue;
        }
        throw new RegistryAuthError(
          this.registry,
          options.repository,
          options.access,
          401,
          registryErrorDetail(text),
          this.hint(options.access, await this.credentials()),
        );
      }
      if (status === 403) {
        const text = await readBodyText(response.body);
        throw new RegistryAuthError(
          this.registry,
          options.repository,
          options.access,
          403,
          registryErrorDetail(text),
          this.hint(options.access, await this.credentials()),
        );
      }
      if (
        options.followRedirects === true &&
        [301, 302, 303, 307, 308].includes(status) &&
        response.headers['location'] !== undefined
      ) {
        await drain(response.body);
        if (++redirects > MAX_REDIRECTS) {
          throw new RegistryProtocolError(
            this.registry,
            options.what,
            status,
            'too many redirects',
          );
        }
        url = new URL(response.headers['location'], url);
        continue;
      }
      if (options.expect.includes(status)) return response;
      const text = await readBodyText(response.body);
      if (isRetryableStatus(status)) {
        if (canRetry && (await budget.next(parseRetryAfter(response.headers['retry-after'])))) {
          continue;
        }
        throw new RegistryUnavailableError(
          this.registry,
          options.what,
          `HTTP ${status}${text ? `: ${registryErrorDetail(text)}` : ''} after ${budget.attempts} attempt(s)`,
        );
      }
      throw new RegistryProtocolError(
        this.registry,
        options.what,
        status,
        registryErrorDetail(text),
      );
    }
  }

  /** The size of a blob the repository has, or null when it has none. */
  async blobSize(repository: string, digest: string): Promise<number | null> {
    assertRepository(repository);
    assertDigest(digest);
    const response = await this.send({
      method: 'HEAD',
      url: this.url(`${repository}/blobs/${digest}`),
      repository,
      access: 'pull',
      scopes: [repositoryScope(repository, 'pull')],
      what: `checking blob ${digest}`,
      expect: [200, 404],
      followRedirects: true,
    });
    await drain(response.body);
    if (response.status === 404) return null;
    const size = Number(response.headers['content-length']);
    return Number.isSafeInteger(size) ? size : -1;
  }

  /**
   * Starts an upload session, or mounts `mount.digest` from `mount.from` (same registry) when
   * the registry can: then no bytes move. Returns the session URL, or 'mounted'.
   */
  async startUpload(
    repository: string,
    mount?: { digest: string; from: string },
  ): Promise<URL | 'mounted'> {
    assertRepository(repository);
    const url = this.url(`${repository}/blobs/uploads/`);
    const scopes = [repositoryScope(repository, 'pull,push')];
    if (mount !== undefined) {
      assertDigest(mount.digest);
      assertRepository(mount.from);
      url.searchParams.set('mount', mount.digest);
      url.searchParams.set('from', mount.from);
      scopes.push(repositoryScope(mount.from, 'pull'));
    }
    const response = await this.send({
      method: 'POST',
      url,
      repository,
      access: 'push',
      scopes,
      what: mount === undefined ? 'starting an upload' : `mounting blob ${mount.digest}`,
      expect: [201, 202],
      headers: { 'content-length': '0' },
    });
    await drain(response.body);
    if (response.status === 201) return 'mounted';
    return this.location(response, url, 'starting an upload');
  }

  /** How many bytes an upload session holds (from its Range header), and its current URL. */
  async uploadStatus(repository: string, session: URL): Promise<{ offset: number; session: URL }> {
    const response = await this.send({
      method: 'GET',
      url: session,
      repository,
      access: 'push',
      scopes: [repositoryScope(repository, 'pull,push')],
      what: 'checking an upload',
      expect: [204, 200, 404],
    });
    await drain(response.body);
    if (response.status === 404) return { offset: -1, session };
    return {
      offset: rangeEnd(response.headers['range']),
      session: this.location(response, session, 'checking an upload', session),
    };
  }

  /**
   * Sends bytes [start, start+length) of a blob to a session (PATCH with Content-Range). Not
   * retried here: the caller asks `uploadStatus` where to resume. Returns the next session URL
   * and the offset the registry now holds.
   */
  async patchChunk(
    repository: string,
    session: URL,
    start: number,
    length: number,
    body: () => Readable,
  ): Promise<{ session: URL; offset: number }> {
    const response = await this.send({
      method: 'PATCH',
      url: session,
      repository,
      access: 'push',
      scopes: [repositoryScope(repository, 'pull,push')],
      what: 'uploading a chunk',
      expect: [202, 404, 416],
      retry: false,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(length),
        'content-range': `${start}-${start + length - 1}`,
      },
      body,
    });
    await drain(response.body);
    if (response.status === 404) throw this.sessionLost('uploading a chunk');
    const next = this.location(response, session, 'uploading a chunk', session);
    return {
      session: next,
      offset: response.status === 416 ? -1 : rangeEnd(response.headers['range']),
    };
  }

  /**
   * Completes an upload with its digest: the registry verifies the bytes against it. With a body
   * (a monolithic upload) the bytes go in this request. Returns false when the registry found
   * that the bytes do not match the digest.
   */
  async finishUpload(
    repository: string,
    session: URL,
    digest: string,
    body?: { length: number; stream: () => Readable },
  ): Promise<boolean> {
    assertDigest(digest);
    const url = new URL(session);
    url.searchParams.set('digest', digest);
    const response = await this.send({
      method: 'PUT',
      url,
      repository,
      access: 'push',
      scopes: [repositoryScope(repository, 'pull,push')],
      what: `uploading blob ${digest}`,
      expect: [201, 400, 404],
      retry: false,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(body?.length ?? 0),
      },
      ...(body === undefined ? {} : { body: body.stream }),
    });
    const text = await readBodyText(response.body);
    if (response.status === 201) return true;
    if (response.status === 404) throw this.sessionLost(`uploading blob ${digest}`);
    if (/DIGEST_INVALID/.test(text)) return false;
    throw new RegistryProtocolError(
      this.registry,
      `uploading blob ${digest}`,
      400,
      registryErrorDetail(text),
    );
  }

  /** Abandons an upload session; failures are ignored (the registry expires sessions). */
  async tryCancelUpload(repository: string, session: URL): Promise<void> {
    try {
      const response = await this.send({
        method: 'DELETE',
        url: session,
        repository,
        access: 'push',
        scopes: [repositoryScope(repository, 'pull,push')],
        what: 'cancelling an upload',
        expect: [204, 404, 200, 202],
        retry: false,
      });
      await drain(response.body);
    } catch {
      // best effort
    }
  }

  /** Opens a blob for reading, from `offset` when given (206) or from the start (200). */
  async openBlob(
    repository: string,
    digest: string,
    offset = 0,
  ): Promise<{ response: HttpResponse; offset: number } | null> {
    assertRepository(repository);
    assertDigest(digest);
    const response = await this.send({
      method: 'GET',
      url: this.url(`${repository}/blobs/${digest}`),
      repository,
      access: 'pull',
      scopes: [repositoryScope(repository, 'pull')],
      what: `downloading blob ${digest}`,
      expect: [200, 206, 404],
      followRedirects: true,
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    });
    if (response.status === 404) {
      await drain(response.body);
      return null;
    }
    return { response, offset: response.status === 206 ? offset : 0 };
  }

  /** Stores a manifest under a tag or its digest; returns its digest. */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<string> {
    assertRepository(repository);
    assertReference(reference);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const response = await this.send({
      method: 'PUT',
      url: this.url(`${repository}/manifests/${reference}`),
      repository,
      access: 'push',
      scopes: [repositoryScope(repository, 'pull,push')],
      what: `writing manifest ${reference}`,
      expect: [201, 200],
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    await drain(response.body);
    return digest;
  }

  /** Reads a manifest by tag or digest, or null when there is none. */
  async getManifest(
    repository: string,
    reference: string,
    accept: readonly string[],
  ): Promise<FetchedManifest | null> {
    assertRepository(repository);
    assertReference(reference);
    const response = await this.send({
      method: 'GET',
      url: this.url(`${repository}/manifests/${reference}`),
      repository,
      access: 'pull',
      scopes: [repositoryScope(repository, 'pull')],
      what: `reading manifest ${reference}`,
      expect: [200, 404],
      headers: { accept: accept.join(', ') },
    });
    if (response.status === 404) {
      await drain(response.body);
      return null;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_MANIFEST_BYTES) {
        response.body.destroy();
        throw new RegistryProtocolError(
          this.registry,
          `reading manifest ${reference}`,
          200,
          `the manifest is larger than ${MAX_MANIFEST_BYTES} bytes`,
        );
      }
      chunks.push(chunk as Buffer);
    }
    const bytes = Buffer.concat(chunks);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (SHA256_DIGEST.test(reference) && reference !== digest) {
      throw new RegistryProtocolError(
        this.registry,
        `reading manifest ${reference}`,
        200,
        `the bytes hash to ${digest}`,
      );
    }
    const mediaType = (response.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    return { bytes, mediaType, digest };
  }

  /** The digest a tag points at, or null when the tag does not exist. */
  async manifestDigest(
    repository: string,
    reference: string,
    accept: readonly string[],
  ): Promise<string | null> {
    assertRepository(repository);
    assertReference(reference);
    const response = await this.send({
      method: 'HEAD',
      url: this.url(`${repository}/manifests/${reference}`),
      repository,
      access: 'pull',
      scopes: [repositoryScope(repository, 'pull')],
      what: `checking manifest ${reference}`,
      expect: [200, 404],
      headers: { accept: accept.join(', ') },
    });
    await drain(response.body);
    if (response.status === 404) return null;
    const digest = response.headers['docker-content-digest'];
    if (digest !== undefined && SHA256_DIGEST.test(digest)) return digest;
    // A registry that does not say: read the manifest and hash it.
    return (await this.getManifest(repository, reference, accept))?.digest ?? null;
  }

  /** Deletes a manifest by digest (and with it every tag on it in this repository). */
  async deleteManifest(repository: string, digest: string): Promise<void> {
    assertRepository(repository);
    assertDigest(digest);
    let response: HttpResponse;
    try {
      response = await this.send({
        method: 'DELETE',
        url: this.url(`${repository}/manifests/${digest}`),
        repository,
        access: 'delete',
        scopes: [repositoryScope(repository, 'delete'), repositoryScope(repository, 'pull,push')],
        what: `deleting manifest ${digest}`,
        expect: [202, 200, 204, 404],
      });
    } catch (error) {
      if (
        error instanceof RegistryProtocolError &&
        (error.status === 405 || /UNSUPPORTED/.test(error.message))
      ) {
        throw new RegistryUnsupportedError(
          this.registry,
          'deleting manifests',
          "enable deletion in the registry's configuration (distribution: storage.delete.enabled), or delete the package versions in the registry's own interface",
        );
      }
      throw error;
    }
    await drain(response.body);
  }

  /** Every tag of a repository (following the Link header's pages); [] for an unknown one. */
  async listTags(repository: string): Promise<string[]> {
    assertRepository(repository);
    const tags: string[] = [];
    let url: URL | undefined = this.url(`${repository}/tags/list`);
    url.searchParams.set('n', '1000');
    while (url !== undefined) {
      const response = await this.send({
        method: 'GET',
        url,
        repository,
        access: 'pull',
        scopes: [repositoryScope(repository, 'pull')],
        what: 'listing tags',
        expect: [200, 404],
      });
      const text = await readBodyText(response.body, 16 * 1024 * 1024);
      if (response.status === 404) return tags;
      let page: unknown;
      try {
        page = JSON.parse(text);
      } catch {
        throw new RegistryProtocolError(
          this.registry,
          'listing tags',
          200,
          'the answer is not JSON',
        );
      }
      const list = (page as { tags?: unknown }).tags;
      if (Array.isArray(list)) {
        for (const tag of list) if (typeof tag === 'string' && TAG.test(tag)) tags.push(tag);
      }
      if (tags.length > MAX_TAGS) break;
      const next = /<([^>]+)>;\s*rel="?next"?/.exec(response.headers['link'] ?? '');
      url = next?.[1] === undefined ? undefined : new URL(next[1], url);
      if (url !== undefined && url.origin !== this.baseUrl.origin) url = undefined;
    }
    return tags;
  }

  /** An upload session the registry no longer knows (expired, or lost in a restart). */
  private sessionLost(what: string): RegistryUnavailableError {
    // Unavailable, not a protocol error: the uploader starts a new session within its budget.
    return new RegistryUnavailableError(
      this.registry,
      what,
      'the registry forgot the upload session',
    );
  }

  private location(response: HttpResponse, base: URL, what: string, fallback?: URL): URL {
    const location = response.headers['location'];
    if (location === undefined) {
      if (fallback !== undefined) return fallback;
      throw new RegistryProtocolError(this.registry, what, response.status, 'no Location header');
    }
    const url = new URL(location, base);
    assertTransportAllowed(url);
    return url;
  }
}

function assertDigest(digest: string): void {
  if (!SHA256_DIGEST.test(digest)) assertReference(digest);
}

/** The offset after the last byte a `Range: 0-<end>` (or `bytes=0-<end>`) header reports. */
export function rangeEnd(range: string | undefined): number {
  const match = /^(?:bytes=)?0-(\d+)$/.exec((range ?? '').trim());
  if (match?.[1] === undefined) return 0;
  const end = Number(match[1]);
  // "0-0" is both "nothing yet" and "one byte" in distribution; assume nothing (a wrong guess
  // only costs a 416 and a restart).
  return end === 0 ? 0 : end + 1;
}

function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string') {
    return /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ECONNABORTED|UND_ERR_.*|ERR_STREAM_PREMATURE_CLOSE|EPROTO|ERR_SSL_.*|HPE_.*)$/.test(
      code,
    );
  }
  return /socket hang up|no data for|aborted/i.test(error.message);
}

function describeNetworkError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = (error as Error).message;
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
}
