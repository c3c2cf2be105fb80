/**
 * Renders state records as GitHub's JSON objects. Each object starts from a schema sample of
 * the documented response (so every required field exists) and sets the fields that carry
 * meaning: ids, names, shas, bodies, timestamps and URLs that point back at the emulator.
 */
import { createHash } from 'node:crypto';
import type { OpenApiSpec, SchemaObject } from './openapi-spec.js';
import { deepMerge, sampleOf } from './schema-sample.js';
import type {
  CommitRecord,
  CommitStatusRecord,
  DeploymentRecord,
  DeploymentStatusRecord,
  EmulatorState,
  IssueCommentRecord,
  PullRequestRecord,
  ReleaseAssetRecord,
  ReleaseRecord,
  RepoKey,
  UserRecord,
} from './state.js';

/** Where the emulator listens. */
export interface EmulatorUrls {
  /** REST API base, e.g. `http://127.0.0.1:41234` (GitHub: https://api.github.com). */
  api: string;
  /** Upload base for release assets (GitHub: https://uploads.github.com). */
  uploads: string;
  /** Stand-in for https://github.com (html_url, browser_download_url). */
  web: string;
}

type Json = Record<string, unknown>;

const enc = encodeURIComponent;

export class GitHubObjects {
  private readonly samples = new Map<string, unknown>();

  constructor(
    private readonly spec: OpenApiSpec,
    private readonly urls: EmulatorUrls,
    private readonly state: EmulatorState,
  ) {}

  /** Sample of a documented response (or of its array items), cached. */
  private sample(operationId: string, status: number, overrides: Json): Json {
    const key = `${operationId} ${status}`;
    if (!this.samples.has(key)) {
      let schema = this.spec.responseSchema(operationId, status);
      if (schema['type'] === 'array') schema = schema['items'] as SchemaObject;
      this.samples.set(key, sampleOf(schema, `${this.urls.web}/_placeholder`));
    }
    return deepMerge(structuredClone(this.samples.get(key)), overrides) as Json;
  }

  private repoApi(key: RepoKey): string {
    return `${this.urls.api}/repos/${enc(key.owner)}/${enc(key.repo)}`;
  }

  private repoWeb(key: RepoKey): string {
    return `${this.urls.web}/${enc(key.owner)}/${enc(key.repo)}`;
  }

  user(user: UserRecord): Json {
    const api = `${this.urls.api}/users/${enc(user.login)}`;
    return {
      login: user.login,
      id: user.id,
      node_id: `U_${user.id}`,
      avatar_url: `${this.urls.web}/avatars/u/${user.id}`,
      gravatar_id: '',
      url: api,
      html_url: `${this.urls.web}/${enc(user.login)}`,
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type: user.type,
      site_admin: false,
      user_view_type: 'public',
    };
  }

  /** The authenticated user (`GET /user`). */
  privateUser(user: UserRecord): Json {
    return this.sample('users/get-authenticated', 200, {
      ...this.user(user),
      name: user.login,
      created_at: this.state.now(),
      updated_at: this.state.now(),
    });
  }

  /** A full repository object (as in a pull request's head and base). */
  repository(key: RepoKey): Json {
    const api = this.repoApi(key);
    const overrides: Json = {
      id: this.state.repositoryId(key),
      node_id: `R_${this.state.repositoryId(key)}`,
      name: key.repo,
      full_name: `${key.owner}/${key.repo}`,
      owner: this.user(this.state.user(key.owner)),
      private: false,
      html_url: this.repoWeb(key),
      url: api,
      default_branch: 'main',
    };
    if (!this.samples.has('repository')) {
      // The full repository schema, as embedded in a pull request's head.
      const pull = this.spec.responseSchema('pulls/get', 200);
      const head = (pull['properties'] as Record<string, SchemaObject>)['head'];
      const schema = (head?.['properties'] as Record<string, SchemaObject>)['repo'];
      this.samples.set('repository', sampleOf(schema, `${this.urls.web}/_placeholder`));
    }
    return deepMerge(structuredClone(this.samples.get('repository')), overrides) as Json;
  }

  /** The smaller repository object combined statuses carry. */
  minimalRepository(key: RepoKey): Json {
    const full = this.repository(key);
    const schema = this.spec.responseSchema('repos/get-combined-status-for-ref', 200);
    const minimal = (schema['properties'] as Record<string, SchemaObject>)['repository'] ?? {};
    const required = (minimal['required'] ?? []) as string[];
    return Object.fromEntries(required.map((name) => [name, full[name] ?? null]));
  }

  issueComment(comment: IssueCommentRecord): Json {
    const api = this.repoApi(comment);
    return this.sample('issues/get-comment', 200, {
      id: comment.id,
      node_id: `IC_${comment.id}`,
      url: `${api}/issues/comments/${comment.id}`,
      html_url: `${this.repoWeb(comment)}/pull/${comment.issueNumber}#issuecomment-${comment.id}`,
      issue_url: `${api}/issues/${comment.issueNumber}`,
      body: comment.body,
      user: this.user(comment.user),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      author_association: 'NONE',
    });
  }

  pullRequest(pull: PullRequestRecord): Json {
    const api = this.repoApi(pull);
    const side = (s: PullRequestRecord['head']): Json => {
      const [owner = pull.owner, repo = pull.repo] = s.repo.split('/');
      return {
        label: `${owner}:${s.ref}`,
        ref: s.ref,
        sha: s.sha,
        repo: this.repository({ owner, repo }),
        user: this.user(this.state.user(owner)),
      };
    };
    return this.sample('pulls/get', 200, {
      url: `${api}/pulls/${pull.number}`,
      id: pull.id,
      node_id: `PR_${pull.id}`,
      html_url: `${this.repoWeb(pull)}/pull/${pull.number}`,
      diff_url: `${this.repoWeb(pull)}/pull/${pull.number}.diff`,
      patch_url: `${this.repoWeb(pull)}/pull/${pull.number}.patch`,
      issue_url: `${api}/issues/${pull.number}`,
      commits_url: `${api}/pulls/${pull.number}/commits`,
      review_comments_url: `${api}/pulls/${pull.number}/comments`,
      review_comment_url: `${api}/pulls/comments{/number}`,
      comments_url: `${api}/issues/${pull.number}/comments`,
      statuses_url: `${api}/statuses/${pull.head.sha}`,
      number: pull.number,
      state: pull.state,
      title: pull.title,
      body: pull.body,
      user: this.user(pull.user),
      draft: pull.draft,
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      head: side(pull.head),
      base: side(pull.base),
      author_association: 'CONTRIBUTOR',
      mergeable_state: 'clean',
      commits: this.commitsBetween(pull, pull.base.sha, pull.head.sha).length,
    });
  }

  /** Commits reachable from `head` but not from `base`, oldest first. */
  commitsBetween(key: RepoKey, base: string, head: string): CommitRecord[] {
    const excluded = this.state.ancestors(key, base);
    const included = this.state.ancestors(key, head);
    return this.state.commits(key).filter((c) => included.has(c.sha) && !excluded.has(c.sha));
  }

  /** A commit, as `GET commits/{ref}`, compare and PR commit lists show it. */
  commit(commit: CommitRecord): Json {
    const api = this.repoApi(commit);
    const person = { name: 'Test User', email: 'test@example.com', date: commit.date };
    return this.sample('repos/get-commit', 200, {
      url: `${api}/commits/${commit.sha}`,
      sha: commit.sha,
      node_id: `C_${commit.sha}`,
      html_url: `${this.repoWeb(commit)}/commit/${commit.sha}`,
      comments_url: `${api}/commits/${commit.sha}/comments`,
      commit: {
        url: `${api}/git/commits/${commit.sha}`,
        author: person,
        committer: person,
        message: commit.message,
        comment_count: 0,
        tree: { sha: '4b825dc642cb6eb9a060e54bf8d69288fbee4904', url: `${api}/git/trees/4b825dc` },
      },
      author: null,
      committer: null,
      parents: commit.parents.map((sha) => ({ sha, url: `${api}/commits/${sha}` })),
    });
  }

  commitStatus(status: CommitStatusRecord): Json {
    return this.sample('repos/create-commit-status', 201, {
      url: `${this.repoApi(status)}/statuses/${status.sha}`,
      avatar_url: null,
      id: status.id,
      node_id: `SC_${status.id}`,
      state: status.state,
      description: status.description,
      target_url: status.targetUrl,
      context: status.context,
      created_at: status.createdAt,
      updated_at: status.updatedAt,
      creator: this.user(status.creator),
    });
  }

  /** `GET commits/{ref}/status`: the latest status per context, and the overall state. */
  combinedStatus(key: RepoKey, sha: string, statuses: CommitStatusRecord[]): Json {
    const latest = new Map<string, CommitStatusRecord>();
    for (const status of statuses)
      if (!latest.has(status.context)) latest.set(status.context, status);
    const states = [...latest.values()].map((s) => s.state);
    const state = states.some((s) => s === 'error' || s === 'failure')
      ? 'failure'
      : states.length === 0 || states.includes('pending')
        ? 'pending'
        : 'success';
    return this.sample('repos/get-combined-status-for-ref', 200, {
      state,
      sha,
      total_count: latest.size,
      statuses: [...latest.values()].map((s) => ({
        ...this.commitStatus(s),
        target_url: s.targetUrl,
        required: null,
      })),
      repository: this.minimalRepository(key),
      commit_url: `${this.repoApi(key)}/commits/${sha}`,
      url: `${this.repoApi(key)}/commits/${sha}/status`,
    });
  }

  release(release: ReleaseRecord): Json {
    const api = this.repoApi(release);
    return this.sample('repos/get-release', 200, {
      url: `${api}/releases/${release.id}`,
      html_url: `${this.repoWeb(release)}/releases/tag/${enc(release.tagName)}`,
      assets_url: `${api}/releases/${release.id}/assets`,
      upload_url: `${this.urls.uploads}/repos/${enc(release.owner)}/${enc(release.repo)}/releases/${release.id}/assets{?name,label}`,
      tarball_url: `${api}/tarball/${enc(release.tagName)}`,
      zipball_url: `${api}/zipball/${enc(release.tagName)}`,
      id: release.id,
      node_id: `RE_${release.id}`,
      tag_name: release.tagName,
      target_commitish: release.targetCommitish,
      name: release.name,
      body: release.body,
      draft: release.draft,
      prerelease: release.prerelease,
      created_at: release.createdAt,
      published_at: release.publishedAt,
      updated_at: release.updatedAt,
      author: this.user(release.author),
      assets: this.state.assetsOf(release.id).map((a) => this.asset(a)),
    });
  }

  asset(asset: ReleaseAssetRecord): Json {
    const release = this.state.release(asset, asset.releaseId);
    const tag = release?.tagName ?? 'untagged';
    return this.sample('repos/get-release-asset', 200, {
      url: `${this.repoApi(asset)}/releases/assets/${asset.id}`,
      browser_download_url: `${this.repoWeb(asset)}/releases/download/${enc(tag)}/${enc(asset.name)}`,
      id: asset.id,
      node_id: `RA_${asset.id}`,
      name: asset.name,
      label: asset.label,
      state: asset.state,
      content_type: asset.contentType,
      size: asset.data.length,
      digest: `sha256:${sha256(asset.data)}`,
      download_count: asset.downloadCount,
      created_at: asset.createdAt,
      updated_at: asset.updatedAt,
      uploader: this.user(asset.uploader),
    });
  }

  deployment(deployment: DeploymentRecord): Json {
    const api = this.repoApi(deployment);
    return this.sample('repos/get-deployment', 200, {
      url: `${api}/deployments/${deployment.id}`,
      id: deployment.id,
      node_id: `DE_${deployment.id}`,
      sha: deployment.sha,
      ref: deployment.ref,
      task: deployment.task,
      payload: deployment.payload,
      original_environment: deployment.originalEnvironment,
      environment: deployment.environment,
      description: deployment.description,
      creator: this.user(deployment.creator),
      created_at: deployment.createdAt,
      updated_at: deployment.updatedAt,
      statuses_url: `${api}/deployments/${deployment.id}/statuses`,
      repository_url: api,
      transient_environment: deployment.transientEnvironment,
      production_environment: deployment.productionEnvironment,
    });
  }

  deploymentStatus(status: DeploymentStatusRecord): Json {
    const api = this.repoApi(status);
    return this.sample('repos/get-deployment-status', 200, {
      url: `${api}/deployments/${status.deploymentId}/statuses/${status.id}`,
      id: status.id,
      node_id: `DES_${status.id}`,
      state: status.state,
      creator: this.user(status.creator),
      description: status.description,
      environment: status.environment,
      target_url: status.targetUrl,
      log_url: status.logUrl,
      environment_url: status.environmentUrl,
      created_at: status.createdAt,
      updated_at: status.updatedAt,
      deployment_url: `${api}/deployments/${status.deploymentId}`,
      repository_url: api,
    });
  }

  rateLimit(remaining: number): Json {
    const reset = Math.floor(Date.now() / 1000) + 3600;
    const rate = { limit: 5000, remaining, reset, used: 5000 - remaining };
    return this.sample('rate-limit/get', 200, {
      rate,
      resources: { core: rate, search: { limit: 30, remaining: 30, reset, used: 0 } },
    });
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
