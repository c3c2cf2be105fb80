/**
 * Reads many small blobs of the tracking branch at once: in a partial (blobless) clone the
 * ones missing locally are fetched first in ONE request (reading them one by one would make
 * git fetch each lazily, one round trip per blob), then all are read through the caller's
 * `cat-file --batch` process. Also keeps decoded segment files, which never change, for the
 * life of the process.
 */
import type { Git } from '../../git/git.js';
import type { ObjectReader } from '../../git/object-reader.js';
import { fetchMissingBlobs } from './branch-prefetch.js';

/**
 * Makes the blobs `oids`, reachable from the trees `roots`, present locally (one fetch in a
 * partial clone, nothing otherwise). Returns how many were fetched.
 */
export async function prefetchBlobs(
  git: Git,
  roots: readonly string[],
  oids: readonly string[],
): Promise<number> {
  if (oids.length === 0) return 0;
  const promisor = await git.promisorRemote();
  if (promisor === undefined) return 0;
  return fetchMissingBlobs(git, promisor, roots, new Set(oids));
}

/** Reads blobs by oid (after `prefetchBlobs`); a missing blob gives undefined. */
export async function readBlobs(
  reader: ObjectReader,
  oids: readonly string[],
): Promise<Array<Buffer | undefined>> {
  return Promise.all(oids.map((oid) => reader.read(oid)));
}

/** A bounded memo of values decoded from immutable blobs, keyed by blob oid. */
export class DecodedBlobMemo<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly capacity: number) {}

  get(oid: string): T | undefined {
    const value = this.entries.get(oid);
    if (value !== undefined) {
      this.entries.delete(oid);
      this.entries.set(oid, value);
    }
    return value;
  }

  set(oid: string, value: T): void {
    this.entries.delete(oid);
    this.entries.set(oid, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
