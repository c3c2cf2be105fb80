/**
 * Fetches the tracking branch tip into `refs/remotes/<remote>/<branch>` and the remote's
 * inbox into `refs/ghml/remotes/<remote>/inbox/<branch>/*`, pruning inbox entries that were
 * folded (docs/storage-format.md). One fetch, one round trip.
 *
 * - Shallow repository (CI: actions/checkout depth 1): `--depth=1 --filter=blob:none`. Only
 *   the tip commit and its trees arrive; blobs are read lazily, or in one batch for listings.
 *   Servers without filter support ignore the filter (git warns) and send the blobs.
 * - Full clone (a laptop): a plain fetch. Passing --depth would make the user's repository
 *   shallow, which changes how their own history commands behave. A partial clone keeps its
 *   own filter.
 */
import type { FetchOptions, Git } from '../../git/git.js';
import { GitCommandError } from '../../git/git-errors.js';
import type { TrackingRefs } from './tracking-refs.js';

const NO_REMOTE_BRANCH = /couldn't find remote ref/i;

function inboxRefspec(refs: TrackingRefs): string {
  return `+${refs.inboxPrefix}*:${refs.inboxMirrorPrefix}*`;
}

/**
 * Fetches the tip and the inbox. Returns false when the remote has no such branch (and then
 * drops a stale remote-tracking ref, so the next push knows it creates the branch). Throws
 * GitCommandError when the remote cannot be reached.
 */
export async function fetchTrackingBranch(git: Git, refs: TrackingRefs): Promise<boolean> {
  const options: FetchOptions = { prune: true };
  if (await git.isShallow()) Object.assign(options, { depth: 1, filter: 'blob:none' });
  const refspecs = [`+${refs.local}:${refs.remoteTracking}`, inboxRefspec(refs)];
  const result = await git.fetch(refs.remote, refspecs, options);
  if (result.ok) return true;
  if (NO_REMOTE_BRANCH.test(result.stderr)) {
    await git.tryExec(['update-ref', '-d', refs.remoteTracking]);
    // Writers may have delivered to the inbox before anyone created the branch.
    const second = await git.fetch(refs.remote, [inboxRefspec(refs)], options);
    if (!second.ok) throw unreachable(refs, second.stderr);
    return false;
  }
  throw unreachable(refs, result.stderr);
}

function unreachable(refs: TrackingRefs, stderr: string): GitCommandError {
  return new GitCommandError(['fetch', refs.remote], 128, stderr, {
    hint: `check that the remote '${refs.remote}' exists and is reachable (git remote -v)`,
  });
}
