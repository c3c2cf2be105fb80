/** `ghml compare`: compares head's runs with the baseline; optionally posts to the PR. */
import type { Command } from 'commander';
import { compareInRepository } from '../../compare/compare-in-repository.js';
import { hasRegression } from '../../compare/compare-service.js';
import { comparisonMarkdown, publishComparison } from '../../compare/pr-report-publisher.js';
import { UsageError } from '../../errors/ghml-error.js';
import { createGitHubClient } from '../../github/github-client.js';
import { tryActionsSummarySink } from '../../github/job-summary.js';
import { resolveRepository } from '../../github/remote-repository.js';
import { parseCommentAuthor } from '../../github/token-identity.js';
import { resolveToken } from '../../github/token.js';
import { renderJsonReport } from '../../report/json-report.js';
import { renderTextReport } from '../../report/text-report.js';
import { workflowRunUrl, readActionsEnvironment } from '../../tracking/ingest/github-context.js';
import { readPullRequestEvent } from '../../tracking/ingest/pull-request-event.js';
import { openRepository, refreshRuns } from '../open-repository.js';
import type { CommandContext } from '../program.js';

interface CompareOptions {
  base?: string;
  head?: string;
  experiment: string[];
  format: string;
  all?: boolean;
  failOnRegression?: boolean;
  includeUnfinished?: boolean;
  fetch: boolean;
  comment?: boolean;
  pr?: string;
  githubRepository?: string;
  commentAuthor?: string;
}

const FORMATS = ['text', 'md', 'json'] as const;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerCompareCommand(program: Command, context: CommandContext): void {
  program
    .command('compare')
    .description("compare head's runs with the baseline's: metric table, changed params, verdicts")
    .option(
      '--base <rev|run-id>',
      'baseline commit or run (default: the PR base, else the nearest ancestor with a run)',
    )
    .option(
      '--head <rev|run-id>',
      'head commit, or one run to compare (default: the PR head on Actions, else HEAD)',
    )
    .option('-e, --experiment <name>', 'only this experiment (repeatable)', collect, [])
    .option('-f, --format <format>', 'text | md | json', 'text')
    .option('--all', 'list every param, not only the changed ones')
    .option('--fail-on-regression', 'exit 1 when a metric regressed beyond its threshold')
    .option('--include-unfinished', 'compare FAILED/KILLED head runs like finished ones')
    .option('--no-fetch', 'do not fetch the tracking branch first')
    .option(
      '--comment',
      'post the sticky PR comment, commit statuses and job summary (needs GITHUB_TOKEN)',
    )
    .option('--pr <number>', 'PR to comment on (default: from the pull_request event)')
    .option(
      '--github-repository <owner/name>',
      'repository to post to (default: GITHUB_REPOSITORY, else the origin remote)',
    )
    .option(
      '--comment-author <login>',
      'the account the token comments as, e.g. my-app[bot] for a GitHub App token (default: GET /user, else github-actions[bot])',
    )
    .action(async (options: CompareOptions) => {
      if (!(FORMATS as readonly string[]).includes(options.format)) {
        throw new UsageError(`unknown --format '${options.format}'`, {
          hint: `use one of: ${FORMATS.join(', ')}`,
        });
      }
      const commentAuthor = parseCommentAuthor(options.commentAuthor, '--comment-author');
      const repo = await openRepository(context.cwd);
      if (options.fetch) await refreshRuns(repo, (message) => context.io.err(message));
      const event = readPullRequestEvent(context.env);
      const comparison = await compareInRepository(repo, {
        base: options.base,
        head: options.head,
        experiments: options.experiment.length > 0 ? options.experiment : undefined,
        prBaseSha: options.base === undefined ? event?.baseSha : undefined,
        prHeadSha: options.head === undefined ? event?.headSha : undefined,
        includeUnfinished: options.includeUnfinished,
      });

      for (const note of comparison.notes) context.io.err(`ghml: ${note}`);
      if (options.format === 'json') context.io.out(renderJsonReport(comparison));
      else if (options.format === 'md')
        context.io.out(comparisonMarkdown(comparison, options.all ?? false));
      else
        context.io.out(
          renderTextReport(comparison, { color: context.io.color, all: options.all ?? false }),
        );

      if (options.comment) {
        const remote = repo.config.tracking.remote;
        const remoteUrl = (await repo.git.remotes()).find((r) => r.name === remote)?.fetchUrl;
        const repository = resolveRepository({
          explicit: options.githubRepository,
          env: context.env,
          remote,
          remoteUrl,
        });
        const prNumber =
          options.pr !== undefined ? parsePrNumber(options.pr) : (event?.number ?? null);
        const actions = readActionsEnvironment(context.env);
        const client = createGitHubClient({
          token: resolveToken({ env: context.env }),
          env: context.env,
        });
        const published = await publishComparison(
          comparison,
          {
            client,
            owner: repository.owner,
            repo: repository.repo,
            prNumber,
            targetUrl: actions ? (workflowRunUrl(actions.context) ?? undefined) : undefined,
            commentAuthor,
          },
          {
            all: options.all ?? false,
            summary: tryActionsSummarySink(context.env),
            siteUrl: repo.config.report?.siteUrl,
            log: (m) => context.io.err(m),
          },
        );
        for (const item of published.experiments) {
          if (item.comment)
            context.io.err(`ghml: PR comment ${item.comment.action}: ${item.comment.url}`);
        }
        if (prNumber === null)
          context.io.err('ghml: not a pull request: posted commit statuses only');
      }
      if (options.failOnRegression && hasRegression(comparison)) context.setExitCode(1);
    });
}

function parsePrNumber(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    throw new UsageError(`--pr expects a pull request number, got '${text}'`);
  }
  return value;
}
