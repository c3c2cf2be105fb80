/**
 * What `ghml runs list` prints: the terminal table (id, name, experiment, status, commit,
 * start, duration, then metric columns, or the `--columns` the user named) and the `--json`
 * array. Run keys are untrusted and looked up as own properties only, so a param or metric
 * named `constructor` is a column like any other and never reaches the prototype.
 */
import { metricSettings } from '../../../config/settings-lookup.js';
import type { GhmlConfig } from '../../../config/config-types.js';
import { formatValue } from '../../../text/format-number.js';
import { cleanForTerminal, columns, painter, type AnsiStyle } from '../../../text/text-columns.js';
import { columnKeys, pickKeys } from '../../../tracking/query/run-columns.js';
import {
  fieldReader,
  formatField,
  type FieldReader,
  type FieldRef,
} from '../../../tracking/query/run-query-fields.js';
import { runJsonView, type RunJsonView } from '../../../tracking/run-json-view.js';
import type { RunRecord, RunStatus } from '../../../tracking/run-record.js';

const STATUS_STYLE: Record<RunStatus, AnsiStyle | undefined> = {
  FINISHED: 'green',
  FAILED: 'red',
  KILLED: 'yellow',
  RUNNING: undefined,
};

/** A time as `YYYY-MM-DD HH:MM` (UTC), `-` for none. */
export function formatTime(ms: number | null): string {
  if (ms === null) return '-';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
}

/** A run's wall-clock duration: `4.2s`, `3m12s`, `2h5m`; `-` while it has no end. */
export function formatDuration(run: RunRecord): string {
  if (run.endTime === null) return '-';
  const seconds = Math.max(0, (run.endTime - run.startTime) / 1000);
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h${Math.round((seconds % 3600) / 60)}m`;
}

/** The metric columns worth showing: configured metrics first, then the most common ones. */
function metricColumns(runs: readonly RunRecord[], config: GhmlConfig, limit = 4): FieldRef[] {
  const counts = new Map<string, number>();
  for (const run of runs)
    for (const key of Object.keys(run.metrics)) counts.set(key, (counts.get(key) ?? 0) + 1);
  const configured = new Set<string>();
  for (const experiment of new Set(runs.map((run) => run.experiment))) {
    const listed = Object.hasOwn(config.experiments, experiment)
      ? config.experiments[experiment]?.metrics
      : undefined;
    for (const key of Object.keys(listed ?? {})) configured.add(key);
  }
  const ranked = [...counts.keys()].sort(
    (a, b) =>
      Number(configured.has(b)) - Number(configured.has(a)) ||
      (counts.get(b) ?? 0) - (counts.get(a) ?? 0) ||
      (a < b ? -1 : 1),
  );
  return ranked.slice(0, limit).map((key) => ({ kind: 'metric', key }));
}

function cell(run: RunRecord, field: FieldRef, read: FieldReader, config: GhmlConfig): string {
  const value = read(run);
  if (value === undefined) return '-';
  if (field.kind === 'metric' && typeof value === 'number') {
    return formatValue(value, metricSettings(config, run.experiment, field.key).precision);
  }
  if (field.kind === 'attribute' && typeof value === 'number') return formatTime(value);
  return cleanForTerminal(String(value), 40);
}

/**
 * The runs as an aligned table. `fields` are the extra columns (`--columns`); without them
 * the four most telling metrics are shown.
 */
export function renderRunTable(
  runs: readonly RunRecord[],
  config: GhmlConfig,
  options: { color: boolean; fields?: readonly FieldRef[] | undefined },
): string {
  if (runs.length === 0) return 'no runs';
  const extra = options.fields ?? metricColumns(runs, config);
  const header = [
    'RUN ID',
    'NAME',
    'EXPERIMENT',
    'STATUS',
    'COMMIT',
    'STARTED',
    'TIME',
    ...extra.map((f) =>
      cleanForTerminal(f.kind === 'metric' && !options.fields ? f.key : formatField(f), 30),
    ),
  ];
  const readers = extra.map((field) => fieldReader(field));
  const rows = runs.map((run) => [
    run.id,
    run.name === null ? '-' : cleanForTerminal(run.name, 24),
    cleanForTerminal(run.experiment, 30),
    run.status,
    run.source.commit.slice(0, 7) + (run.source.dirty ? '*' : ''),
    formatTime(run.startTime),
    formatDuration(run),
    ...extra.map((field, i) => cell(run, field, readers[i] as FieldReader, config)),
  ]);
  const right = header.map((_, i) => i === 6 || (i > 6 && extra[i - 7]?.kind === 'metric'));
  const paint = painter(options.color);
  const styles = [undefined, ...runs.map((run) => STATUS_STYLE[run.status])];
  return columns([header, ...rows], right, paint, styles, '').join('\n');
}

/**
 * The `--json` array. With `--columns`, each run's params, metrics and tags hold only the
 * keys the columns name (a kind not named is empty); every other field stays.
 */
export function runListJson(
  runs: readonly RunRecord[],
  fields?: readonly FieldRef[] | undefined,
): RunJsonView[] {
  const views = runs.map(runJsonView);
  if (fields === undefined) return views;
  const keys = columnKeys(fields);
  return views.map((view) => ({
    ...view,
    params: pickKeys(view.params, keys.params),
    metrics: pickKeys(view.metrics, keys.metrics),
    tags: pickKeys(view.tags, keys.tags),
  }));
}
