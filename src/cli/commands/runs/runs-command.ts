/**
 * `ghml runs list` and `ghml runs show`: read runs from the tracking branch. Both say which
 * runs' artifacts still wait in this clone's local cache for the artifact store (pending).
 */
import type { Command } from 'commander';
import { formatBytes, formatValue } from '../../../text/format-number.js';
import { cleanForTerminal, columns, painter } from '../../../text/text-columns.js';
import { workflowRunUrl } from '../../../tracking/ingest/github-context.js';
import { runJsonView } from '../../../tracking/run-json-view.js';
import { compileRunFilter, parseRunFilter } from '../../../tracking/query/run-filter.js';
import { parseOrderBy, sortRuns } from '../../../tracking/query/run-order.js';
import { parseColumns } from '../../../tracking/query/run-columns.js';
import type { RunRecord } from '../../../tracking/run-record.js';
import type { StoredRun } from '../../../tracking/store/tracking-store.js';
import { UsageError } from '../../../errors/ghml-error.js';
import { versionsFromRunEvents } from '../../../registry/registry-provenance.js';
import { openRepository, refreshRuns, type OpenRepository } from '../../open-repository.js';
import { formatDuration, formatTime, renderRunTable, runListJson } from './runs-list-table.js';
import type { CommandContext } from '../../program.js';
import { registerRunsGetCommand } from './runs-get-command.js';
import { readPendingRuns, withPending, type PendingRun } from './pending-uploads.js';
import { registerRunsLifecycleCommands } from './runs-lifecycle-command.js';

interface ListOptions {
  experiment?: string;
  commit?: string;
  filter?: string;
  orderBy: string[];
  maxResults: string;
  columns: string[];
  json?: boolean;
  fetch: boolean;
  view: string;
}

const VIEWS = ['active', 'deleted', 'all'] as const;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function listRuns(repo: OpenRepository, options: ListOptions): Promise<RunRecord[]> {
  const filter = options.filter ? compileRunFilter(parseRunFilter(options.filter)) : undefined;
  const order = parseOrderBy(options.orderBy);
  if (!(VIEWS as readonly string[]).includes(options.view)) {
    throw new UsageError(`--view expects active, deleted or all, got '${options.view}'`);
  }
  const experiment = options.experiment ? { experiment: options.experiment } : {};
  let stored: StoredRun[];
  if (options.commit) {
    const commit = await repo.git.tryRevParse(`${options.commit}^{commit}`);
    if (!commit) {
      throw new UsageError(`unknown commit '${options.commit}'`, {
        hint: 'pass a sha, branch or tag that exists in this clone',
      });
    }
    stored =
      options.view === 'active'
        ? await repo.store.readRuns(await repo.store.runsAtCommit(commit, options.experiment))
        : (await repo.store.listRuns({ ...experiment, includeDeleted: true })).filter(
            (run) => run.commit === commit,
          );
  } else {
    stored = await repo.store.listRuns({
      ...experiment,
      includeDeleted: options.view !== 'active',
    });
  }
  if (options.view === 'deleted') stored = stored.filter((run) => run.deleted === true);
  let runs = stored.map((run) => run.record);
  if (filter) runs = runs.filter(filter);
  const max = Number(options.maxResults);
  if (!Number.isInteger(max) || max <= 0) {
    throw new UsageError(
      `--max-results expects a positive whole number, got '${options.maxResults}'`,
    );
  }
  return sortRuns(runs, order).slice(0, max);
}

function renderRunDetails(
  run: RunRecord,
  versions: string[],
  pending: PendingRun | undefined,
): string {
  const lines: string[] = [];
  const field = (name: string, value: string): void => {
    lines.push(`${`${name}:`.padEnd(12)}${value}`);
  };
  field('run', run.id);
  field('experiment', cleanForTerminal(run.experiment));
  if (run.name) field('name', cleanForTerminal(run.name));
  field('status', run.exitCode === null ? run.status : `${run.status} (exit ${run.exitCode})`);
  field('started', formatTime(run.startTime));
  field('duration', formatDuration(run));
  field('commit', `${run.source.commit}${run.source.dirty ? ' (dirty work tree)' : ''}`);
  if (run.source.branch) field('branch', cleanForTerminal(run.source.branch));
  if (run.github) {
    const url = workflowRunUrl(run.github);
    if (url) field('workflow', url);
    if (run.github.prNumber !== undefined) field('pull request', `#${run.github.prNumber}`);
    if (run.github.matrix) {
      field(
        'matrix',
        Object.entries(run.github.matrix)
          .map(([k, v]) => `${k}=${v}`)
          .join(', '),
      );
    }
  }
  if (versions.length > 0) field('versions', versions.join(', '));
  if (pending !== undefined) {
    field(
      'pending',
      `${pending.paths.size} file(s), ${formatBytes(pending.bytes)}, wait in the local cache for ${cleanForTerminal(pending.store, 200)}: \`ghml push\` uploads them`,
    );
  }
  const section = (title: string, rows: string[][], right: boolean[]): void => {
    if (rows.length === 0) return;
    lines.push('', title);
    lines.push(...columns(rows, right, painter(false)));
  };
  section(
    'params',
    Object.entries(run.params).map(([k, v]) => [cleanForTerminal(k, 60), cleanForTerminal(v, 100)]),
    [false, false],
  );
  section(
    'metrics',
    [
      ['KEY', 'VALUE', 'MIN', 'MAX', 'STEP', 'POINTS'],
      ...Object.entries(run.metrics).map(([k, m]) => [
        cleanForTerminal(k, 60),
        formatValue(m.value, 4),
        formatValue(m.min, 4),
        formatValue(m.max, 4),
        String(m.step),
        String(m.count),
      ]),
    ],
    [false, true, true, true, true, true],
  );
  section(
    'tags',
    Object.entries(run.tags).map(([k, v]) => [cleanForTerminal(k, 60), cleanForTerminal(v, 100)]),
    [false, false],
  );
  section(
    'artifacts',
    run.artifacts.map((a) => [
      cleanForTerminal(a.path, 80),
      `${a.size} B`,
      a.sha256.slice(0, 12),
      a.stored
        ? 'stored'
        : `${a.uri ?? 'not stored'}${pending?.paths.has(a.path) === true ? ' (pending upload)' : ''}`,
    ]),
    [false, true, false, false],
  );
  return lines.join('\n');
}

export function registerRunsCommand(program: Command, context: CommandContext): void {
  const runs = program.command('runs').description('list and inspect recorded runs');

  runs
    .command('list')
    .description('list runs, newest first (MLflow search_runs filter and order-by grammar)')
    .option('-e, --experiment <name>', 'only runs of this experiment')
    .option('-c, --commit <rev>', 'only runs trained on this commit')
    .option('--filter <expr>', 'e.g. "metrics.accuracy > 0.9 and params.n_estimators = \'10\'"')
    .option('--order-by <clause>', "e.g. 'metrics.accuracy DESC' (repeatable)", collect, [])
    .option('--max-results <n>', 'at most this many runs', '1000')
    .option(
      '--columns <fields>',
      "show these instead of the metric columns, e.g. 'params.lr,metrics.accuracy' (repeatable; with --json: only these params, metrics and tags)",
      collect,
      [],
    )
    .option('--json', 'print a JSON array (the shape in the README)')
    .option('--view <which>', 'active, deleted or all runs (as MLflow run_view_type)', 'active')
    .option('--no-fetch', 'do not fetch the tracking branch first')
    .action(async (options: ListOptions) => {
      const fields = options.columns.length > 0 ? parseColumns(options.columns) : undefined;
      const repo = await openRepository(context.cwd);
      if (options.fetch) await refreshRuns(repo, (message) => context.io.err(message));
      const found = await listRuns(repo, options);
      if (options.json) {
        const pending = await readPendingRuns(await repo.git.gitDir());
        const views = runListJson(found, fields).map((v) => withPending(v, pending.get(v.id)));
        context.io.out(JSON.stringify(views, null, 2));
      } else
        context.io.out(renderRunTable(found, repo.config, { color: context.io.color, fields }));
    });

  runs
    .command('show')
    .description('show one run: params, metrics, tags, artifacts, provenance')
    .argument('<run-id>', 'run id or a unique prefix of it')
    .option('--json', 'print the run as JSON')
    .option('--no-fetch', 'do not fetch the tracking branch first')
    .action(async (id: string, options: { json?: boolean; fetch: boolean }) => {
      const repo = await openRepository(context.cwd);
      if (options.fetch) await refreshRuns(repo, (message) => context.io.err(message));
      const run = await repo.store.findRun(id);
      const events = await repo.store.readRunEvents(run);
      const versions = versionsFromRunEvents(events).map((v) => {
        if (v.deregistered) return `${v.tag} (deregistered)`;
        return v.promotedTo.length > 0 ? `${v.tag} (${v.promotedTo.join(', ')})` : v.tag;
      });
      const pending = (await readPendingRuns(await repo.git.gitDir())).get(run.id);
      if (options.json) {
        context.io.out(
          JSON.stringify(
            {
              ...withPending(runJsonView(run.record), pending),
              events: events.map((e) => e.event),
            },
            null,
            2,
          ),
        );
      } else {
        context.io.out(renderRunDetails(run.record, versions, pending));
      }
    });

  registerRunsLifecycleCommands(runs, context);
  registerRunsGetCommand(runs, context);
}
