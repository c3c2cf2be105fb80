/**
 * Webhook payloads shaped like GitHub's (the fields of the documented event objects that
 * actions and ghml read, with their real nesting): pull_request opened/synchronize, push,
 * release published and workflow_run completed.
 */
const SERVER = 'https://github.com';
const API = 'https://api.github.com';

function user(login: string, id = 583231): Record<string, unknown> {
  return {
    login,
    id,
    node_id: 'MDQ6VXNlcjU4MzIzMQ==',
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
    site_admin: false,
    html_url: `${SERVER}/${login}`,
    url: `${API}/users/${login}`,
  };
}

export function repositoryObject(
  fullName: string,
  options: { fork?: boolean; id?: number } = {},
): Record<string, unknown> {
  const [owner = '', name = ''] = fullName.split('/');
  return {
    id: options.id ?? 1296269,
    node_id: 'MDEwOlJlcG9zaXRvcnkxMjk2MjY5',
    name,
    full_name: fullName,
    private: false,
    owner: user(owner, 1),
    html_url: `${SERVER}/${fullName}`,
    fork: options.fork ?? false,
    url: `${API}/repos/${fullName}`,
    default_branch: 'main',
    visibility: 'public',
  };
}

export interface PullRequestPayloadOptions {
  action: 'opened' | 'synchronize' | 'reopened';
  number: number;
  repository: string;
  headSha: string;
  headRef: string;
  baseSha: string;
  baseRef?: string;
  /** `owner/name` of the fork the PR comes from; default the repository itself. */
  headRepository?: string;
  /** For synchronize: the previous head. */
  before?: string;
}

export function pullRequestPayload(options: PullRequestPayloadOptions): Record<string, unknown> {
  const headRepo = options.headRepository ?? options.repository;
  const fork = headRepo !== options.repository;
  const payload: Record<string, unknown> = {
    action: options.action,
    number: options.number,
    pull_request: {
      url: `${API}/repos/${options.repository}/pulls/${options.number}`,
      id: 1000 + options.number,
      node_id: 'MDExOlB1bGxSZXF1ZXN0MQ==',
      html_url: `${SERVER}/${options.repository}/pull/${options.number}`,
      number: options.number,
      state: 'open',
      locked: false,
      title: 'Tune the forest',
      user: user('contributor', 42),
      body: 'More trees.',
      draft: false,
      merged: false,
      merge_commit_sha: null,
      head: {
        label: `${headRepo.split('/')[0]}:${options.headRef}`,
        ref: options.headRef,
        sha: options.headSha,
        user: user(headRepo.split('/')[0] ?? '', 2),
        repo: repositoryObject(headRepo, { fork, id: fork ? 7777 : 1296269 }),
      },
      base: {
        label: `${options.repository.split('/')[0]}:${options.baseRef ?? 'main'}`,
        ref: options.baseRef ?? 'main',
        sha: options.baseSha,
        user: user(options.repository.split('/')[0] ?? '', 1),
        repo: repositoryObject(options.repository),
      },
      author_association: fork ? 'CONTRIBUTOR' : 'MEMBER',
    },
    repository: repositoryObject(options.repository),
    sender: user('contributor', 42),
  };
  if (options.action === 'synchronize') {
    payload['before'] = options.before ?? '0'.repeat(40);
    payload['after'] = options.headSha;
  }
  return payload;
}

export function pushPayload(options: {
  repository: string;
  ref: string;
  before: string;
  after: string;
}): Record<string, unknown> {
  const commit = {
    id: options.after,
    tree_id: '0'.repeat(40),
    distinct: true,
    message: 'change',
    timestamp: '2024-01-01T00:00:00Z',
    url: `${SERVER}/${options.repository}/commit/${options.after}`,
    author: { name: 'Dev', email: 'dev@example.com', username: 'dev' },
    committer: { name: 'Dev', email: 'dev@example.com', username: 'dev' },
    added: [],
    removed: [],
    modified: ['params.yaml'],
  };
  return {
    ref: options.ref,
    before: options.before,
    after: options.after,
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `${SERVER}/${options.repository}/compare/${options.before.slice(0, 12)}...${options.after.slice(0, 12)}`,
    commits: [commit],
    head_commit: commit,
    repository: repositoryObject(options.repository),
    pusher: { name: 'dev', email: 'dev@example.com' },
    sender: user('dev', 3),
  };
}

export function releasePublishedPayload(options: {
  repository: string;
  tag: string;
  target?: string;
}): Record<string, unknown> {
  return {
    action: 'published',
    release: {
      url: `${API}/repos/${options.repository}/releases/1`,
      html_url: `${SERVER}/${options.repository}/releases/tag/${options.tag}`,
      id: 1,
      node_id: 'MDc6UmVsZWFzZTE=',
      tag_name: options.tag,
      target_commitish: options.target ?? 'main',
      name: options.tag,
      body: '',
      draft: false,
      prerelease: false,
      author: user('maintainer', 5),
      created_at: '2024-01-01T00:00:00Z',
      published_at: '2024-01-01T00:00:00Z',
      assets: [],
    },
    repository: repositoryObject(options.repository),
    sender: user('maintainer', 5),
  };
}

export interface WorkflowRunPayloadOptions {
  repository: string;
  headSha: string;
  headBranch: string;
  /** `owner/name` the head commit lives in (a fork's for fork PRs). */
  headRepository?: string;
  /** PR numbers GitHub lists; empty for fork PRs, as on GitHub. */
  pullRequests?: Array<{ number: number; headSha: string; baseSha: string }>;
  event?: string;
  conclusion?: 'success' | 'failure' | 'cancelled';
  runId?: number;
}

export function workflowRunPayload(options: WorkflowRunPayloadOptions): Record<string, unknown> {
  const headRepo = options.headRepository ?? options.repository;
  return {
    action: 'completed',
    workflow_run: {
      id: options.runId ?? 30433642,
      name: 'train-fork-safe',
      node_id: 'MDEyOldvcmtmbG93IFJ1bjI2OTI4OQ==',
      head_branch: options.headBranch,
      head_sha: options.headSha,
      path: '.github/workflows/train-fork-safe.yml',
      run_number: 7,
      run_attempt: 1,
      event: options.event ?? 'pull_request',
      status: 'completed',
      conclusion: options.conclusion ?? 'success',
      workflow_id: 159038,
      html_url: `${SERVER}/${options.repository}/actions/runs/${options.runId ?? 30433642}`,
      pull_requests: (options.pullRequests ?? []).map((pr) => ({
        url: `${API}/repos/${options.repository}/pulls/${pr.number}`,
        id: 1000 + pr.number,
        number: pr.number,
        head: {
          ref: options.headBranch,
          sha: pr.headSha,
          repo: {
            id: 1296269,
            url: `${API}/repos/${options.repository}`,
            name: options.repository.split('/')[1],
          },
        },
        base: {
          ref: 'main',
          sha: pr.baseSha,
          repo: {
            id: 1296269,
            url: `${API}/repos/${options.repository}`,
            name: options.repository.split('/')[1],
          },
        },
      })),
      head_repository: repositoryObject(headRepo, { fork: headRepo !== options.repository }),
      repository: repositoryObject(options.repository),
    },
    workflow: {
      id: 159038,
      name: 'train-fork-safe',
      path: '.github/workflows/train-fork-safe.yml',
      state: 'active',
    },
    repository: repositoryObject(options.repository),
    sender: user('contributor', 42),
  };
}
