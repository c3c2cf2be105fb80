/**
 * Uploads one blob to a repository, streamed from its source (never held in memory):
 *   1. HEAD first: a blob the repository already has is not sent again;
 *   2. a cross-repository mount when the caller names a source repository;
 *   3. small blobs in one PUT (POST, then PUT ?digest= with the bytes), larger ones in chunks
 *      (PATCH with Content-Range, then PUT ?digest=). A dropped chunk is resumed from the offset
 *      the registry reports (GET on the session); 5xx/429 and network failures are retried with
 *      backoff within the budget; a session the registry forgot starts over.
 * The digest is the one the caller recorded (run.json's sha256: each file is hashed once, when
 * it is collected); the registry checks the bytes against it on the final PUT, as the
 * distribution spec requires. When the check fails (the file changed since it was hashed) the
 * session is cancelled and DigestMismatchError is thrown; a file that shrank or grew fails with
 * SizeMismatchError. Either way the blob is not in the registry and nothing may record it as
 * uploaded. Only a generated blob without a known digest (a modelcar layer) is hashed here, as it
 * streams, and its resumption keeps that hash in step with the registry's offset.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { DigestMismatchError, SizeMismatchError } from '../artifact-errors.js';
import type { TransferProgress } from '../content-store.js';
import { RegistryUnavailableError, RegistryUnsupportedError } from './oci-errors.js';
import { toDigest } from './oci-names.js';
import type { RegistryClient } from './registry-client.js';
import { RetryBudget, defaultSleep, type RetryOptions, type Sleep } from './retry-policy.js';

const DEFAULT_PART_BYTES = 256 * 1024 * 1024;

/** Where a blob's bytes come from. */
export interface BlobSource {
  /** What to call it in messages: the artifact's path, or a description. */
  label: string;
  size: number;
  /** The recorded sha256 (hex), or undefined to compute it while uploading (chunked only). */
  sha256: string | undefined;
  /** A fresh stream of bytes [start, end). */
  open(start: number, end: number): Readable;
}

/** A file on disk as a blob source. */
export function fileSource(label: string, file: string, sha256: string, size: number): BlobSource {
  return {
    label,
    size,
    sha256,
    open: (start, end) =>
      end <= start
        ? Readable.from([])
        : createReadStream(file, { start, end: end - 1, highWaterMark: 1024 * 1024 }),
  };
}

export interface BlobUploadOptions {
  /** Blobs up to this size go in one PUT. Default 256 MiB. */
  monolithicMaxBytes?: number;
  /**
   * Chunk size of chunked uploads. Default 256 MiB: each chunk costs the registry a request
   * (CNCF distribution saves its hash state per chunk), so small chunks are slow, while a chunk
   * is what a registry that keeps partial uploads lets a dropped connection lose at most.
   */
  chunkBytes?: number;
  /** Mount from this repository of the same registry instead of sending bytes, when it has them. */
  mountFrom?: string;
  /** With `mountFrom`: fail (RegistryUnsupportedError) rather than send the bytes. */
  requireMount?: boolean;
  onProgress?: TransferProgress;
  retry?: RetryOptions;
  sleep?: Sleep;
}

/** What happened: the registry had it, mounted it, or received the bytes. */
export type BlobUploadOutcome = { outcome: 'present' | 'mounted' | 'uploaded'; sha256: string };

/** Counts (and, when asked, hashes) the bytes of one request body; fails on a wrong length. */
class BodyTap extends Transform {
  private sent = 0;

  constructor(
    private readonly hash: Hash | undefined,
    private readonly expected: number,
    private readonly label: string,
    private readonly onBytes: (n: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.sent += chunk.length;
    if (this.sent > this.expected) {
      done(new SizeMismatchError(this.label, this.expected, this.sent));
      return;
    }
    this.hash?.update(chunk);
    this.onBytes(chunk.length);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(
      this.sent === this.expected
        ? null
        : new SizeMismatchError(this.label, this.expected, this.sent),
    );
  }
}

/** Uploads `source` to `repository` unless it is already there; see the module comment. */
export async function uploadBlob(
  client: RegistryClient,
  repository: string,
  source: BlobSource,
  options: BlobUploadOptions = {},
): Promise<BlobUploadOutcome> {
  const total = source.size;
  const progress = options.onProgress;
  if (source.sha256 !== undefined) {
    const digest = toDigest(source.sha256);
    if ((await client.blobSize(repository, digest)) !== null) {
      progress?.(total, total);
      return { outcome: 'present', sha256: source.sha256 };
    }
    if (options.mountFrom !== undefined && options.mountFrom !== repository) {
      const mounted = await client.startUpload(repository, { digest, from: options.mountFrom });
      if (mounted === 'mounted') {
        progress?.(total, total);
        return { outcome: 'mounted', sha256: source.sha256 };
      }
      // The registry could not mount and opened a session instead: abandon it, upload below.
      await client.tryCancelUpload(repository, mounted);
      if (options.requireMount === true) {
        throw new RegistryUnsupportedError(
          client.registry,
          `mounting ${source.label} from ${options.mountFrom} into ${repository}`,
          'check that the credentials can read both repositories; a model version is never uploaded twice',
        );
      }
    }
  }
  const budget = new RetryBudget(options.retry, options.sleep ?? defaultSleep);
  const monolithic =
    source.sha256 !== undefined && total <= (options.monolithicMaxBytes ?? DEFAULT_PART_BYTES);
  return monolithic
    ? uploadMonolithic(client, repository, source, budget, progress)
    : uploadChunked(
        client,
        repository,
        source,
        options.chunkBytes ?? DEFAULT_PART_BYTES,
        budget,
        progress,
      );
}

async function uploadMonolithic(
  client: RegistryClient,
  repository: string,
  source: BlobSource,
  budget: RetryBudget,
  progress: TransferProgress | undefined,
): Promise<BlobUploadOutcome> {
  const expected = source.sha256 as string;
  for (;;) {
    const session = await client.startUpload(repository);
    if (session === 'mounted') throw new Error('unreachable: no mount asked');
    let sent = 0;
    try {
      const accepted = await client.finishUpload(repository, session, toDigest(expected), {
        length: source.size,
        stream: () => {
          sent = 0;
          return tapped(
            source.open(0, source.size),
            new BodyTap(undefined, source.size, source.label, (n) => {
              sent += n;
              progress?.(sent, source.size);
            }),
          );
        },
      });
      if (!accepted) throw new DigestMismatchError(source.label, expected, REGISTRY_DIGEST);
      return { outcome: 'uploaded', sha256: expected };
    } catch (error) {
      if (error instanceof RegistryUnavailableError && (await budget.next())) {
        await client.tryCancelUpload(repository, session);
        progress?.(0, source.size);
        continue;
      }
      await client.tryCancelUpload(repository, session);
      throw error;
    }
  }
}

/** The source piped through the tap, with a read failure passed on to the tap. */
function tapped(input: Readable, tap: BodyTap): Readable {
  input.on('error', (error) => tap.destroy(error));
  return input.pipe(tap);
}

/** What a mismatch reports as the actual digest when the registry found it. */
const REGISTRY_DIGEST = 'a different digest (computed by the registry from the bytes read)';

async function uploadChunked(
  client: RegistryClient,
  repository: string,
  source: BlobSource,
  chunkBytes: number,
  budget: RetryBudget,
  progress: TransferProgress | undefined,
): Promise<BlobUploadOutcome> {
  const size = source.size;
  let started = await client.startUpload(repository);
  if (started === 'mounted') throw new Error('unreachable: no mount asked');
  let session: URL = started;
  // Only without a recorded digest: `hash` covers bytes [0, offset), what the registry holds.
  const hashing = source.sha256 === undefined;
  let hash = hashing ? createHash('sha256') : undefined;
  let offset = 0;
  try {
    while (offset < size) {
      const start = offset;
      const length = Math.min(chunkBytes, size - start);
      const before = hash;
      let attempt = before?.copy();
      let sent = 0;
      try {
        const result = await client.patchChunk(repository, session, start, length, () => {
          attempt = before?.copy();
          sent = 0;
          return tapped(
            source.open(start, start + length),
            new BodyTap(attempt, length, source.label, (n) => {
              sent += n;
              progress?.(start + sent, size);
            }),
          );
        });
        session = result.session;
        if (result.offset === start + length) {
          hash = attempt;
          offset = result.offset;
          continue;
        }
        // The registry holds a different amount (416, or a short Range): resync below.
      } catch (error) {
        if (!(error instanceof RegistryUnavailableError) || !(await budget.next())) throw error;
      }
      const status = await client.uploadStatus(repository, session);
      if (status.offset < start || status.offset > start + length) {
        // Lost or inconsistent session: start over.
        await client.tryCancelUpload(repository, session);
        started = await client.startUpload(repository);
        if (started === 'mounted') throw new Error('unreachable: no mount asked');
        session = started;
        hash = hashing ? createHash('sha256') : undefined;
        offset = 0;
        progress?.(0, size);
        continue;
      }
      session = status.session;
      if (hash !== undefined && status.offset > start) {
        await hashRange(source, start, status.offset, hash);
      }
      offset = status.offset;
      progress?.(offset, size);
    }
    const actual = source.sha256 ?? (hash as Hash).digest('hex');
    for (;;) {
      try {
        if (!(await client.finishUpload(repository, session, toDigest(actual)))) {
          throw new DigestMismatchError(source.label, actual, REGISTRY_DIGEST);
        }
        return { outcome: 'uploaded', sha256: actual };
      } catch (error) {
        if (!(error instanceof RegistryUnavailableError) || !(await budget.next())) throw error;
        // Completed after all if the blob is there now.
        if ((await client.blobSize(repository, toDigest(actual))) !== null) {
          return { outcome: 'uploaded', sha256: actual };
        }
      }
    }
  } catch (error) {
    await client.tryCancelUpload(repository, session);
    throw error;
  }
}

/** Adds bytes [start, end) of the source to `hash` (catching up after a partial chunk). */
async function hashRange(
  source: BlobSource,
  start: number,
  end: number,
  hash: Hash,
): Promise<void> {
  let seen = 0;
  for await (const chunk of source.open(start, end)) {
    hash.update(chunk as Buffer);
    seen += (chunk as Buffer).length;
  }
  if (seen !== end - start) throw new SizeMismatchError(source.label, end - start, seen);
}
