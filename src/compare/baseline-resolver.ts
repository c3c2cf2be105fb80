/**
 * Finds the baseline of an experiment: which commit (and runs) the head runs are compared with.
 *
 * Order of preference:
 * 1. `--base <rev|run-id>`: a run id pins that run as the baseline of its experiment (other
 *    experiments use the run's commit); a rev names a commit.
 * 2. The PR's base sha from the event payload.
 * 3. Otherwise HEAD's first-parent ancestors (distance 1, 2, ...), i.e. the base branch history
 *    when comparing locally or on a push.
 *
 * When the commit from 1 or 2 has no usable run, its first-parent ancestors are searched the
 * same way. A search looks at most `maxWalk` steps back (default 100) with one `rev-list` and
 * ONE batched `commitsWithRuns` call, then reads runs only at the few commits that have some,
 * so its cost never depends on the size of the tracking history.
 *
 * Distances in `{kind: 'ancestor'}` count first-parent steps from where the search started: the
 * `--base` commit, the PR base commit, or HEAD.
 */
import type { BaselineSource } from './comparison-types.js';
import type { RunRecord } from '../tracking/run-record.js';
import type { GitRunner } from '../git/git-runner.js';
import type { RunSource } from './run-source.js';
import { CommitHistory, isFullSha } from './commit-history.js';
import { InvalidShaError, UnknownRevisionError } from './compare-errors.js';
import { findRunArgument } from './head-resolver.js';

/** Default number of first-parent steps searched for a commit with a run. */
export const DEFAULT_MAX_WALK = 100;

/** Commits-with-runs whose runs are read before giving up (they may hold only failed runs). */
const MAX_CANDIDATE_READS = 10;

export interface BaselineResolverOptions {
  git: GitRunner;
  runSource: RunSource;
  /** Remote to deepen a shallow clone from. */
  remote: string;
  /** `--base`: a commit-ish or a run id (or unique run id prefix). */
  base?: string;
  /** The PR base sha from the event payload; must be a full sha. */
  prBaseSha?: string;
  /** First-parent steps searched back at most. Default 100. */
  maxWalk?: number;
  /** Accept FAILED/KILLED/RUNNING runs as baselines. Default false: FINISHED only. */
  includeUnfinished?: boolean;
  /** Shared history walker, so several experiments reuse one `rev-list` and fetch. */
  history?: CommitHistory;
}

/** The baseline of one experiment. */
export interface ResolvedBaseline {
  source: BaselineSource;
  /** The commit the baseline runs trained on; null when there is none. */
  commit: string | null;
  /** Usable runs of the experiment at `commit` (all matrix keys); empty when none. */
  runs: RunRecord[];
  /** True when `--base` named a run: every head matrix key is compared with that one run. */
  pinned: boolean;
}

type ExplicitBase = { kind: 'run'; run: RunRecord } | { kind: 'commit'; sha: string };

interface Found {
  commit: string;
  distance: number;
  runs: RunRecord[];
}

/** Resolves baselines for the experiments of one comparison; caches the git work. */
export class BaselineResolver {
  private readonly history: CommitHistory;
  private readonly maxWalk: number;
  private explicit: Promise<ExplicitBase> | undefined;

  constructor(private readonly options: BaselineResolverOptions) {
    this.history = options.history ?? new CommitHistory(options.git, options.remote);
    this.maxWalk = Math.max(1, Math.floor(options.maxWalk ?? DEFAULT_MAX_WALK));
    if (options.prBaseSha !== undefined && !isFullSha(options.prBaseSha)) {
      throw new InvalidShaError('PR base sha', options.prBaseSha);
    }
  }

  /** Throws UnknownRevisionError early when `--base` names nothing. */
  async validate(): Promise<void> {
    if (this.options.base !== undefined) await this.explicitBase(this.options.base);
  }

  /** The baseline of `experiment` for runs at `headCommit`. */
  async resolve(experiment: string, headCommit: string): Promise<ResolvedBaseline> {
    const { base, prBaseSha } = this.options;
    if (base !== undefined) {
      const explicit = await this.explicitBase(base);
      if (explicit.kind === 'run' && explicit.run.experiment === experiment) {
        return {
          source: { kind: 'explicit', ref: base },
          commit: explicit.run.source.commit,
          runs: [explicit.run],
          pinned: true,
        };
      }
      const sha = explicit.kind === 'run' ? explicit.run.source.commit : explicit.sha;
      return this.search(experiment, sha, 0, `--base '${base}' (${sha.slice(0, 7)})`, (found) =>
        found.distance === 0
          ? { kind: 'explicit', ref: base }
          : { kind: 'ancestor', sha: found.commit, distance: found.distance },
      );
    }
    if (prBaseSha !== undefined) {
      return this.search(experiment, prBaseSha, 0, `PR base ${prBaseSha.slice(0, 7)}`, (found) =>
        found.distance === 0
          ? { kind: 'pr-base', sha: found.commit }
          : { kind: 'ancestor', sha: found.commit, distance: found.distance },
      );
    }
    return this.search(experiment, headCommit, 1, `head ${headCommit.slice(0, 7)}`, (found) => ({
      kind: 'ancestor',
      sha: found.commit,
      distance: found.distance,
    }));
  }

  private explicitBase(base: string): Promise<ExplicitBase> {
    this.explicit ??= this.lookUpExplicit(base);
    return this.explicit;
  }

  /** Run ids (ULIDs) are upper case; a user may type them in lower case. */
  private async lookUpExplicit(base: string): Promise<ExplicitBase> {
    const hint =
      'pass a branch, tag or commit sha that exists in this clone, or the id of a run (see `ghml runs list`)';
    if (base.length === 0 || base.startsWith('-')) {
      throw new UnknownRevisionError('--base', base, hint);
    }
    const byId = await findRunArgument(this.options.runSource, base, 'before-rev');
    if (byId) return { kind: 'run', run: byId };
    const sha = await this.history.resolveRev(base);
    if (sha !== undefined) return { kind: 'commit', sha };
    // A full sha missing from a shallow clone: the history walk fetches it.
    if (isFullSha(base)) return { kind: 'commit', sha: base };
    const byPrefix = await findRunArgument(this.options.runSource, base, 'after-rev');
    if (byPrefix) return { kind: 'run', run: byPrefix };
    throw new UnknownRevisionError('--base', base, hint);
  }

  /**
   * Searches `start` and its first-parent ancestors from `fromDistance` up to `maxWalk` steps
   * back for the nearest commit with a usable run of `experiment`.
   */
  private async search(
    experiment: string,
    start: string,
    fromDistance: number,
    label: string,
    describe: (found: Found) => BaselineSource,
  ): Promise<ResolvedBaseline> {
    const walk = await this.history.firstParents(start, this.maxWalk + 1);
    const none = (reason: string): ResolvedBaseline => ({
      source: { kind: 'none', reason },
      commit: null,
      runs: [],
      pinned: false,
    });
    if (walk.unreachable !== null) return none(`${label}: ${walk.unreachable}`);

    const candidates = walk.commits.slice(fromDistance);
    const withRuns =
      candidates.length === 0
        ? new Set<string>()
        : await this.options.runSource.commitsWithRuns(candidates, experiment);
    let reads = 0;
    let skippedUnfinished = 0;
    for (let distance = fromDistance; distance < walk.commits.length; distance++) {
      const commit = walk.commits[distance];
      if (commit === undefined || !withRuns.has(commit)) continue;
      if (reads++ >= MAX_CANDIDATE_READS) break;
      const runs = (await this.options.runSource.runsAtCommit(commit, experiment)).filter(
        (run) => run.experiment === experiment,
      );
      const usable = this.options.includeUnfinished
        ? runs
        : runs.filter((run) => run.status === 'FINISHED');
      if (usable.length > 0) {
        const found = { commit, distance, runs: usable };
        return { source: describe(found), commit, runs: usable, pinned: false };
      }
      if (runs.length > 0) skippedUnfinished++;
    }

    const scope =
      fromDistance === 0
        ? `at ${label} or its first-parent ancestors`
        : `in the first-parent ancestors of ${label}`;
    const notes: string[] = [];
    const searched = Math.max(0, walk.commits.length - 1);
    if (walk.truncated) {
      notes.push(`this clone's history ends ${searched} commits back; fetch more history`);
    } else if (walk.commits.length < this.maxWalk + 1) {
      notes.push(`history ends ${searched} commits back`);
    } else {
      notes.push(`searched ${this.maxWalk} commits back`);
    }
    if (skippedUnfinished > 0) {
      notes.push(`${skippedUnfinished} commit(s) had only unfinished runs`);
    }
    if (walk.tried.length > 0) notes.push(`tried ${walk.tried.join('; ')}`);
    return none(`no run of '${experiment}' ${scope} (${notes.join('; ')})`);
  }
}
