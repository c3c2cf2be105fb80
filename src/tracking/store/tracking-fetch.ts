/**
 * Fetches only the tracking branch tip into `refs/remotes/<remote>/<branch>`.
 *
 * - Shallow repository (CI: actions/checkout depth 1): `--depth=1 --filter=blob:none`. Only
 *   the tip commit and its trees arrive; blobs are read lazily, or in one batch for listings.
 *   Servers without filter support ignore the filter (git warns) and send the blobs.
 * - Full clone (a laptop): a plain fetch of that one ref. Passing --depth would make the
 *   user's repository shallow, which changes how their own history commands behave; the
 *   tracking branch is small (a few KB per run) and later fetches are incremental, so the
 *   full history costs little. A partial clone keeps its own filter.
 */
import type { Git } from '../../git/git.js';
import { GitCommandError } from '../../git/git-errors.js';
import type { TrackingRefs } from './tracking-refs.js';

const NO_REMOTE_BRANCH = /couldn't find remote ref/i;

/**
 * Fetches the tip. Returns false when the remote has no such branch (and then drops a stale
 * remote-tracking ref, so the next push knows it creates the branch). Throws
 * GitCommandError when the remote cannot be reached.
 */
export async function fetchTrackingBranch(git: Git, refs: TrackingRefs): Promise<boolean> {
  const args = [
    'fetch',
    '--no-tags',
    '--no-write-fetch-head',
    '--recurse-submodules=no',
    '--quiet',
  ];
  if (await git.isShallow()) args.push('--depth=1', '--filter=blob:none');
  args.push(refs.remote, `+${refs.local}:${refs.remoteTracking}`);
  const result = await git.tryExec(args);
  if (result.exitCode === 0) return true;
  if (NO_REMOTE_BRANCH.test(result.stderr)) {
    await git.tryExec(['update-ref', '-d', refs.remoteTracking]);
    return false;
  }
  throw new GitCommandError(args, result.exitCode, result.stderr, {
    hint: `check that the remote '${refs.remote}' exists and is reachable (git remote -v)`,
  });
}
