/**
 * The local content-addressed cache: `<root>/<sha[0:2]>/<sha[2:]>` (by default under
 * `<git dir>/ghml/objects/`). Files land in a temp file in the same folder, are hashed while
 * they are copied, and are renamed into place only when the digest matches, so an object in
 * the cache is always whole and always what its name says. Concurrent writers of the same
 * content race harmlessly: both renames put identical bytes in place.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ContentNotFoundError,
  DigestMismatchError,
  SizeMismatchError,
  assertSha256,
} from './artifact-errors.js';
import type { ContentStore, TransferProgress } from './content-store.js';

/** Where the cache of a repository lives. */
export function localCacheRoot(gitDir: string): string {
  return join(gitDir, 'ghml', 'objects');
}

/** Hashes and counts the bytes that pass through it. */
class DigestTap extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(
    private readonly total: number,
    private readonly onProgress: TransferProgress | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onProgress?.(this.bytes, this.total);
    done(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Copies `source` to `dest` through a digest tap; returns the digest and size. */
export async function copyHashed(
  source: string,
  dest: string,
  options: { total?: number; onProgress?: TransferProgress } = {},
): Promise<{ sha256: string; size: number }> {
  const tap = new DigestTap(options.total ?? 0, options.onProgress);
  await pipeline(createReadStream(source), tap, createWriteStream(dest, { flags: 'wx' }));
  return { sha256: tap.digest(), size: tap.bytes };
}

/** The sha256 and size of a file, streamed. */
export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

export class LocalContentStore implements ContentStore {
  readonly description: string;

  constructor(readonly root: string) {
    this.description = `the local cache ${root}`;
  }

  /** Path of the object with this digest (whether or not it exists). */
  pathOf(sha256: string): string {
    assertSha256(sha256);
    return join(this.root, sha256.slice(0, 2), sha256.slice(2));
  }

  async has(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(sha256))).isFile();
    } catch {
      return false;
    }
  }

  async put(
    file: string,
    options: { sha256?: string; size?: number; onProgress?: TransferProgress } = {},
  ): Promise<{ sha256: string; size: number }> {
    if (options.sha256 !== undefined && (await this.has(options.sha256))) {
      return { sha256: options.sha256, size: (await stat(this.pathOf(options.sha256))).size };
    }
    await mkdir(this.root, { recursive: true });
    const temp = join(this.root, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      const got = await copyHashed(file, temp, {
        ...(options.size !== undefined ? { total: options.size } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      if (options.sha256 !== undefined && got.sha256 !== options.sha256) {
        throw new DigestMismatchError(file, options.sha256, got.sha256);
      }
      if (options.size !== undefined && got.size !== options.size) {
        throw new SizeMismatchError(file, options.size, got.size);
      }
      const target = this.pathOf(got.sha256);
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
      return got;
    } finally {
      await rm(temp, { force: true });
    }
  }

  /**
   * Moves `file` into the cache under `sha256` (a rename on the same file system, so a 10 GB
   * model costs one read to verify, no copy). The file is hashed after the move; when it no
   * longer matches `sha256` (it changed after it was recorded) it is removed and
   * DigestMismatchError is thrown.
   */
  async adopt(file: string, sha256: string, size: number): Promise<void> {
    const target = this.pathOf(sha256);
    if (await this.has(sha256)) {
      await rm(file, { force: true });
      return;
    }
    await mkdir(this.root, { recursive: true });
    const temp = join(this.root, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      try {
        await rename(file, temp);
      } catch {
        await copyHashed(file, temp);
      }
      const got = await hashFile(temp);
      if (got.sha256 !== sha256) throw new DigestMismatchError(file, sha256, got.sha256);
      if (got.size !== size) throw new SizeMismatchError(file, size, got.size);
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
    } finally {
      await rm(temp, { force: true });
    }
  }

  async get(
    sha256: string,
    dest: string,
    options: { size?: number; onProgress?: TransferProgress } = {},
  ): Promise<void> {
    const source = this.pathOf(sha256);
    if (!(await this.has(sha256))) throw new ContentNotFoundError(this.description, sha256);
    await mkdir(dirname(dest), { recursive: true });
    const temp = `${dest}.ghml-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      const got = await copyHashed(source, temp, {
        ...(options.size !== undefined ? { total: options.size } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      if (got.sha256 !== sha256) {
        // A damaged cache object is useless: drop it so the next read refetches.
        await rm(source, { force: true });
        throw new DigestMismatchError(source, sha256, got.sha256);
      }
      await rename(temp, dest);
    } finally {
      await rm(temp, { force: true });
    }
  }

  /**
   * Makes `dest` hold the object by a hard link when the file system allows (no copy, no
   * second hash), else by a verified copy. The link shares the object's inode, so callers must
   * treat `dest` as read-only.
   */
  async linkOrGet(sha256: string, dest: string): Promise<void> {
    const source = this.pathOf(sha256);
    if (!(await this.has(sha256))) throw new ContentNotFoundError(this.description, sha256);
    await mkdir(dirname(dest), { recursive: true });
    await rm(dest, { force: true });
    try {
      await link(source, dest);
    } catch {
      await this.get(sha256, dest);
    }
  }
}
