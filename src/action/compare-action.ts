/**
 * `command: compare`: the same comparison as `ghml compare --comment`, plus what only a
 * workflow has: outputs, annotations for regressions, and (on `workflow_run`) the import of a
 * pull_request workflow's run artifact before comparing.
 */
import { compareInRepository } from '../compare/compare-in-repository.js';
import type { ComparisonResult } from '../compare/compare-result.js';
import { comparisonMarkdown, publishComparison } from '../compare/pr-report-publisher.js';
import { MissingTokenError, tryResolveToken } from '../github/token.js';
import { createGitHubClient, type GitHubClient } from '../github/github-client.js';
import { writeJobSummary } from '../github/job-summary.js';
import { parseRepository } from '../github/repo-ref.js';
import { readActionsEnvironment, workflowRunUrl } from '../tracking/ingest/github-context.js';
import { parsePullRequestEvent } from '../tracking/ingest/pull-request-event.js';
import { openRepository, refreshRuns } from '../tracking/repository-context.js';
import { RegressionError } from './action-errors.js';
import type { ActionIo } from './action-io.js';
import { comparisonVerdict, regressionAnnotations, regressionCount } from './comparison-outcome.js';
import type { CompareCommandSettings } from './inputs.js';
import { importPullRequestRuns, readWorkflowRun } from './pull-request-run-import.js';

/** Outputs of `command: compare`. */
export const COMPARE_OUTPUTS = [
  'verdict',
  'regressions',
  'comment-url',
  'head-commit',
  'base-commit',
  'pr-number',
] as const;

interface Target {
  prNumber: number | null;
  prBaseSha: string | undefined;
  prHeadSha: string | undefined;
}

export async function compareAction(
  settings: CompareCommandSettings,
  io: ActionIo,
): Promise<ComparisonResult> {
  const log = (message: string): void => io.info(message);
  // A bad record on the branch is skipped, with a warning in the log (never silently).
  const repo = await openRepository(settings.workingDirectory, {
    warn: (message) => io.warning(message, 'ghml: tracking branch data skipped'),
  });
  const token = tryResolveToken({ token: settings.token, env: settings.env });
  if (token !== undefined) io.setSecret(token);
  let client: GitHubClient | undefined;
  const github = (): GitHubClient => {
    if (token === undefined) throw new MissingTokenError();
    client ??= createGitHubClient({ token, env: settings.env });
    return client;
  };

  let target: Target;
  if (settings.runArtifact !== undefined) {
    const imported = await importPullRequestRuns({
      repo,
      folder: settings.runArtifact,
      workflowRun: readWorkflowRun(settings.event.payload),
      client: github(),
      repository: parseRepository(settings.repository),
      serverUrl: settings.env.GITHUB_SERVER_URL,
      fetch: settings.fetch,
      log,
    });
    target = {
      prNumber: imported.prNumber,
      prBaseSha: imported.baseSha,
      prHeadSha: imported.headSha,
    };
  } else {
    if (settings.fetch) await refreshRuns(repo, log);
    const pr = parsePullRequestEvent(settings.event.payload);
    target = { prNumber: pr?.number ?? null, prBaseSha: pr?.baseSha, prHeadSha: pr?.headSha };
  }

  const comparison = await compareInRepository(repo, {
    base: settings.base,
    head: settings.head,
    experiments: settings.experiments.length > 0 ? settings.experiments : undefined,
    prBaseSha: settings.base === undefined ? target.prBaseSha : undefined,
    prHeadSha: settings.head === undefined ? target.prHeadSha : undefined,
    includeUnfinished: settings.includeUnfinished,
  });
  for (const note of comparison.notes) io.info(`ghml: ${note}`);

  const regressions = regressionCount(comparison);
  for (const annotation of regressionAnnotations(comparison, {
    includeUnfinished: settings.includeUnfinished,
  })) {
    if (settings.failOnRegression) io.error(annotation.message, annotation.title);
    else io.warning(annotation.message, annotation.title);
  }

  let commentUrl = '';
  if (settings.comment) {
    const actions = readActionsEnvironment(settings.env);
    const published = await publishComparison(
      comparison,
      {
        client: github(),
        ...parseRepository(settings.repository),
        prNumber: target.prNumber,
        targetUrl: actions ? (workflowRunUrl(actions.context) ?? undefined) : undefined,
        commentAuthor: settings.commentAuthor,
      },
      { all: settings.allParams, summary: io.summary, siteUrl: repo.config.report?.siteUrl, log },
    );
    for (const item of published.experiments) {
      if (item.comment === null) continue;
      io.info(`ghml: PR comment ${item.comment.action}: ${item.comment.url}`);
      commentUrl ||= item.comment.url;
    }
    if (target.prNumber === null) io.info('ghml: not a pull request: posted commit statuses only');
  } else if (io.summary) {
    await writeJobSummary(comparisonMarkdown(comparison, settings.allParams), { sink: io.summary });
  }

  io.setOutput('verdict', comparisonVerdict(comparison));
  io.setOutput('regressions', String(regressions));
  io.setOutput('comment-url', commentUrl);
  io.setOutput('head-commit', comparison.headCommit);
  io.setOutput('base-commit', comparison.baseCommit ?? '');
  io.setOutput('pr-number', target.prNumber === null ? '' : String(target.prNumber));
  if (settings.failOnRegression && comparison.experiments.some((e) => e.status === 'failure')) {
    throw new RegressionError(regressions);
  }
  return comparison;
}
