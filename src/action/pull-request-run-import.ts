/**
 * The `workflow_run` side of the fork-safe pattern: the runs a `pull_request` workflow uploaded
 * are validated as untrusted data (untrusted-run-artifact.ts), the PR they name is checked
 * against the trusted event and GitHub, and only then are they written to the tracking branch
 * and pushed. A rejected artifact writes nothing.
 */
import { getPullRequest } from '../github/pull-request.js';
import type { GitHubClient } from '../github/github-client.js';
import { GitHubApiError } from '../github/github-errors.js';
import type { RepoRef } from '../github/repo-ref.js';
import type { OpenRepository } from '../tracking/repository-context.js';
import { refreshRuns } from '../tracking/repository-context.js';
import { RunExistsError } from '../tracking/tracking-errors.js';
import { UnsupportedEventError, UntrustedArtifactError } from './action-errors.js';
import { applyPullRequestBudget } from './pull-request-budget.js';
import {
  DEFAULT_ARTIFACT_CAPS,
  readUntrustedRunArtifact,
  type ArtifactCaps,
} from './untrusted-run-artifact.js';

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** The facts of a `workflow_run` payload ghml relies on; all set by GitHub, not by the PR. */
export interface WorkflowRunFacts {
  /** The commit the pull_request workflow ran on (the PR head). */
  headSha: string;
  /** The triggering workflow's event, e.g. `pull_request`. */
  event: string;
  /** PR numbers GitHub lists for the run; empty for fork PRs (GitHub leaves it empty then). */
  pullRequests: number[];
}

export function readWorkflowRun(payload: Record<string, unknown>): WorkflowRunFacts {
  const run = payload['workflow_run'] as Record<string, unknown> | undefined;
  const headSha = run?.['head_sha'];
  if (run === undefined || typeof headSha !== 'string' || !SHA.test(headSha)) {
    throw new UnsupportedEventError(
      'workflow_run',
      'compare',
      ['workflow_run'],
      'the event payload has no workflow_run.head_sha',
    );
  }
  const listed = Array.isArray(run['pull_requests']) ? (run['pull_requests'] as unknown[]) : [];
  const pullRequests = listed
    .map((pr) =>
      pr !== null && typeof pr === 'object' ? (pr as Record<string, unknown>)['number'] : undefined,
    )
    .filter((n): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0);
  return { headSha, event: typeof run['event'] === 'string' ? run['event'] : '', pullRequests };
}

export interface ImportedRuns {
  prNumber: number;
  /** Trusted PR base and head shas, from GitHub. */
  baseSha: string;
  headSha: string;
  written: string[];
  /** Runs already on the branch (a re-run of the report workflow): left as they are. */
  existing: string[];
}

export interface ImportOptions {
  repo: OpenRepository;
  /** Folder the artifact was downloaded to. */
  folder: string;
  workflowRun: WorkflowRunFacts;
  client: GitHubClient;
  /** The importing repository (GITHUB_REPOSITORY): recorded in place of what the artifact says. */
  repository: RepoRef;
  /** The importing workflow's GITHUB_SERVER_URL (default https://github.com): likewise. */
  serverUrl: string | undefined;
  fetch: boolean;
  log(message: string): void;
}

export function artifactCaps(repo: OpenRepository): ArtifactCaps {
  return {
    ...DEFAULT_ARTIFACT_CAPS,
    maxArtifactFileBytes: repo.config.artifacts.maxFileBytes,
    maxArtifactTotalBytes: repo.config.artifacts.maxTotalBytes,
  };
}

export async function importPullRequestRuns(options: ImportOptions): Promise<ImportedRuns> {
  const { repo, folder, workflowRun } = options;
  if (workflowRun.event !== '' && workflowRun.event !== 'pull_request') {
    throw new UntrustedArtifactError(
      folder,
      `the workflow run was triggered by '${workflowRun.event}', not by a pull_request`,
    );
  }
  const artifact = await readUntrustedRunArtifact(folder, {
    headSha: workflowRun.headSha,
    repository: `${options.repository.owner}/${options.repository.repo}`,
    serverUrl: options.serverUrl || 'https://github.com',
    caps: artifactCaps(repo),
  });
  const prNumber = artifact.prNumber;
  if (workflowRun.pullRequests.length > 0 && !workflowRun.pullRequests.includes(prNumber)) {
    throw new UntrustedArtifactError(
      folder,
      `the runs name pull request #${prNumber}, but the workflow run belongs to #${workflowRun.pullRequests.join(', #')}`,
    );
  }
  let pr;
  try {
    pr = await getPullRequest({ client: options.client, ...options.repository, number: prNumber });
  } catch (error) {
    if (error instanceof GitHubApiError && error.status === 404) {
      throw new UntrustedArtifactError(
        folder,
        `the runs name pull request #${prNumber}, which does not exist`,
      );
    }
    throw error;
  }
  if (pr.head.sha !== workflowRun.headSha) {
    throw new UntrustedArtifactError(
      folder,
      `the runs name pull request #${prNumber}, whose head is ${pr.head.sha.slice(0, 7)}, but the workflow run was for ${workflowRun.headSha.slice(0, 7)} (if the PR got a newer push, its own run will report)`,
    );
  }

  if (options.fetch) await refreshRuns(repo, options.log);
  const runs = await applyPullRequestBudget(
    repo.store,
    prNumber,
    artifact.runs,
    repo.config.tracking.prBudgetBytes,
  );
  const written: string[] = [];
  const existing: string[] = [];
  for (const run of runs) {
    try {
      await repo.store.writeRun(run);
      written.push(run.record.id);
    } catch (error) {
      if (!(error instanceof RunExistsError)) throw error;
      existing.push(run.record.id);
    }
  }
  if (written.length > 0 && (await repo.git.hasRemote(repo.config.tracking.remote))) {
    const pushed = await repo.store.push();
    options.log(
      `ghml: pushed ${pushed.pushed} run(s) of pull request #${prNumber} in ${pushed.attempts} attempt(s)`,
    );
  }
  if (existing.length > 0)
    options.log(`ghml: ${existing.length} run(s) were already recorded: ${existing.join(', ')}`);
  return { prNumber, baseSha: pr.base.sha, headSha: workflowRun.headSha, written, existing };
}
