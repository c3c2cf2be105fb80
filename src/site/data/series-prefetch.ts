/**
 * In a partial (blobless, often depth-1) clone, what a build reads of the runs whose series it
 * includes is fetched in TWO requests first; read one by one, git would fetch each object
 * lazily, a round trip per run. First the run folder trees: a sealed run's folder is no longer
 * in the tip tree (format 2), so a depth-1 clone lacks it. Then their series blobs
 * (metrics*.jsonl) that are still missing. A no-op in a full clone.
 */
import type { Git } from '../../git/git.js';
import { fetchMissingBlobs } from '../../tracking/store/branch-prefetch.js';
import type { RunLocation } from '../../tracking/store/tracking-store.js';

/** A run folder's series files: metrics.jsonl, then metrics-1.jsonl … for long series. */
const SERIES_FILE = /^metrics(-[0-9]+)?\.jsonl$/;

/** Fetches the run folder trees and the missing series blobs of `runs`; returns the blob count. */
export async function prefetchSeries(git: Git, runs: readonly RunLocation[]): Promise<number> {
  if (runs.length === 0) return 0;
  const promisor = await git.promisorRemote();
  if (promisor === undefined) return 0;
  const trees = [...new Set(runs.map((run) => run.tree))];
  // Asking for a tree the clone has costs a few bytes; probing each first would fetch it anyway.
  await git.exec(
    [
      '-c',
      'fetch.negotiationAlgorithm=noop',
      'fetch',
      promisor,
      '--no-tags',
      '--no-write-fetch-head',
      '--recurse-submodules=no',
      '--filter=blob:none',
      '--stdin',
    ],
    { input: `${trees.join('\n')}\n` },
  );
  const reader = git.openObjectReader();
  let listings;
  try {
    listings = await Promise.all(trees.map((tree) => reader.readTree(tree)));
  } finally {
    await reader.close();
  }
  const wanted = new Set<string>();
  for (const entries of listings)
    for (const entry of entries ?? [])
      if (SERIES_FILE.test(entry.name) && entry.type === 'blob') wanted.add(entry.oid);
  return fetchMissingBlobs(git, promisor, trees, wanted);
}
