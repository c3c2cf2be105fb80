/**
 * Content hashes of deps and outputs. A file's hash is the sha256 of its bytes (the digest the
 * content stores use). A folder's hash is `<sha256>.dir`, where the sha256 is that of its
 * manifest: the JSON list of `[relative path, sha256, size]` of every file below it, sorted by
 * path; the manifest itself is stored in the content store under that digest, so a folder can
 * be restored from its hash alone. Files are hashed once and then found by stat in HashState.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { HashState } from './hash-state.js';

export const DIR_SUFFIX = '.dir';

/** One file of a folder's manifest. */
export type ManifestEntry = [path: string, sha256: string, size: number];

export interface PathHash {
  /** sha256 of a file, or `<manifest sha256>.dir` of a folder. */
  hash: string;
  /** Total bytes. */
  size: number;
  /** Number of files (1 for a file). */
  nfiles: number;
  /** For a folder: its files, relative to it, sorted. */
  manifest?: ManifestEntry[];
}

const CHUNK = 1024 * 1024;
/** Files below a folder at most; a guard against hashing a whole disk by mistake. */
const MAX_FILES = 1_000_000;

/** sha256 of a file, read in chunks without loading it whole. */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const read = readSync(fd, buffer, 0, CHUNK, null);
      if (read === 0) break;
      hash.update(read === CHUNK ? buffer : buffer.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** The manifest's bytes: what its digest is computed over and what the store holds. */
export function manifestBytes(manifest: readonly ManifestEntry[]): Buffer {
  return Buffer.from(JSON.stringify(manifest));
}

export function isDirHash(hash: string): boolean {
  return hash.endsWith(DIR_SUFFIX);
}

export class PathHasher {
  /** Files hashed (read) by this hasher, for benchmarks and tests. */
  filesRead = 0;

  constructor(
    private readonly root: string,
    private readonly state: HashState,
  ) {}

  private fileHash(full: string, stats: Stats): string {
    const known = this.state.lookup(full, stats);
    if (known !== undefined) return known;
    const sha = sha256File(full);
    this.filesRead += 1;
    this.state.record(full, stats, sha);
    return sha;
  }

  /** Hash of the project-relative `path`; undefined when it does not exist. */
  hash(path: string): PathHash | undefined {
    const full = join(this.root, path);
    let stats: Stats;
    try {
      stats = statSync(full);
    } catch {
      return undefined;
    }
    if (stats.isFile()) return { hash: this.fileHash(full, stats), size: stats.size, nfiles: 1 };
    if (!stats.isDirectory()) return undefined;
    const manifest: ManifestEntry[] = [];
    const walk = (dir: string, prefix: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.name === '.git') continue;
        const child = join(dir, entry.name);
        const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
        let childStats: Stats;
        try {
          childStats = statSync(child);
        } catch {
          continue; // a broken symlink
        }
        if (childStats.isDirectory()) walk(child, rel);
        else if (childStats.isFile()) {
          if (manifest.length >= MAX_FILES)
            throw new Error(`${path} holds more than ${MAX_FILES} files`);
          manifest.push([rel, this.fileHash(child, childStats), childStats.size]);
        }
      }
    };
    walk(full, '');
    manifest.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const digest = createHash('sha256').update(manifestBytes(manifest)).digest('hex');
    const size = manifest.reduce((sum, [, , bytes]) => sum + bytes, 0);
    return { hash: `${digest}${DIR_SUFFIX}`, size, nfiles: manifest.length, manifest };
  }
}
