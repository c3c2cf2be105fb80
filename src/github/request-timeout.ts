/**
 * A time limit on every GitHub request, wrapped around fetch so that each attempt of the
 * retry plugin gets its own (a timed-out attempt fails like a network error, status 500, and
 * is retried within the retry budget). The clock runs until the response arrives, plus the
 * time an upload of the request body may take at a slow line rate. JSON and text bodies are
 * then read in full under the same limit, so Octokit never sees half a body; binary bodies
 * (asset downloads) are streamed, and fail when no byte arrives for the limit.
 */

/** The limit when none is given: generous for GitHub's slowest pages, short of a job timeout. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** Bytes per second an upload is allowed at least (a 100 MB model: about 30 minutes). */
const MIN_UPLOAD_BYTES_PER_SECOND = 64 * 1024;

/** A request that got no answer (or no more bytes) within the limit. */
export class RequestTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`GitHub did not answer within ${Math.round(timeoutMs / 100) / 10} s`);
    this.name = 'RequestTimeoutError';
  }
}

function bodySize(body: unknown): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  return 0;
}

function buffered(response: Response): boolean {
  const type = (response.headers.get('content-type') ?? '').toLowerCase();
  return type === '' || type.includes('json') || type.startsWith('text/');
}

/** `fetch` with the time limit described in the module comment. */
export function fetchWithTimeout(base: typeof fetch, timeoutMs: number): typeof fetch {
  return async (input, init = {}) => {
    const controller = new AbortController();
    const outer = init.signal;
    if (outer) {
      if (outer.aborted) controller.abort(outer.reason);
      else outer.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
    }
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number): void => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new RequestTimeoutError(ms)), ms);
    };
    const disarm = (): void => clearTimeout(timer);

    arm(timeoutMs + (bodySize(init.body) / MIN_UPLOAD_BYTES_PER_SECOND) * 1000);
    let response: Response;
    try {
      response = await base(input, { ...init, signal: controller.signal });
    } catch (error) {
      disarm();
      throw error;
    }
    if (response.body === null) {
      disarm();
      return response;
    }
    arm(timeoutMs);
    let body: ArrayBuffer | ReadableStream<Uint8Array>;
    if (buffered(response)) {
      try {
        body = await response.arrayBuffer();
      } finally {
        disarm();
      }
    } else {
      body = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, stream) {
            arm(timeoutMs);
            stream.enqueue(chunk);
          },
          flush: disarm,
        }),
      );
    }
    const copy = new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    Object.defineProperty(copy, 'url', { value: response.url });
    return copy;
  };
}
