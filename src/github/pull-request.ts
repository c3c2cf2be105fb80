/** The facts about a pull request ghml's compare needs. */
import type { GitHubClient } from './github-client.js';
import { withGitHubErrors } from './github-errors.js';

/** One side (head or base) of a pull request. */
export interface PullRequestSide {
  sha: string;
  /** Branch name, e.g. `main` or `feature/x`. */
  ref: string;
  /** `owner/name` of the repository the branch lives in (a fork's for fork PRs). */
  repository: string | undefined;
}

export interface PullRequestInfo {
  number: number;
  title: string;
  state: string;
  draft: boolean;
  htmlUrl: string;
  head: PullRequestSide;
  base: PullRequestSide;
  /** True when head lives in another repository than base: its token is read-only. */
  fromFork: boolean;
}

/** Fetches one pull request. */
export async function getPullRequest(options: {
  client: GitHubClient;
  owner: string;
  repo: string;
  number: number;
}): Promise<PullRequestInfo> {
  const { client, owner, repo, number } = options;
  const { data } = await withGitHubErrors(`read pull request #${number}`, () =>
    client.rest.pulls.get({ owner, repo, pull_number: number }),
  );
  const head: PullRequestSide = {
    sha: data.head.sha,
    ref: data.head.ref,
    repository: data.head.repo?.full_name,
  };
  const base: PullRequestSide = {
    sha: data.base.sha,
    ref: data.base.ref,
    repository: data.base.repo.full_name,
  };
  return {
    number: data.number,
    title: data.title,
    state: data.state,
    draft: data.draft ?? false,
    htmlUrl: data.html_url,
    head,
    base,
    fromFork:
      head.repository === undefined ||
      head.repository.toLowerCase() !== (base.repository ?? '').toLowerCase(),
  };
}
