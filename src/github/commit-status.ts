/** The commit status `ghml/<experiment>` that gates a PR on metric regressions. */
import { UsageError } from '../errors/ghml-error.js';
import type { GitHubClient } from './github-client.js';
import { withGitHubErrors } from './github-errors.js';

/** GitHub's commit status states. */
export type CommitStatusState = 'error' | 'failure' | 'pending' | 'success';

/** GitHub rejects longer descriptions, so ghml shortens them. */
export const MAX_STATUS_DESCRIPTION = 140;

const EXPERIMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export interface CommitStatusOptions {
  client: GitHubClient;
  owner: string;
  repo: string;
  /** The full commit sha (the PR head). */
  sha: string;
  state: CommitStatusState;
  /** `ghml/<experiment>`; build it with {@link statusContext}. */
  context: string;
  /** Cut to 140 characters with an ellipsis. */
  description: string;
  /** Where the status links, e.g. the PR comment or the workflow run. */
  targetUrl?: string;
}

/** What GitHub recorded. */
export interface CommitStatusResult {
  id: number;
  state: string;
  context: string;
  description: string | null;
}

/** The experiment name or the sha is not valid. */
export class InvalidCommitStatusError extends UsageError {
  constructor(what: string, value: string, hint: string) {
    super(`Invalid ${what} '${value}' for a commit status.`, { hint });
    this.name = 'InvalidCommitStatusError';
  }
}

/** `ghml/<experiment>`, after checking the experiment name. */
export function statusContext(experiment: string): string {
  if (!EXPERIMENT.test(experiment)) {
    throw new InvalidCommitStatusError(
      'experiment name',
      experiment,
      "use letters, digits, '.', '_' or '-', starting with a letter or digit (at most 100)",
    );
  }
  return `ghml/${experiment}`;
}

/** `text` cut to `max` characters, ending in '…' when cut. */
export function truncateDescription(text: string, max = MAX_STATUS_DESCRIPTION): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/** Creates (or, for the same context, supersedes) the commit status. */
export async function setCommitStatus(options: CommitStatusOptions): Promise<CommitStatusResult> {
  const { client, owner, repo, sha, state, context } = options;
  if (!SHA.test(sha)) {
    throw new InvalidCommitStatusError('commit sha', sha, 'pass the full 40-character commit id');
  }
  if (!/^ghml\/./.test(context)) {
    throw new InvalidCommitStatusError(
      'context',
      context,
      'build it with statusContext(experiment)',
    );
  }
  const { data } = await withGitHubErrors(`set the commit status ${context}`, () =>
    client.rest.repos.createCommitStatus({
      owner,
      repo,
      sha,
      state,
      context,
      description: truncateDescription(options.description),
      ...(options.targetUrl === undefined ? {} : { target_url: options.targetUrl }),
    }),
  );
  return { id: data.id, state: data.state, context: data.context, description: data.description };
}
