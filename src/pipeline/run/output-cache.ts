/**
 * Stage outputs in content stores: saving puts every file of an output (and a folder's
 * manifest) into each store, local cache first; restoring writes an output back from the
 * first store that has it, verifying every digest, into a temp name that is renamed into place
 * only when complete. A store that fails to save is reported and skipped: the local cache
 * keeps the content for later (`ghml push`).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ContentStore } from '../../artifacts/content-store.js';
import {
  DIR_SUFFIX,
  isDirHash,
  manifestBytes,
  type ManifestEntry,
  type PathHash,
} from '../state/path-hasher.js';

/** A manifest path may come from another machine: it must stay inside the folder. */
function checkManifestPath(rel: string): void {
  const parts = rel.split('/');
  if (
    rel === '' ||
    rel.startsWith('/') ||
    parts.some((p) => p === '' || p === '.' || p === '..') ||
    rel.includes('\\')
  ) {
    throw new Error(
      `refusing the manifest entry '${rel.slice(0, 200)}': not a plain relative path`,
    );
  }
}

export class OutputCache {
  /**
   * @param stores where outputs go and come from, local cache first, then remote stores.
   * @param tempDir a folder on the same file system as the project, for atomic renames.
   */
  constructor(
    readonly stores: readonly ContentStore[],
    private readonly tempDir: string,
    private readonly warn: (message: string) => void,
  ) {}

  /** Saves an output (hashed as `hash`) from `full` into every store. */
  async save(full: string, hash: PathHash): Promise<void> {
    const files: Array<{ file: string; sha256: string; size: number }> = [];
    let manifestFile: string | undefined;
    if (hash.manifest !== undefined) {
      for (const [rel, sha256, size] of hash.manifest)
        files.push({ file: join(full, ...rel.split('/')), sha256, size });
      mkdirSync(this.tempDir, { recursive: true });
      manifestFile = join(this.tempDir, `manifest-${randomBytes(6).toString('hex')}`);
      const bytes = manifestBytes(hash.manifest);
      writeFileSync(manifestFile, bytes);
      files.push({
        file: manifestFile,
        sha256: hash.hash.slice(0, -DIR_SUFFIX.length),
        size: bytes.length,
      });
    } else files.push({ file: full, sha256: hash.hash, size: hash.size });
    try {
      for (const [i, store] of this.stores.entries()) {
        if (store.readOnly === true) continue;
        try {
          for (const f of files) {
            if (!(await store.has(f.sha256)))
              await store.put(f.file, { sha256: f.sha256, size: f.size });
          }
        } catch (error) {
          // The local cache (index 0) must work; a remote may fail and be pushed later.
          if (i === 0) throw error;
          this.warn(`could not save to ${store.description}: ${(error as Error).message}`);
        }
      }
    } finally {
      if (manifestFile !== undefined) rmSync(manifestFile, { force: true });
    }
  }

  private async storeWith(
    sha256: string,
    extra: readonly ContentStore[],
  ): Promise<ContentStore | undefined> {
    for (const store of [...this.stores, ...extra]) {
      try {
        if (await store.has(sha256)) return store;
      } catch (error) {
        this.warn(`could not reach ${store.description}: ${(error as Error).message}`);
      }
    }
    return undefined;
  }

  /** A folder's manifest from a store; undefined when no store has it. */
  async manifest(
    hash: string,
    extra: readonly ContentStore[] = [],
  ): Promise<ManifestEntry[] | undefined> {
    const sha = hash.slice(0, -DIR_SUFFIX.length);
    const store = await this.storeWith(sha, extra);
    if (store === undefined) return undefined;
    mkdirSync(this.tempDir, { recursive: true });
    const temp = join(this.tempDir, `manifest-${randomBytes(6).toString('hex')}`);
    try {
      await store.get(sha, temp);
      return JSON.parse(readFileSync(temp, 'utf8')) as ManifestEntry[];
    } finally {
      rmSync(temp, { force: true });
    }
  }

  /** True when every byte of the output with this hash can be restored. */
  async canRestore(
    hash: string,
    options: { manifest?: ManifestEntry[]; extra?: readonly ContentStore[] } = {},
  ): Promise<boolean> {
    const extra = options.extra ?? [];
    if (!isDirHash(hash)) return (await this.storeWith(hash, extra)) !== undefined;
    const manifest = options.manifest ?? (await this.manifest(hash, extra));
    if (manifest === undefined) return false;
    for (const [, sha256] of manifest)
      if ((await this.storeWith(sha256, extra)) === undefined) return false;
    return true;
  }

  /**
   * Writes the output with this hash to `full`, replacing what is there. Throws when a store
   * lacks a piece; `full` is then left as it was.
   */
  async restore(
    full: string,
    hash: string,
    options: { manifest?: ManifestEntry[]; extra?: readonly ContentStore[] } = {},
  ): Promise<void> {
    const extra = options.extra ?? [];
    const temp = `${full}.ghml-${randomBytes(6).toString('hex')}`;
    mkdirSync(dirname(full), { recursive: true });
    try {
      if (isDirHash(hash)) {
        const manifest = options.manifest ?? (await this.manifest(hash, extra));
        if (manifest === undefined) throw new Error(`no store has the folder manifest ${hash}`);
        mkdirSync(temp, { recursive: true });
        for (const [rel, sha256, size] of manifest) {
          checkManifestPath(rel);
          const store = await this.storeWith(sha256, extra);
          if (store === undefined) throw new Error(`no store has ${rel} (${sha256})`);
          await store.get(sha256, join(temp, ...rel.split('/')), { size });
        }
      } else {
        const store = await this.storeWith(hash, extra);
        if (store === undefined) throw new Error(`no store has ${hash}`);
        await store.get(hash, temp);
      }
      rmSync(full, { recursive: true, force: true });
      renameSync(temp, full);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  }
}
