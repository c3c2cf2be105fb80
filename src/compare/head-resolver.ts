/**
 * Finds the head commit whose runs are compared: `--head <rev>`, else the PR head sha from the
 * event payload, else HEAD. Never the PR merge commit: on pull_request events actions/checkout
 * checks out `refs/pull/N/merge`, a merge commit nobody trained on. When HEAD is such a merge
 * commit, the result carries a note naming its second parent, which is the PR head.
 */
import type { GitRunner } from '../git/git-runner.js';
import { GhmlError } from '../errors/ghml-error.js';
import { CommitHistory, isFullSha } from './commit-history.js';
import { InvalidShaError, UnknownRevisionError } from './compare-errors.js';

export interface HeadResolverOptions {
  git: GitRunner;
  /** `--head`: a commit-ish. */
  head?: string;
  /** The PR head sha from the event payload; must be a full sha. */
  prHeadSha?: string;
  history?: CommitHistory;
}

export interface ResolvedHead {
  commit: string;
  /** Where the commit came from. */
  source: 'explicit' | 'pr-head' | 'HEAD';
  /** Second parent of HEAD when HEAD is a merge commit (most likely the PR head); else null. */
  mergeSecondParent: string | null;
  /** A sentence for the user when HEAD is a merge commit; else null. */
  note: string | null;
}

export async function resolveHead(options: HeadResolverOptions): Promise<ResolvedHead> {
  const history = options.history ?? new CommitHistory(options.git, '');
  const none = { mergeSecondParent: null, note: null };
  if (options.head !== undefined) {
    const sha = await history.resolveRev(options.head);
    if (sha !== undefined) return { commit: sha, source: 'explicit', ...none };
    // Runs are looked up by sha on the tracking branch: the object need not be in this clone.
    if (isFullSha(options.head)) return { commit: options.head, source: 'explicit', ...none };
    throw new UnknownRevisionError(
      '--head',
      options.head,
      'pass a branch, tag or commit sha that exists in this clone',
    );
  }
  if (options.prHeadSha !== undefined) {
    if (!isFullSha(options.prHeadSha)) throw new InvalidShaError('PR head sha', options.prHeadSha);
    return { commit: options.prHeadSha, source: 'pr-head', ...none };
  }
  const sha = await history.resolveRev('HEAD');
  if (sha === undefined) {
    throw new GhmlError('HEAD does not name a commit: this repository has no commits yet', {
      hint: 'commit your code first, or pass --head <rev>',
    });
  }
  const parents = (await history.recordedParents(sha)) ?? [];
  const second = parents.length >= 2 ? (parents[1] ?? null) : null;
  if (second === null) return { commit: sha, source: 'HEAD', ...none };
  return {
    commit: sha,
    source: 'HEAD',
    mergeSecondParent: second,
    note:
      `HEAD ${sha.slice(0, 7)} is a merge commit (actions/checkout checks out refs/pull/N/merge ` +
      `on pull requests); runs are recorded at the PR head, probably its second parent ` +
      `${second.slice(0, 7)}: pass --head ${second} or the PR head sha`,
  };
}
