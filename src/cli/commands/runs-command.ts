/** `ghml runs list` and `ghml runs show`: read runs from the tracking branch. */
import type { Command } from 'commander';
import { formatValue } from '../../text/format-number.js';
import { cleanForTerminal, columns, painter, type AnsiStyle } from '../../text/text-columns.js';
import { workflowRunUrl } from '../../tracking/ingest/github-context.js';
import { runJsonView } from '../../tracking/run-json-view.js';
import { compileRunFilter, parseRunFilter } from '../../tracking/query/run-filter.js';
import { parseOrderBy, sortRuns } from '../../tracking/query/run-order.js';
import type { RunRecord, RunStatus } from '../../tracking/run-record.js';
import type { StoredRun } from '../../tracking/store/tracking-store.js';
import { UsageError } from '../../errors/ghml-error.js';
import { versionsFromRunEvents } from '../../registry/registry-provenance.js';
import { openRepository, refreshRuns, type OpenRepository } from '../open-repository.js';
import type { CommandContext } from '../program.js';
import { registerRunsGetCommand } from './runs-get-command.js';
import { registerRunsLifecycleCommands } from './runs-lifecycle-command.js';

interface ListOptions {
  experiment?: string;
  commit?: string;
  filter?: string;
  orderBy: string[];
  maxResults: string;
  json?: boolean;
  fetch: boolean;
  view: string;
}

const VIEWS = ['active', 'deleted', 'all'] as const;

const STATUS_STYLE: Record<RunStatus, AnsiStyle | undefined> = {
  FINISHED: 'green',
  FAILED: 'red',
  KILLED: 'yellow',
  RUNNING: undefined,
};

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function formatTime(ms: number | null): string {
  if (ms === null) return '-';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
}

export function formatDuration(run: RunRecord): string {
  if (run.endTime === null) return '-';
  const seconds = Math.max(0, (run.endTime - run.startTime) / 1000);
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h${Math.round((seconds % 3600) / 60)}m`;
}

/** The metric columns worth showing: configured metrics first, then the most common ones. */
function metricColumns(runs: readonly RunRecord[], repo: OpenRepository, limit = 4): string[] {
  const counts = new Map<string, number>();
  for (const run of runs)
    for (const key of Object.keys(run.metrics)) counts.set(key, (counts.get(key) ?? 0) + 1);
  const configured = new Set<string>();
  for (const run of runs) {
    for (const key of Object.keys(repo.config.experiments[run.experiment]?.metrics ?? {}))
      configured.add(key);
  }
  const ranked = [...counts.keys()].sort(
    (a, b) =>
      Number(configured.has(b)) - Number(configured.has(a)) ||
      (counts.get(b) ?? 0) - (counts.get(a) ?? 0) ||
      (a < b ? -1 : 1),
  );
  return ranked.slice(0, limit);
}

function renderRunTable(runs: readonly RunRecord[], repo: OpenRepository, color: boolean): string {
  if (runs.length === 0) return 'no runs';
  const metrics = metricColumns(runs, repo);
  const header = [
    'RUN ID',
    'EXPERIMENT',
    'STATUS',
    'COMMIT',
    'STARTED',
    'TIME',
    ...metrics.map((m) => cleanForTerminal(m, 24)),
  ];
  const rows = runs.map((run) => [
    run.id,
    cleanForTerminal(run.experiment, 30),
    run.status,
    run.source.commit.slice(0, 7) + (run.source.dirty ? '*' : ''),
    formatTime(run.startTime),
    formatDuration(run),
    ...metrics.map((key) => {
      const summary = run.metrics[key];
      return summary
        ? formatValue(
            summary.value,
            repo.config.experiments[run.experiment]?.metrics[key]?.precision ?? 4,
          )
        : '-';
    }),
  ]);
  const right = header.map((_, i) => i >= 5);
  const paint = painter(color);
  const styles = [undefined, ...runs.map((run) => STATUS_STYLE[run.status])];
  return columns([header, ...rows], right, paint, styles, '').join('\n');
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

function renderRunDetails(run: RunRecord, versions: string[]): string {
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
      a.stored ? 'stored' : (a.uri ?? 'not stored'),
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
    .option('--json', 'print a JSON array (the shape in the README)')
    .option('--view <which>', 'active, deleted or all runs (as MLflow run_view_type)', 'active')
    .option('--no-fetch', 'do not fetch the tracking branch first')
    .action(async (options: ListOptions) => {
      const repo = await openRepository(context.cwd);
      if (options.fetch) await refreshRuns(repo, (message) => context.io.err(message));
      const found = await listRuns(repo, options);
      if (options.json) context.io.out(JSON.stringify(found.map(runJsonView), null, 2));
      else context.io.out(renderRunTable(found, repo, context.io.color));
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
      if (options.json) {
        context.io.out(
          JSON.stringify(
            { ...runJsonView(run.record), events: events.map((e) => e.event) },
            null,
            2,
          ),
        );
      } else {
        context.io.out(renderRunDetails(run.record, versions));
      }
    });

  registerRunsLifecycleCommands(runs, context);
  registerRunsGetCommand(runs, context);
}
