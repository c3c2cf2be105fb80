/**
 * The emulator's in-memory GitHub: users, commits and refs, pull requests, issue comments,
 * commit statuses, releases with assets, deployments with statuses. Tests seed it directly
 * (`addPullRequest`, `addIssueComment` from other users…) and read it to assert outcomes.
 * Routes turn these plain records into GitHub's JSON objects.
 *
 * Every repository exists implicitly. Owner and repository names are matched
 * case-insensitively, as on GitHub. Ids of different kinds start in different ranges so a
 * client that confuses, say, a release id with an asset id gets a 404 instead of a lucky hit.
 */
import { randomBytes } from 'node:crypto';

/** A GitHub account; `Bot` accounts are apps such as `github-actions[bot]`. */
export interface UserRecord {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

/** Identifies a repository and, for comments, an issue or pull request in it. */
export interface RepoKey {
  owner: string;
  repo: string;
}

export interface CommitRecord extends RepoKey {
  sha: string;
  parents: string[];
  message: string;
  date: string;
}

export interface PullRequestRecord extends RepoKey {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  draft: boolean;
  user: UserRecord;
  /** `repo` is `owner/name` of the repository the branch lives in (a fork for fork PRs). */
  head: { sha: string; ref: string; repo: string };
  base: { sha: string; ref: string; repo: string };
  createdAt: string;
  updatedAt: string;
}

export interface IssueCommentRecord extends RepoKey {
  id: number;
  issueNumber: number;
  body: string;
  user: UserRecord;
  createdAt: string;
  updatedAt: string;
}

export interface CommitStatusRecord extends RepoKey {
  id: number;
  sha: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: UserRecord;
  createdAt: string;
  updatedAt: string;
}

export interface ReleaseRecord extends RepoKey {
  id: number;
  tagName: string;
  targetCommitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  author: UserRecord;
  createdAt: string;
  publishedAt: string | null;
  updatedAt: string;
}

export interface ReleaseAssetRecord extends RepoKey {
  id: number;
  releaseId: number;
  name: string;
  label: string | null;
  contentType: string;
  data: Buffer;
  state: 'uploaded' | 'open';
  downloadCount: number;
  uploader: UserRecord;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentRecord extends RepoKey {
  id: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  originalEnvironment: string;
  description: string | null;
  payload: Record<string, unknown> | string;
  transientEnvironment: boolean;
  productionEnvironment: boolean;
  creator: UserRecord;
  createdAt: string;
  updatedAt: string;
}

export type DeploymentState =
  'error' | 'failure' | 'inactive' | 'pending' | 'success' | 'queued' | 'in_progress';

export interface DeploymentStatusRecord extends RepoKey {
  id: number;
  deploymentId: number;
  state: DeploymentState;
  description: string;
  environment: string;
  targetUrl: string;
  logUrl: string;
  environmentUrl: string;
  creator: UserRecord;
  createdAt: string;
  updatedAt: string;
}

/** Seed input for {@link EmulatorState.addPullRequest}. */
export interface PullRequestSeed extends RepoKey {
  number: number;
  head: { sha: string; ref: string; repo?: string };
  base: { sha: string; ref: string; repo?: string };
  title?: string;
  body?: string | null;
  state?: 'open' | 'closed';
  draft?: boolean;
  /** Login of the PR author; defaults to `octocat`. */
  author?: string;
}

const ID_BASE = {
  user: 100_000,
  repository: 200_000,
  pull: 1_000_000,
  comment: 2_000_000,
  status: 3_000_000,
  release: 4_000_000,
  asset: 5_000_000,
  deployment: 6_000_000,
  deploymentStatus: 7_000_000,
} as const;

/** A random 40-hex commit id, for seeding. */
export function fakeSha(): string {
  return randomBytes(20).toString('hex');
}

const keyOf = ({ owner, repo }: RepoKey): string => `${owner}/${repo}`.toLowerCase();
const sameRepo = (a: RepoKey, b: RepoKey): boolean => keyOf(a) === keyOf(b);

export class EmulatorState {
  private readonly counters = new Map<string, number>();
  private readonly users = new Map<string, UserRecord>();
  private readonly repositoryIds = new Map<string, number>();
  private readonly commitsBySha = new Map<string, CommitRecord>();
  private readonly refs = new Map<string, string>();
  readonly pullRequests: PullRequestRecord[] = [];
  readonly issueComments: IssueCommentRecord[] = [];
  readonly commitStatuses: CommitStatusRecord[] = [];
  readonly releases: ReleaseRecord[] = [];
  readonly releaseAssets: ReleaseAssetRecord[] = [];
  readonly deployments: DeploymentRecord[] = [];
  readonly deploymentStatuses: DeploymentStatusRecord[] = [];

  constructor(private readonly clock: () => Date = () => new Date()) {}

  /** A new id of the given kind; ids only grow, so a lower id means an older object. */
  nextId(kind: keyof typeof ID_BASE): number {
    const next = (this.counters.get(kind) ?? ID_BASE[kind]) + 1;
    this.counters.set(kind, next);
    return next;
  }

  /** The current time as GitHub prints it (whole seconds, UTC). */
  now(): string {
    return this.clock()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }

  /** The account with this login, created on first use. */
  user(login: string, type: 'User' | 'Bot' = login.endsWith('[bot]') ? 'Bot' : 'User'): UserRecord {
    let user = this.users.get(login.toLowerCase());
    if (user === undefined) {
      user = { login, id: this.nextId('user'), type };
      this.users.set(login.toLowerCase(), user);
    }
    return user;
  }

  repositoryId(key: RepoKey): number {
    let id = this.repositoryIds.get(keyOf(key));
    if (id === undefined) {
      id = this.nextId('repository');
      this.repositoryIds.set(keyOf(key), id);
    }
    return id;
  }

  // --- commits and refs ---

  /** Records a commit (for `GET commits/{ref}`, compare and PR commit lists). */
  addCommit(seed: RepoKey & { sha?: string; parents?: string[]; message?: string }): CommitRecord {
    const commit: CommitRecord = {
      owner: seed.owner,
      repo: seed.repo,
      sha: seed.sha ?? fakeSha(),
      parents: seed.parents ?? [],
      message: seed.message ?? 'commit',
      date: this.now(),
    };
    this.commitsBySha.set(`${keyOf(seed)}@${commit.sha}`, commit);
    return commit;
  }

  /** Seeds a linear history of `count` commits on top of `parent`; returns them oldest first. */
  addCommitChain(key: RepoKey, count: number, parent?: string): CommitRecord[] {
    const chain: CommitRecord[] = [];
    let previous = parent;
    for (let i = 0; i < count; i++) {
      const commit = this.addCommit({
        ...key,
        parents: previous === undefined ? [] : [previous],
        message: `commit ${i + 1}`,
      });
      chain.push(commit);
      previous = commit.sha;
    }
    return chain;
  }

  /** The repository's commits in the order they were added (parents before children). */
  commits(key: RepoKey): CommitRecord[] {
    return [...this.commitsBySha.values()].filter((c) => sameRepo(c, key));
  }

  commit(key: RepoKey, sha: string): CommitRecord | undefined {
    return this.commitsBySha.get(`${keyOf(key)}@${sha}`);
  }

  /** Points a branch or tag name at a commit (`main`, `v1.0.0`, `refs/heads/main`…). */
  setRef(key: RepoKey, name: string, sha: string): void {
    this.refs.set(`${keyOf(key)}@${name.replace(/^refs\/(heads|tags)\//, '')}`, sha);
  }

  /** A full sha for a sha, a unique sha prefix (7+ chars), a branch or a tag name. */
  resolveRef(key: RepoKey, ref: string): string | undefined {
    const named = this.refs.get(`${keyOf(key)}@${ref.replace(/^refs\/(heads|tags)\//, '')}`);
    if (named !== undefined) return named;
    if (/^[0-9a-f]{40}$/.test(ref)) return ref;
    if (/^[0-9a-f]{7,39}$/.test(ref)) {
      const prefix = `${keyOf(key)}@${ref}`;
      const hits = [...this.commitsBySha.keys()].filter((k) => k.startsWith(prefix));
      if (hits.length === 1) return hits[0]?.split('@')[1];
    }
    return undefined;
  }

  /** Every commit reachable from `sha` (itself included) that the state knows. */
  ancestors(key: RepoKey, sha: string): Set<string> {
    const seen = new Set<string>();
    const queue = [sha];
    while (queue.length > 0) {
      const next = queue.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      for (const parent of this.commit(key, next)?.parents ?? []) queue.push(parent);
    }
    return seen;
  }

  // --- pull requests ---

  addPullRequest(seed: PullRequestSeed): PullRequestRecord {
    const now = this.now();
    const self = `${seed.owner}/${seed.repo}`;
    const pull: PullRequestRecord = {
      owner: seed.owner,
      repo: seed.repo,
      id: this.nextId('pull'),
      number: seed.number,
      title: seed.title ?? `Pull request #${seed.number}`,
      body: seed.body ?? null,
      state: seed.state ?? 'open',
      draft: seed.draft ?? false,
      user: this.user(seed.author ?? 'octocat'),
      head: { sha: seed.head.sha, ref: seed.head.ref, repo: seed.head.repo ?? self },
      base: { sha: seed.base.sha, ref: seed.base.ref, repo: seed.base.repo ?? self },
      createdAt: now,
      updatedAt: now,
    };
    const existing = this.pullRequests.findIndex(
      (p) => sameRepo(p, seed) && p.number === seed.number,
    );
    if (existing >= 0) this.pullRequests.splice(existing, 1, pull);
    else this.pullRequests.push(pull);
    return pull;
  }

  pullRequest(key: RepoKey, number: number): PullRequestRecord | undefined {
    return this.pullRequests.find((p) => sameRepo(p, key) && p.number === number);
  }

  // --- issue comments ---

  /** Seeds a comment, e.g. one written by another user or by an earlier run. */
  addIssueComment(
    seed: RepoKey & {
      issueNumber: number;
      body: string;
      author: string;
      authorType?: 'User' | 'Bot';
    },
  ): IssueCommentRecord {
    const now = this.now();
    const comment: IssueCommentRecord = {
      owner: seed.owner,
      repo: seed.repo,
      id: this.nextId('comment'),
      issueNumber: seed.issueNumber,
      body: seed.body,
      user: this.user(seed.author, seed.authorType),
      createdAt: now,
      updatedAt: now,
    };
    this.issueComments.push(comment);
    return comment;
  }

  /** The comments on one issue or PR, oldest first (GitHub's order). */
  commentsOn(key: RepoKey, issueNumber: number): IssueCommentRecord[] {
    return this.issueComments
      .filter((c) => sameRepo(c, key) && c.issueNumber === issueNumber)
      .sort((a, b) => a.id - b.id);
  }

  comment(key: RepoKey, id: number): IssueCommentRecord | undefined {
    return this.issueComments.find((c) => sameRepo(c, key) && c.id === id);
  }

  deleteComment(id: number): void {
    const index = this.issueComments.findIndex((c) => c.id === id);
    if (index >= 0) this.issueComments.splice(index, 1);
  }

  // --- commit statuses ---

  /** The statuses of a commit, newest first (GitHub's order). */
  statusesFor(key: RepoKey, sha: string): CommitStatusRecord[] {
    return this.commitStatuses
      .filter((s) => sameRepo(s, key) && s.sha === sha)
      .sort((a, b) => b.id - a.id);
  }

  // --- releases ---

  releasesOf(key: RepoKey): ReleaseRecord[] {
    return this.releases.filter((r) => sameRepo(r, key)).sort((a, b) => b.id - a.id);
  }

  release(key: RepoKey, id: number): ReleaseRecord | undefined {
    return this.releases.find((r) => sameRepo(r, key) && r.id === id);
  }

  assetsOf(releaseId: number): ReleaseAssetRecord[] {
    return this.releaseAssets.filter((a) => a.releaseId === releaseId).sort((a, b) => a.id - b.id);
  }

  asset(key: RepoKey, id: number): ReleaseAssetRecord | undefined {
    return this.releaseAssets.find((a) => sameRepo(a, key) && a.id === id);
  }

  deleteRelease(id: number): void {
    remove(this.releases, (r) => r.id === id);
    remove(this.releaseAssets, (a) => a.releaseId === id);
  }

  deleteAsset(id: number): void {
    remove(this.releaseAssets, (a) => a.id === id);
  }

  // --- deployments ---

  deploymentsOf(key: RepoKey): DeploymentRecord[] {
    return this.deployments.filter((d) => sameRepo(d, key)).sort((a, b) => b.id - a.id);
  }

  deployment(key: RepoKey, id: number): DeploymentRecord | undefined {
    return this.deployments.find((d) => sameRepo(d, key) && d.id === id);
  }

  /** The statuses of a deployment, newest first. */
  statusesOfDeployment(deploymentId: number): DeploymentStatusRecord[] {
    return this.deploymentStatuses
      .filter((s) => s.deploymentId === deploymentId)
      .sort((a, b) => b.id - a.id);
  }

  deleteDeployment(id: number): void {
    remove(this.deployments, (d) => d.id === id);
    remove(this.deploymentStatuses, (s) => s.deploymentId === id);
  }
}

function remove<T>(list: T[], predicate: (item: T) => boolean): void {
  for (let i = list.length - 1; i >= 0; i--) {
    if (predicate(list[i] as T)) list.splice(i, 1);
  }
}
