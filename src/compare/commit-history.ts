/**
 * First-parent history for baseline resolution, made available on demand: a depth-1 CI clone
 * (actions/checkout) lacks the base commit and its ancestors, so the missing part is fetched by
 * sha (`git fetch --no-tags --depth=N <remote> <sha>`, which GitHub serves) before walking.
 * Cost: one `rev-list` per start commit, plus at most one fetch when history is missing.
 */
import type { GitRunner } from '../git/git-runner.js';

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** True for a full lowercase hex commit sha (SHA-1 or SHA-256). */
export function isFullSha(value: string): boolean {
  return FULL_SHA.test(value);
}

/** The start commit and its first-parent ancestors, nearest first. */
export interface FirstParentWalk {
  /** `commits[i]` is `i` first-parent steps from the start; `commits[0]` is the start. */
  commits: string[];
  /** What was done to make history available (e.g. the fetch command), for messages. */
  tried: string[];
  /** Why the start commit could not be obtained at all; `commits` is then empty. */
  unreachable: string | null;
  /** True when the walk stopped early because this clone's history is cut (shallow). */
  truncated: boolean;
}

/** Walks first-parent history, deepening a shallow clone when needed. Caches per start. */
export class CommitHistory {
  private shallow: Promise<boolean> | undefined;
  private readonly walks = new Map<string, Promise<FirstParentWalk>>();

  constructor(
    private readonly git: GitRunner,
    private readonly remote: string,
  ) {}

  /** The commit `rev` names locally, or undefined. `rev` must not look like an option. */
  async resolveRev(rev: string): Promise<string | undefined> {
    if (rev.length === 0 || rev.startsWith('-')) return undefined;
    const result = await this.git.tryExec([
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${rev}^{commit}`,
    ]);
    const sha = result.stdout.trim();
    return result.exitCode === 0 && isFullSha(sha) ? sha : undefined;
  }

  /**
   * Parents recorded in the commit object itself. Unlike `rev-list --parents` this still lists
   * them at a shallow boundary, which is how a cut history is told apart from a root commit.
   */
  async recordedParents(sha: string): Promise<string[] | undefined> {
    const result = await this.git.tryExec(['cat-file', 'commit', sha]);
    if (result.exitCode !== 0) return undefined;
    const header = result.stdout.split('\n\n', 1)[0] ?? '';
    return header
      .split('\n')
      .filter((line) => line.startsWith('parent '))
      .map((line) => line.slice('parent '.length).trim());
  }

  /**
   * `start` (a full sha) and up to `count - 1` first-parent ancestors. Fetches from the
   * remote when `start` is missing or when a shallow clone cuts the walk short.
   */
  firstParents(start: string, count: number): Promise<FirstParentWalk> {
    const key = `${start}:${count}`;
    let walk = this.walks.get(key);
    if (!walk) {
      walk = this.walk(start, count);
      this.walks.set(key, walk);
    }
    return walk;
  }

  private async walk(start: string, count: number): Promise<FirstParentWalk> {
    const tried: string[] = [];
    if (!(await this.hasCommit(start))) {
      const fetched = await this.fetchCommit(start, count, tried);
      if (!fetched || !(await this.hasCommit(start))) {
        return {
          commits: [],
          tried,
          unreachable: `commit ${start.slice(0, 7)} is not in this clone and could not be fetched (tried: ${tried.join('; ')})`,
          truncated: false,
        };
      }
    }
    let commits = await this.revList(start, count);
    let truncated = await this.isCut(commits, count);
    if (truncated && tried.length === 0) {
      await this.fetchCommit(start, count, tried);
      commits = await this.revList(start, count);
      truncated = await this.isCut(commits, count);
    }
    return { commits, tried, unreachable: null, truncated };
  }

  private async hasCommit(sha: string): Promise<boolean> {
    const result = await this.git.tryExec(['cat-file', '-e', `${sha}^{commit}`]);
    return result.exitCode === 0;
  }

  private async revList(start: string, count: number): Promise<string[]> {
    const out = await this.git.exec([
      'rev-list',
      '--first-parent',
      `--max-count=${count}`,
      start,
      '--',
    ]);
    return out.split('\n').filter((line) => line.length > 0);
  }

  /** The walk ended before `count` commits although the last one has a parent: a cut clone. */
  private async isCut(commits: readonly string[], count: number): Promise<boolean> {
    const last = commits[commits.length - 1];
    if (last === undefined || commits.length >= count) return false;
    const parents = await this.recordedParents(last);
    return parents !== undefined && parents.length > 0;
  }

  private isShallow(): Promise<boolean> {
    this.shallow ??= this.git
      .tryExec(['rev-parse', '--is-shallow-repository'])
      .then((r) => r.exitCode === 0 && r.stdout.trim() === 'true');
    return this.shallow;
  }

  /** Fetches `sha` with `depth` commits of history (no `--depth` on a full clone: that would make it shallow). */
  private async fetchCommit(sha: string, depth: number, tried: string[]): Promise<boolean> {
    if (this.remote.length === 0 || this.remote.startsWith('-')) {
      tried.push(`no usable remote '${this.remote}' to fetch from`);
      return false;
    }
    const shallow = await this.isShallow();
    const args = ['fetch', '--quiet', '--no-tags'];
    if (shallow) args.push(`--depth=${depth}`);
    args.push(this.remote, sha);
    const result = await this.git.tryExec(args);
    const command = `git ${args.join(' ')}`;
    if (result.exitCode !== 0) {
      const reason = result.stderr.trim().split('\n')[0] ?? `exit ${result.exitCode}`;
      tried.push(`\`${command}\` failed: ${reason}`);
      return false;
    }
    tried.push(`\`${command}\``);
    return true;
  }
}
