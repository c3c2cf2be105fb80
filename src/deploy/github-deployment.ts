/**
 * Records a deploy as a GitHub deployment: environment = stage, status in_progress, then
 * success or failure. With no GitHub (no token, or no GITHUB_REPOSITORY) nothing is sent and a
 * note says why. A GitHub failure never fails the deploy: the cluster is what matters, so it
 * becomes a note too. Approval (required reviewers on the environment) happens before the job
 * runs, in GitHub Actions, not here.
 */
import { createGitHubClient, type GitHubClient } from '../github/github-client.js';
import { describeError } from '../errors/ghml-error.js';
import { withGitHubErrors } from '../github/github-errors.js';
import { tryParseRepository, type RepoRef } from '../github/repo-ref.js';
import { tryResolveToken, type Env } from '../github/token.js';

/** GitHub rejects longer status descriptions. */
const MAX_DESCRIPTION = 140;

export type DeploymentState = 'in_progress' | 'success' | 'failure';

export interface DeploymentStart {
  /** The commit deployed (the model's training commit). */
  ref: string;
  environment: string;
  description: string;
  payload: Record<string, string>;
  production: boolean;
}

/** What the deploy service reports to; one instance per deploy. */
export interface DeploymentRecorder {
  start(info: DeploymentStart): Promise<void>;
  finish(state: 'success' | 'failure', description: string): Promise<void>;
  /** The GitHub deployment id, once created. */
  readonly id: number | undefined;
  /** Why nothing was (or not everything was) recorded, for the user. */
  readonly notes: readonly string[];
}

export function shorten(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= MAX_DESCRIPTION ? one : `${one.slice(0, MAX_DESCRIPTION - 1)}…`;
}

/** A recorder that records nothing, with a note saying why. */
export function skippedRecorder(note: string): DeploymentRecorder {
  return {
    id: undefined,
    notes: [note],
    async start() {},
    async finish() {},
  };
}

export class GitHubDeploymentRecorder implements DeploymentRecorder {
  id: number | undefined;
  readonly notes: string[] = [];
  private failed = false;

  constructor(
    private readonly client: GitHubClient,
    private readonly repo: RepoRef,
    private readonly logUrl?: string,
  ) {}

  async start(info: DeploymentStart): Promise<void> {
    try {
      const created = await withGitHubErrors('create the GitHub deployment', () =>
        this.client.rest.repos.createDeployment({
          ...this.repo,
          ref: info.ref,
          environment: info.environment,
          description: shorten(info.description),
          payload: info.payload,
          auto_merge: false,
          // The model's commit is already reviewed; its PR checks are not the deploy's gate.
          required_contexts: [],
          production_environment: info.production,
          transient_environment: false,
        }),
      );
      if (created.status !== 201 || !('id' in created.data)) {
        this.fail(
          `GitHub did not create the deployment: ${'message' in created.data ? String(created.data.message) : created.status}`,
        );
        return;
      }
      this.id = created.data.id;
      await this.status('in_progress', info.description);
    } catch (error) {
      this.fail(`GitHub deployment not recorded: ${describeError(error)}`);
    }
  }

  async finish(state: 'success' | 'failure', description: string): Promise<void> {
    if (this.id === undefined || this.failed) return;
    try {
      await this.status(state, description);
    } catch (error) {
      this.fail(`GitHub deployment status '${state}' not recorded: ${describeError(error)}`);
    }
  }

  private async status(state: DeploymentState, description: string): Promise<void> {
    const id = this.id;
    if (id === undefined) return;
    await withGitHubErrors(`set the GitHub deployment status to ${state}`, () =>
      this.client.rest.repos.createDeploymentStatus({
        ...this.repo,
        deployment_id: id,
        state,
        description: shorten(description),
        ...(this.logUrl === undefined ? {} : { log_url: this.logUrl }),
        auto_inactive: true,
      }),
    );
  }

  private fail(note: string): void {
    this.failed = true;
    this.notes.push(note);
  }
}

export interface RecorderOptions {
  env: Env;
  /** An explicit token (else GITHUB_TOKEN, then GH_TOKEN). */
  token?: string;
  /** Made from the token and env when not given. */
  client?: GitHubClient;
}

/** The recorder for this environment: GitHub when there is a token and a repository. */
export function recorderFromEnv(options: RecorderOptions): DeploymentRecorder {
  const repository = options.env['GITHUB_REPOSITORY'];
  const repo = repository === undefined ? undefined : tryParseRepository(repository);
  if (repo === undefined) {
    return skippedRecorder('GitHub deployment skipped: GITHUB_REPOSITORY is not set (no GitHub).');
  }
  const token = tryResolveToken({ token: options.token, env: options.env });
  if (token === undefined && options.client === undefined) {
    return skippedRecorder('GitHub deployment skipped: no token (set GITHUB_TOKEN or GH_TOKEN).');
  }
  const client = options.client ?? createGitHubClient({ token: token ?? '', env: options.env });
  const server = options.env['GITHUB_SERVER_URL'];
  const runId = options.env['GITHUB_RUN_ID'];
  const logUrl =
    server !== undefined && runId !== undefined
      ? `${server}/${repo.owner}/${repo.repo}/actions/runs/${runId}`
      : undefined;
  return new GitHubDeploymentRecorder(client, repo, logUrl);
}
