/**
 * The refs of the tracking branch, and which one to read or build on.
 *
 * Rule for choosing between the local branch `refs/heads/<branch>` and the remote-tracking
 * ref `refs/remotes/<remote>/<branch>` (the "preferred tip"):
 * - only one exists: that one;
 * - equal, or one is an ancestor of the other: the descendant (it holds every run the other does);
 * - diverged (local runs not pushed yet while the remote moved on): the local branch, because
 *   it holds this machine's unpushed runs and `ghml push` will merge both. Readers that must
 *   see the remote runs too call `fetch` + `push` first.
 * In a shallow repository ancestry may be unknowable; then they count as diverged.
 */
import type { Git } from '../../git/git.js';
import { InvalidNameError } from '../tracking-errors.js';

/** The names and refs of one tracking branch on one remote. */
export interface TrackingRefs {
  /** Branch name, e.g. 'ghml/runs'. */
  branch: string;
  /** Remote name, e.g. 'origin'. */
  remote: string;
  /** `refs/heads/<branch>`. */
  local: string;
  /** `refs/remotes/<remote>/<branch>`. */
  remoteTracking: string;
  /** `refs/ghml/inbox/<branch>/`: where writers deliver entries on the remote (format 2). */
  inboxPrefix: string;
  /** `refs/ghml/remotes/<remote>/inbox/<branch>/`: the local mirror of the remote's inbox. */
  inboxMirrorPrefix: string;
}

/** The two refs as they are now; undefined when a ref does not exist. */
export interface RefState {
  local: string | undefined;
  remoteTracking: string | undefined;
}

/** The commit to read from or build on, and which ref it came from. */
export interface PreferredTip {
  ref: string;
  oid: string;
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function validRefPart(name: string, allowSlash: boolean): boolean {
  const segments = name.split('/');
  if (!allowSlash && segments.length > 1) return false;
  return segments.every(
    (s) => SEGMENT.test(s) && !s.endsWith('.lock') && !s.includes('..') && !s.endsWith('.'),
  );
}

/** Builds the refs for `branch` on `remote`; throws InvalidNameError for unsafe names. */
export function trackingRefs(branch: string, remote: string): TrackingRefs {
  if (!validRefPart(branch, true)) {
    throw new InvalidNameError(
      'tracking branch',
      branch,
      "is made of '/'-separated parts of letters, digits, '.', '_' or '-'",
    );
  }
  if (!validRefPart(remote, false)) {
    throw new InvalidNameError('remote name', remote, "has only letters, digits, '.', '_' or '-'");
  }
  return {
    branch,
    remote,
    local: `refs/heads/${branch}`,
    remoteTracking: `refs/remotes/${remote}/${branch}`,
    inboxPrefix: `refs/ghml/inbox/${branch}/`,
    inboxMirrorPrefix: `refs/ghml/remotes/${remote}/inbox/${branch}/`,
  };
}

/** Reads both refs with one for-each-ref call. */
export async function readRefState(git: Git, refs: TrackingRefs): Promise<RefState> {
  const rows = await git.forEachRef([refs.local, refs.remoteTracking], ['refname', 'objectname']);
  const find = (name: string): string | undefined =>
    rows.find((row) => row['refname'] === name)?.['objectname'];
  return { local: find(refs.local), remoteTracking: find(refs.remoteTracking) };
}

/** Applies the rule in this file's header comment. */
export async function preferredTip(
  git: Git,
  refs: TrackingRefs,
  state: RefState,
): Promise<PreferredTip | undefined> {
  const { local, remoteTracking } = state;
  if (local === undefined) {
    return remoteTracking === undefined
      ? undefined
      : { ref: refs.remoteTracking, oid: remoteTracking };
  }
  if (remoteTracking === undefined || remoteTracking === local)
    return { ref: refs.local, oid: local };
  if (await git.isAncestor(local, remoteTracking)) {
    return { ref: refs.remoteTracking, oid: remoteTracking };
  }
  return { ref: refs.local, oid: local };
}
