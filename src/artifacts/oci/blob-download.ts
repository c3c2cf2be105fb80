/**
 * Downloads one blob into a file: the bytes stream into a temp file beside the destination,
 * hashed as they arrive, and the temp file is renamed into place only when the sha256 (and the
 * size, when known) match. A connection that drops mid-way is resumed with a Range request when
 * the registry (or the storage it redirects to) supports it, else restarted, within the retry
 * budget. On any failure no file is left at the destination and no temp file anywhere.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestMismatchError, SizeMismatchError } from '../artifact-errors.js';
import type { TransferProgress } from '../content-store.js';
import { MissingBlobError, RegistryUnavailableError } from './oci-errors.js';
import { toDigest } from './oci-names.js';
import type { RegistryClient } from './registry-client.js';
import { RetryBudget, defaultSleep, type RetryOptions, type Sleep } from './retry-policy.js';

export interface BlobDownloadOptions {
  /** Expected size; a longer body is cut off and reported. */
  size?: number;
  /** The file's path in the run, for messages. */
  label?: string;
  onProgress?: TransferProgress;
  retry?: RetryOptions;
  sleep?: Sleep;
}

class HashTap extends Transform {
  constructor(
    private readonly hash: Hash,
    private readonly limit: number,
    private received: number,
    private readonly label: string,
    private readonly onBytes: (received: number) => void,
  ) {
    super();
  }

  get bytes(): number {
    return this.received;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.limit) {
      done(new SizeMismatchError(this.label, this.limit, this.received));
      return;
    }
    this.hash.update(chunk);
    this.onBytes(this.received);
    done(null, chunk);
  }
}

/** Writes blob `sha256` of `repository` to `dest`, verified; see the module comment. */
export async function downloadBlob(
  client: RegistryClient,
  repository: string,
  sha256: string,
  dest: string,
  options: BlobDownloadOptions = {},
): Promise<void> {
  const digest = toDigest(sha256);
  const label = options.label ?? digest;
  const limit = options.size ?? Number.MAX_SAFE_INTEGER;
  const total = options.size ?? 0;
  await mkdir(dirname(dest), { recursive: true });
  const temp = `${dest}.ghml-${process.pid}-${randomBytes(6).toString('hex')}`;
  const budget = new RetryBudget(options.retry, options.sleep ?? defaultSleep);
  let hash = createHash('sha256');
  let received = 0;
  try {
    for (;;) {
      const opened = await client.openBlob(repository, digest, received);
      if (opened === null)
        throw new MissingBlobError(client.registry, repository, digest, options.label);
      if (opened.offset !== received) {
        // No range support: start the file again.
        hash = createHash('sha256');
        received = 0;
      }
      const tap = new HashTap(hash, limit, received, label, (n) => options.onProgress?.(n, total));
      const out = createWriteStream(
        temp,
        received === 0 ? { flags: 'w' } : { flags: 'r+', start: received },
      );
      try {
        await pipeline(opened.response.body, tap, out);
        received = tap.bytes;
        break;
      } catch (error) {
        if (error instanceof SizeMismatchError) throw error;
        // Resume from what is safely on disk; bytes hashed but still buffered may be lost, so
        // hash the temp file again (a rare path).
        ({ hash, received } = await hashFile(temp));
        if (!(await budget.next())) {
          throw new RegistryUnavailableError(
            client.registry,
            `downloading ${label}`,
            `${(error as Error).message} after ${budget.attempts} attempt(s)`,
            { cause: error },
          );
        }
      }
    }
    const actual = hash.digest('hex');
    if (options.size !== undefined && received !== options.size) {
      throw new SizeMismatchError(label, options.size, received);
    }
    if (actual !== sha256)
      throw new DigestMismatchError(`${client.registry}/${repository} ${label}`, sha256, actual);
    await rename(temp, dest);
  } finally {
    await rm(temp, { force: true });
  }
}

async function hashFile(file: string): Promise<{ hash: Hash; received: number }> {
  const hash = createHash('sha256');
  let received = 0;
  try {
    for await (const chunk of createReadStream(file)) {
      hash.update(chunk as Buffer);
      received += (chunk as Buffer).length;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return { hash, received };
}
