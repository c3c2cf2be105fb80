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
import type { Git } from '../../git/git.js';
import { GitCommandError } from '../../git/git-errors.js';
import type { TrackingRefs } from './tracking-refs.js';

const NO_REMOTE_BRANCH = /couldn't find remote ref/i;

function fetchArgs(shallow: boolean): string[] {
  const args = [
    'fetch',
    '--no-tags',
    '--no-write-fetch-head',
    '--recurse-submodules=no',
    '--quiet',
    '--prune',
  ];
  if (shallow) args.push('--depth=1', '--filter=blob:none');
  return args;
}

function inboxRefspec(refs: TrackingRefs): string {
  return `+${refs.inboxPrefix}*:${refs.inboxMirrorPrefix}*`;
}

/**
 * Fetches the tip and the inbox. Returns false when the remote has no such branch (and then
 * drops a stale remote-tracking ref, so the next push knows it creates the branch). Throws
 * GitCommandError when the remote cannot be reached.
 */
export async function fetchTrackingBranch(git: Git, refs: TrackingRefs): Promise<boolean> {
  const shallow = await git.isShallow();
  const args = [
    ...fetchArgs(shallow),
    refs.remote,
    `+${refs.local}:${refs.remoteTracking}`,
    inboxRefspec(refs),
  ];
  const result = await git.tryExec(args);
  if (result.exitCode === 0) return true;
  if (NO_REMOTE_BRANCH.test(result.stderr)) {
    await git.tryExec(['update-ref', '-d', refs.remoteTracking]);
    // Writers may have delivered to the inbox before anyone created the branch.
    const inbox = [...fetchArgs(shallow), refs.remote, inboxRefspec(refs)];
    const second = await git.tryExec(inbox);
    if (second.exitCode !== 0) {
      throw new GitCommandError(inbox, second.exitCode, second.stderr, {
        hint: `check that the remote '${refs.remote}' exists and is reachable (git remote -v)`,
      });
    }
    return false;
  }
  throw new GitCommandError(args, result.exitCode, result.stderr, {
    hint: `check that the remote '${refs.remote}' exists and is reachable (git remote -v)`,
  });
}
