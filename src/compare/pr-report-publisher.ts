/**
 * Publishes a comparison on GitHub: one sticky comment per experiment on the PR, one commit
 * status `ghml/<experiment>` on the head sha, and the whole report in the job summary.
 *
 * API calls per experiment: one paginated walk over the PR's comments (plus `GET /user` once
 * to learn the token's login), at most one write (create or update; none when unchanged) and
 * one status. A read-only token (fork PR) makes the comment and status skip, not fail.
 */
import type { ExperimentComparison } from './comparison-types.js';
import type { ComparisonResult } from './compare-result.js';
import type { GitHubClient } from '../github/github-client.js';
import { NoWritePermissionError } from '../github/github-errors.js';
import { setCommitStatus, statusContext, truncateDescription } from '../github/commit-status.js';
import { writeJobSummary, type SummarySink } from '../github/job-summary.js';
import { upsertStickyComment } from '../github/sticky-comment.js';
import { buildCommentBody } from '../report/comment-body.js';
import { formatCommentMarker } from '../report/comment-marker.js';
import { renderMarkdownReport } from '../report/markdown-report.js';
import { toMarkdown } from '../report/markdown-section.js';
import { countExperimentVerdicts } from '../report/verdict-summary.js';

export interface PullRequestTarget {
  client: GitHubClient;
  owner: string;
  repo: string;
  /** PR number; null outside a PR (no comment is posted then, statuses still are). */
  prNumber: number | null;
  /** Link for the statuses, e.g. the workflow run. */
  targetUrl?: string | undefined;
  /** The login the token writes comments as, when `GET /user` cannot tell (GitHub Apps). */
  commentAuthor?: string | undefined;
}

export interface PublishOptions {
  /** Show every param, not only the changed ones. */
  all?: boolean;
  /** Post a commit status per experiment. Default true. */
  statuses?: boolean;
  /** The job summary, when running in Actions. */
  summary?: SummarySink | undefined;
  /** ghml.yml `report.site_url`: each comment links to the site's view of its comparison. */
  siteUrl?: string | undefined;
  log(message: string): void;
}

export interface ExperimentPublication {
  experiment: string;
  comment: { action: 'created' | 'updated' | 'unchanged'; url: string } | null;
  status: 'success' | 'failure' | null;
}

export interface PublishResult {
  experiments: ExperimentPublication[];
  /** Why comments/statuses were skipped (a read-only token), if they were. */
  skipped: string | null;
  summaryWritten: boolean;
}

function singleExperiment(
  comparison: ComparisonResult,
  experiment: ExperimentComparison,
): ComparisonResult {
  return {
    ...comparison,
    baseCommit: experiment.baseCommit,
    experiments: comparison.experiments.filter((e) => e === experiment),
  };
}

export function statusDescription(experiment: ExperimentComparison): string {
  const counts = countExperimentVerdicts(experiment);
  const parts = [
    counts.regressed ? `${counts.regressed} regressed` : '',
    counts.improved ? `${counts.improved} improved` : '',
    counts.unchanged ? `${counts.unchanged} unchanged` : '',
    counts.new ? `${counts.new} new` : '',
    counts.missing ? `${counts.missing} missing` : '',
  ].filter((part) => part !== '');
  const baseline = experiment.baseline.kind === 'none' ? 'no baseline; ' : '';
  return truncateDescription(`${baseline}${parts.join(', ') || 'no metrics'}`);
}

const READ_ONLY_NOTE =
  'the token cannot write to this repository (a fork PR gets a read-only token): the comparison is in the job summary only';

export async function publishComparison(
  comparison: ComparisonResult,
  target: PullRequestTarget,
  options: PublishOptions,
): Promise<PublishResult> {
  const result: PublishResult = { experiments: [], skipped: null, summaryWritten: false };

  if (options.summary) {
    const sections = renderMarkdownReport(comparison, {
      all: options.all ?? false,
      siteUrl: options.siteUrl,
    });
    const body = buildCommentBody({
      sections,
      maxLength: 1024 * 1024 - 1024,
      fullReportHint: 'Run `ghml compare --all` locally for everything.',
    });
    await writeJobSummary(body, { sink: options.summary });
    result.summaryWritten = true;
  }

  for (const experiment of comparison.experiments) {
    const publication: ExperimentPublication = {
      experiment: experiment.experiment,
      comment: null,
      status: null,
    };
    result.experiments.push(publication);
    if (result.skipped) continue;
    try {
      if (target.prNumber !== null) {
        const marker = formatCommentMarker('compare', experiment.experiment);
        const sections = renderMarkdownReport(singleExperiment(comparison, experiment), {
          all: options.all ?? false,
          siteUrl: options.siteUrl,
        });
        const comment = await upsertStickyComment({
          client: target.client,
          owner: target.owner,
          repo: target.repo,
          issueNumber: target.prNumber,
          marker,
          body: buildCommentBody({ marker, sections }),
          authorLogin: target.commentAuthor,
        });
        publication.comment = { action: comment.action, url: comment.url };
      }
      if (options.statuses ?? true) {
        await setCommitStatus({
          client: target.client,
          owner: target.owner,
          repo: target.repo,
          sha: experiment.headCommit,
          state: experiment.status,
          context: statusContext(experiment.experiment),
          description: statusDescription(experiment),
          ...(target.targetUrl ? { targetUrl: target.targetUrl } : {}),
        });
        publication.status = experiment.status;
      }
    } catch (error) {
      if (!(error instanceof NoWritePermissionError)) throw error;
      result.skipped = READ_ONLY_NOTE;
      options.log(`ghml: skipped the PR comment and status: ${READ_ONLY_NOTE}`);
    }
  }
  return result;
}

/** The whole comparison as Markdown, e.g. for `ghml compare --format md`. */
export function comparisonMarkdown(comparison: ComparisonResult, all: boolean): string {
  return toMarkdown(renderMarkdownReport(comparison, { all }));
}
