/**
 * The Runs view: every run in a virtualised table; filter with the MLflow grammar of
 * `ghml runs list --filter` (the same parser and predicate, bundled), sort by clicking a
 * column (`--order-by`'s clauses and tie-breaking), choose param/metric/tag columns, hide
 * columns whose values are all equal (diff only), select runs and compare them. The filter,
 * order and columns are in the URL. The newest shard renders first; the rest stream in.
 */
import { formatValue } from '../../../src/text/format-number.js';
import { compileRunFilter, parseRunFilter } from '../../../src/tracking/query/run-filter.js';
import { parseOrderBy, type OrderClause } from '../../../src/tracking/query/run-order.js';
import { formatField, type FieldRef } from '../../../src/tracking/query/run-query-fields.js';
import type { SiteRun } from '../../../src/site/data/run-shard-codec.js';
import type { KeyCount } from '../../../src/site/data/site-data-format.js';
import type { SiteRoute } from '../../../src/site/site-links.js';
import type { App, View } from '../app-context.js';
import { el, link, type Child } from '../dom.js';
import { formatDuration, formatTime, settingsFor, shortSha } from '../page-format.js';
import { VirtualTable, type TableColumn } from '../components/virtual-table.js';
import { RunSorter } from '../run-sort.js';

type RunsRoute = Extract<SiteRoute, { view: 'runs' }>;

const ROW_HEIGHT = 30;
/** The filter of a route whose filter or order does not parse: no run matches. */
const NOTHING = (): boolean => false;
/** At most this many keys of each kind are listed in the column chooser at once. */
const CHOOSER_LIMIT = 150;

/** A chosen column: 'm:<key>', 'p:<key>' or 't:<key>'. */
function fieldOfColumn(spec: string): FieldRef | undefined {
  const key = spec.slice(2);
  if (key === '') return undefined;
  if (spec.startsWith('m:')) return { kind: 'metric', key };
  if (spec.startsWith('p:')) return { kind: 'param', key };
  if (spec.startsWith('t:')) return { kind: 'tag', key };
  return undefined;
}

function readField(run: SiteRun, field: FieldRef): number | string | undefined {
  switch (field.kind) {
    case 'metric':
      return Object.hasOwn(run.metrics, field.key) ? run.metrics[field.key]?.value : undefined;
    case 'param':
      return Object.hasOwn(run.params, field.key) ? run.params[field.key] : undefined;
    case 'tag':
      return Object.hasOwn(run.tags, field.key) ? run.tags[field.key] : undefined;
    default:
      return undefined;
  }
}

/** The default columns: the 4 most common metrics (configured first), then 3 params. */
function defaultColumns(app: App): string[] {
  const configured = new Set(app.data.manifest.experiments.flatMap((e) => Object.keys(e.metrics)));
  const metrics = [...app.data.manifest.keys.metrics]
    .sort(
      (a, b) => Number(configured.has(b.key)) - Number(configured.has(a.key)) || b.runs - a.runs,
    )
    .slice(0, 4)
    .map((k) => `m:${k.key}`);
  const params = app.data.manifest.keys.params.slice(0, 3).map((k) => `p:${k.key}`);
  return [...metrics, ...params];
}

function sameField(a: FieldRef, b: FieldRef): boolean {
  return a.kind === b.kind && a.key === b.key;
}

export function runsView(app: App, given: RunsRoute): View {
  // The view changes its route as the filter, order and columns change: its own copy, never
  // the router's (DEFAULT_ROUTE is shared by every address that falls back to the runs).
  const route: RunsRoute = { ...given, columns: [...given.columns] };
  const manifest = app.data.manifest;
  let chosen = route.columns.length > 0 ? route.columns : defaultColumns(app);
  const status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const error = el('pre', { class: 'error', role: 'alert', hidden: true });
  const filterBox = el('input', {
    type: 'search',
    id: 'filter',
    class: 'filter',
    value: route.filter,
    spellcheck: 'false',
    autocomplete: 'off',
    placeholder: "metrics.accuracy > 0.9 and params.model = 'rf'",
    'aria-label': 'Filter runs (MLflow search grammar, as ghml runs list --filter)',
  });
  filterBox.value = route.filter;
  const diffBox = el('input', { type: 'checkbox', id: 'diff-only', checked: route.diffOnly });
  const compareButton = el('button', { type: 'button', id: 'compare-selected' });
  const clearButton = el('button', { type: 'button', id: 'clear-selection' }, 'Clear selection');

  let order: OrderClause[] = [];
  let predicate: ((run: SiteRun) => boolean) | undefined;
  let shown: SiteRun[] = [];
  let visibleColumns: string[] = chosen;
  // What a sort, a column change or the diff toggle does not change is kept between them: the
  // loaded runs (rebuilt when a shard arrives), the runs the filter matches with their sorter
  // (which keeps the tie order and the columns' values), and the columns that differ.
  let loadedShards = -1;
  let all: SiteRun[] = [];
  let matched:
    { predicate: typeof predicate; runs: SiteRun[]; sorter: RunSorter<SiteRun> } | undefined;
  let differs: { runs: SiteRun[]; chosen: string[]; columns: string[] } | undefined;
  let compiledFilter: string | undefined;
  let filterPredicate: typeof predicate;
  let filterError: string | undefined;

  const table = new VirtualTable<SiteRun>({
    rowHeight: ROW_HEIGHT,
    label: 'Runs',
    key: (run) => run.id,
    isSelected: (run) => app.selection.has(run.id),
    onToggle: (run) => app.selection.toggle(run.id),
    onOpen: (run) => app.navigate({ view: 'run', id: run.id }),
    onSort: (column) => sortBy(column.id),
  });

  const sortFieldOf = (id: string): FieldRef | undefined => {
    const attributes: Record<string, FieldRef> = {
      id: { kind: 'attribute', key: 'run_id' },
      experiment: { kind: 'attribute', key: 'experiment' },
      name: { kind: 'attribute', key: 'run_name' },
      status: { kind: 'attribute', key: 'status' },
      commit: { kind: 'attribute', key: 'commit' },
      started: { kind: 'attribute', key: 'start_time' },
    };
    return Object.hasOwn(attributes, id) ? attributes[id] : fieldOfColumn(id);
  };

  const sortBy = (id: string): void => {
    const field = sortFieldOf(id);
    if (field === undefined) return;
    const current = order[0];
    const descending =
      current && sameField(current.field, field)
        ? !current.descending
        : field.kind === 'metric' || id === 'started';
    update({ order: `${formatField(field)} ${descending ? 'DESC' : 'ASC'}` });
  };

  const sortedAs = (id: string): 'ascending' | 'descending' | undefined => {
    const field = sortFieldOf(id);
    const first = order[0];
    if (field === undefined || first === undefined || !sameField(first.field, field))
      return undefined;
    return first.descending ? 'descending' : 'ascending';
  };

  const columnsFor = (specs: readonly string[]): Array<TableColumn<SiteRun>> => {
    const base: Array<TableColumn<SiteRun>> = [
      {
        id: 'select',
        label: '',
        width: '2.2rem',
        cell: (run) =>
          el('input', {
            type: 'checkbox',
            tabindex: -1,
            checked: app.selection.has(run.id),
            'aria-label': `Select run ${run.id}`,
            onchange: () => app.selection.toggle(run.id),
          }),
      },
      {
        id: 'id',
        label: 'Run',
        width: '9rem',
        sortable: true,
        cell: (run) => link(`#/run/${run.id}`, run.id.slice(0, 10), { class: 'mono' }),
        title: (run) => run.id,
      },
      {
        id: 'experiment',
        label: 'Experiment',
        width: '9rem',
        sortable: true,
        cell: (run) => run.experiment,
      },
      {
        id: 'name',
        label: 'Name',
        width: '9rem',
        sortable: true,
        cell: (run) => run.name ?? '',
        title: (run) => run.name ?? '',
      },
      {
        id: 'status',
        label: 'Status',
        width: '6rem',
        sortable: true,
        cell: (run) => el('span', { class: `badge ${run.status.toLowerCase()}` }, run.status),
      },
      {
        id: 'commit',
        label: 'Commit',
        width: '5.5rem',
        sortable: true,
        cell: (run) =>
          el('span', { class: 'mono' }, shortSha(run.source.commit), run.source.dirty ? '*' : ''),
        title: (run) => run.source.commit,
      },
      {
        id: 'started',
        label: 'Started',
        width: '10.5rem',
        sortable: true,
        cell: (run) => formatTime(run.startTime),
      },
      {
        id: 'time',
        label: 'Time',
        width: '4.5rem',
        numeric: true,
        cell: (run) => formatDuration(run),
      },
    ];
    for (const spec of specs) {
      const field = fieldOfColumn(spec);
      if (field === undefined) continue;
      const prefix = field.kind === 'metric' ? '' : field.kind === 'param' ? 'param ' : 'tag ';
      base.push({
        id: spec,
        label: `${prefix}${field.key}`,
        width: '8rem',
        numeric: field.kind === 'metric',
        sortable: true,
        cell: (run): Child => {
          const value = readField(run, field);
          if (value === undefined) return '-';
          if (typeof value === 'number')
            return formatValue(value, settingsFor(manifest, run.experiment, field.key).precision);
          return value;
        },
        title: (run) => {
          const value = readField(run, field);
          return value === undefined ? '' : String(value);
        },
      });
    }
    for (const column of base) {
      const sorted = sortedAs(column.id);
      if (sorted !== undefined) column.sorted = sorted;
    }
    return base;
  };

  /** The chosen columns whose values are not the same in every run of `runs`. */
  const differing = (runs: readonly SiteRun[], specs: readonly string[]): string[] =>
    specs.filter((spec) => {
      const field = fieldOfColumn(spec);
      if (field === undefined || runs.length < 2) return true;
      const first = readField(runs[0] as SiteRun, field);
      for (let i = 1; i < runs.length; i++) {
        const value = readField(runs[i] as SiteRun, field);
        if (value !== first && !(Number.isNaN(value) && Number.isNaN(first))) return true;
      }
      return false;
    });

  const refreshCompare = (): void => {
    const n = app.selection.list().length;
    compareButton.textContent = `Compare selected (${n})`;
    compareButton.disabled = n < 2;
    clearButton.disabled = n === 0;
  };

  const apply = (): void => {
    if (app.data.loadedShards() !== loadedShards) {
      loadedShards = app.data.loadedShards();
      all = app.data.loadedRuns();
      matched = undefined;
    }
    if (matched === undefined || matched.predicate !== predicate) {
      const runs = predicate ? all.filter(predicate) : all;
      matched = { predicate, runs, sorter: new RunSorter(runs, (run) => run.order) };
    }
    shown = matched.sorter.sort(order);
    if (!route.diffOnly) visibleColumns = chosen;
    else {
      if (differs === undefined || differs.runs !== matched.runs || differs.chosen !== chosen)
        differs = { runs: matched.runs, chosen, columns: differing(matched.runs, chosen) };
      visibleColumns = differs.columns;
    }
    table.setColumns(columnsFor(visibleColumns));
    table.setRows(shown);
    const loading = app.data.loadedShards() < manifest.shards.length;
    const hidden = chosen.length - visibleColumns.length;
    status.textContent =
      `${shown.length.toLocaleString('en-US')} of ${all.length.toLocaleString('en-US')} runs` +
      (predicate ? ' match' : '') +
      (loading ? ` (loading ${app.data.loadedShards()} of ${manifest.shards.length} shards)` : '') +
      (hidden > 0 ? `; ${hidden} column(s) with equal values hidden` : '');
    status.dataset['matching'] = String(shown.length);
    status.dataset['loaded'] = String(all.length);
    status.dataset['complete'] = String(!loading);
  };

  const describe = (problem: unknown): string => {
    const e = problem as Error & { hint?: string };
    return `${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}`;
  };

  /**
   * Parses the route's order, and its filter when that changed (the same filter keeps its
   * predicate, so a sort does not filter again); a bad one is shown and matches nothing.
   */
  const compile = (): void => {
    if (route.filter !== compiledFilter) {
      compiledFilter = route.filter;
      filterError = undefined;
      try {
        filterPredicate =
          route.filter.trim() === '' ? undefined : compileRunFilter(parseRunFilter(route.filter));
      } catch (problem) {
        filterError = describe(problem);
        filterPredicate = NOTHING;
      }
    }
    let orderError: string | undefined;
    try {
      order = route.order.trim() === '' ? [] : parseOrderBy([route.order]);
    } catch (problem) {
      orderError = describe(problem);
      order = [];
    }
    predicate = orderError === undefined ? filterPredicate : NOTHING;
    const message = filterError ?? orderError;
    error.hidden = message === undefined;
    error.textContent = message ?? '';
  };

  const update = (change: Partial<RunsRoute>): void => {
    Object.assign(route, change);
    if (change.columns !== undefined)
      chosen = change.columns.length > 0 ? change.columns : defaultColumns(app);
    app.navigate({ ...route }, { replace: true, render: false });
    compile();
    apply();
  };

  let typing: ReturnType<typeof setTimeout> | undefined;
  filterBox.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => update({ filter: filterBox.value }), 300);
  });
  filterBox.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      clearTimeout(typing);
      update({ filter: filterBox.value });
    } else if (event.key === 'ArrowDown') {
      event.preventDefault();
      table.focus();
    }
  });
  diffBox.addEventListener('change', () => update({ diffOnly: diffBox.checked }));
  compareButton.addEventListener('click', () =>
    app.navigate({ view: 'compare', runs: [...app.selection.list()] }),
  );
  clearButton.addEventListener('click', () => app.selection.clear());

  const chooser = columnChooser(manifest.keys, chosen, (columns) => update({ columns }));

  const offSelection = app.selection.onChange(() => {
    refreshCompare();
    table.render();
  });
  let pending: ReturnType<typeof setTimeout> | undefined;
  const offShard = app.data.onShard(() => {
    // Re-sorting 100,000 runs on every shard would stall typing: at most every 400 ms.
    pending ??= setTimeout(() => {
      pending = undefined;
      apply();
    }, 400);
  });

  compile();
  refreshCompare();
  const element = el(
    'div',
    { class: 'view runs-view' },
    el('h1', {}, 'Runs'),
    el(
      'div',
      { class: 'toolbar' },
      el('label', { for: 'filter', class: 'visually-hidden' }, 'Filter'),
      filterBox,
      chooser,
      el('label', { class: 'toggle' }, diffBox, ' Differences only'),
      compareButton,
      clearButton,
    ),
    error,
    status,
    table.element,
  );
  queueMicrotask(apply);
  void app.data.shard(0).then(() => {
    apply();
    void app.data.allRuns().then(apply);
  });
  return {
    element,
    searchBox: filterBox,
    dispose() {
      offSelection();
      offShard();
      clearTimeout(typing);
      clearTimeout(pending);
    },
  };
}

/** The "Columns" menu: search keys, tick the ones to show. */
function columnChooser(
  keys: { params: KeyCount[]; metrics: KeyCount[]; tags: KeyCount[] },
  chosen: readonly string[],
  onChange: (columns: string[]) => void,
): HTMLElement {
  const current = new Set(chosen);
  const search = el('input', {
    type: 'search',
    placeholder: 'Find a key',
    'aria-label': 'Find a column key',
  });
  const list = el('div', { class: 'chooser-list' });
  const groups: Array<[string, 'm' | 'p' | 't', KeyCount[]]> = [
    ['Metrics', 'm', keys.metrics],
    ['Params', 'p', keys.params],
    ['Tags', 't', keys.tags],
  ];
  const render = (): void => {
    const needle = search.value.toLowerCase();
    list.replaceChildren(
      ...groups.map(([title, prefix, entries]) => {
        const matching = entries.filter((k) => k.key.toLowerCase().includes(needle));
        return el(
          'fieldset',
          {},
          el('legend', {}, `${title} (${matching.length})`),
          ...matching.slice(0, CHOOSER_LIMIT).map((k) => {
            const spec = `${prefix}:${k.key}`;
            const box = el('input', {
              type: 'checkbox',
              checked: current.has(spec),
              'data-column': spec,
            });
            box.addEventListener('change', () => {
              if (box.checked) current.add(spec);
              else current.delete(spec);
              onChange([...current]);
            });
            return el(
              'label',
              { class: 'chooser-item' },
              box,
              ' ',
              k.key,
              el('span', { class: 'count' }, ` ${k.runs}`),
            );
          }),
          matching.length > CHOOSER_LIMIT
            ? el(
                'p',
                { class: 'note' },
                `${matching.length - CHOOSER_LIMIT} more: refine the search`,
              )
            : null,
        );
      }),
    );
  };
  search.addEventListener('input', render);
  render();
  return el(
    'details',
    { class: 'chooser' },
    el('summary', {}, 'Columns'),
    el('div', { class: 'chooser-panel' }, search, list),
  );
}
