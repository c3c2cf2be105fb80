/**
 * In a partial (blobless) clone, the series blobs (metrics*.jsonl) of the runs a build reads are fetched
 * in ONE request first; read one by one, git would fetch each lazily (a round trip per run).
 * Trees are local in a blobless clone, so finding the blobs fetches nothing. A no-op in a full
 * clone, and for run folders without a metrics.jsonl.
 */
import type { Git } from '../git/git.js';
import { fetchMissingBlobs } from '../tracking/store/branch-prefetch.js';
import type { RunLocation } from '../tracking/store/tracking-store.js';

/** A run folder's series files: metrics.jsonl, then metrics-1.jsonl … for long series. */
const SERIES_FILE = /^metrics(-[0-9]+)?\.jsonl$/;

/** Fetches the missing series blobs of `runs`; returns how many were fetched. */
export async function prefetchSeries(git: Git, runs: readonly RunLocation[]): Promise<number> {
  if (runs.length === 0) return 0;
  const promisor = await git.promisorRemote();
  if (promisor === undefined) return 0;
  const reader = git.openObjectReader();
  let listings;
  try {
    listings = await Promise.all(runs.map((run) => reader.readTree(run.tree)));
  } finally {
    await reader.close();
  }
  const wanted = new Set<string>();
  for (const entries of listings)
    for (const entry of entries ?? [])
      if (SERIES_FILE.test(entry.name) && entry.type === 'blob') wanted.add(entry.oid);
  return fetchMissingBlobs(
    git,
    promisor,
    runs.map((run) => run.tree),
    wanted,
  );
}
