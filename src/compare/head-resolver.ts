/**
 * Finds the head commit whose runs are compared: `--head <rev|run-id>`, else the PR head sha
 * from the event payload, else HEAD. A run id (or a unique prefix of one) pins that one run as
 * the head: its commit is the head commit and only it is compared, as `--base <run-id>` pins
 * the baseline. A full run id is looked up as a run first, a shorter text as a revision first. Never the PR merge commit: on pull_request events actions/checkout
 * checks out `refs/pull/N/merge`, a merge commit nobody trained on. When HEAD is such a merge
 * commit, the result carries a note naming its second parent, which is the PR head.
 */
import type { GitRunner } from '../git/git-runner.js';
import { GhmlError } from '../errors/ghml-error.js';
import type { RunRecord } from '../tracking/run-record.js';
import { CommitHistory, isFullSha } from './commit-history.js';
import { InvalidShaError, UnknownRevisionError } from './compare-errors.js';
import type { RunSource } from './run-source.js';

const RUN_ID_PREFIX = /^[0-9A-HJKMNP-TV-Z]{6,26}$/i;
const FULL_RUN_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/i;

/**
 * A run named by `--base` or `--head`: a full run id is tried as a run before a revision, a
 * unique prefix (6+ characters) after. Undefined when `text` names no run.
 */
export async function findRunArgument(
  runSource: Pick<RunSource, 'findRun'>,
  text: string,
  stage: 'before-rev' | 'after-rev',
): Promise<RunRecord | undefined> {
  const full = FULL_RUN_ID.test(text);
  if (stage === 'before-rev' ? !full : full || !RUN_ID_PREFIX.test(text)) return undefined;
  return runSource.findRun(text.toUpperCase());
}

export interface HeadResolverOptions {
  git: GitRunner;
  /** `--head`: a commit-ish or a run id (or unique prefix). */
  head?: string;
  /** Looks run ids up; without it `--head` is a revision only. */
  runSource?: Pick<RunSource, 'findRun'>;
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
  /** The run `--head` named, when it named a run: the only head run compared. */
  run?: RunRecord;
}

export async function resolveHead(options: HeadResolverOptions): Promise<ResolvedHead> {
  const history = options.history ?? new CommitHistory(options.git, '');
  const none = { mergeSecondParent: null, note: null };
  if (options.head !== undefined) {
    const head = options.head;
    const hint =
      'pass a branch, tag or commit sha that exists in this clone, or the id of a run (see `ghml runs list`)';
    if (head.length === 0 || head.startsWith('-')) {
      throw new UnknownRevisionError('--head', head, hint);
    }
    const pinned = async (stage: 'before-rev' | 'after-rev'): Promise<ResolvedHead | undefined> => {
      if (options.runSource === undefined) return undefined;
      const run = await findRunArgument(options.runSource, head, stage);
      return run && { commit: run.source.commit, source: 'explicit', ...none, run };
    };
    const byId = await pinned('before-rev');
    if (byId !== undefined) return byId;
    const sha = await history.resolveRev(head);
    if (sha !== undefined) return { commit: sha, source: 'explicit', ...none };
    // Runs are looked up by sha on the tracking branch: the object need not be in this clone.
    if (isFullSha(head)) return { commit: head, source: 'explicit', ...none };
    const byPrefix = await pinned('after-rev');
    if (byPrefix !== undefined) return byPrefix;
    throw new UnknownRevisionError('--head', head, hint);
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
