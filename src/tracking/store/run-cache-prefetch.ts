/**
 * In a partial (blobless) clone, the run.json blobs of cache misses are fetched in one
 * request before they are read, as branch-prefetch.ts does for a whole subtree: reading them
 * one by one would make git fetch each lazily. Scoped to the misses, so a warm cache with a
 * few new runs costs a few objects, not a walk of 100,000 runs.
 */
import type { Git } from '../../git/git.js';
import type { ObjectReader } from '../../git/object-reader.js';
import { fetchMissingBlobs } from './branch-prefetch.js';

/** Fetches the missing run.json blobs of the run folders `trees`; returns how many. */
export async function prefetchRunRecords(
  git: Git,
  reader: ObjectReader,
  trees: readonly string[],
): Promise<number> {
  if (trees.length === 0) return 0;
  const promisor = await git.promisorRemote();
  if (promisor === undefined) return 0;
  // Trees are always local in a blobless clone, so this reads without fetching.
  const listings = await Promise.all(trees.map((tree) => reader.readTree(tree)));
  const wanted = new Set<string>();
  for (const entries of listings) {
    for (const entry of entries ?? [])
      if (entry.name === 'run.json' && entry.type === 'blob') wanted.add(entry.oid);
  }
  return fetchMissingBlobs(git, promisor, trees, wanted);
}
