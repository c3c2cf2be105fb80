/**
 * Batch download of blobs a partial clone lacks. Reading them one by one through cat-file
 * would make git fetch each lazily (one round trip per run); instead the missing ones are
 * found with `rev-list --missing=print` (which never fetches) and fetched in one request,
 * the way git's own promisor prefetch does.
 */
import type { Git } from '../../git/git.js';
import { parseLsTree } from '../../git/tree-entry.js';

/**
 * Fetches from `promisor`, in one request, the blobs of `wanted` that are missing locally
 * among the objects reachable from the trees `roots`; returns how many were fetched.
 */
export async function fetchMissingBlobs(
  git: Git,
  promisor: string,
  roots: readonly string[],
  wanted: ReadonlySet<string>,
): Promise<number> {
  if (roots.length === 0 || wanted.size === 0) return 0;
  const walk = await git.exec(['rev-list', '--objects', '--missing=print', '--stdin'], {
    input: `${roots.join('\n')}\n`,
  });
  const missing: string[] = [];
  for (const line of walk.split('\n')) {
    const oid = line.startsWith('?') ? line.slice(1).trim() : '';
    if (wanted.has(oid)) missing.push(oid);
  }
  if (missing.length === 0) return 0;
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
    { input: `${missing.join('\n')}\n` },
  );
  return missing.length;
}

/** Fetches the blobs under `tree` whose path matches `wanted` and that are missing locally. */
export async function prefetchMissingBlobs(
  git: Git,
  tree: string,
  wanted: (path: string) => boolean,
): Promise<number> {
  const promisor = await git.promisorRemote();
  if (promisor === undefined) return 0;
  const listing = await git.exec(['ls-tree', '-r', '-z', '--end-of-options', tree]);
  const wantedOids = new Set(
    parseLsTree(listing)
      .filter((entry) => entry.type === 'blob' && wanted(entry.name))
      .map((entry) => entry.oid),
  );
  return fetchMissingBlobs(git, promisor, [tree], wantedOids);
}
