/**
 * One run: its identity and provenance (commit, branch, pull request, workflow run), params,
 * tags, metric summaries with their exact values, the metric charts, the artifacts (a link or
 * a download command) and the registry events that name it.
 */
import { matrixKeyOf } from '../../../src/compare/matrix-key.js';
import type { SiteRun } from '../../../src/site/data/run-shard-codec.js';
import type { SiteModelEvent } from '../../../src/site/data/site-data-format.js';
import { formatBytes, formatValue } from '../../../src/text/format-number.js';
import type { App, View } from '../app-context.js';
import { el, link, note, section, table } from '../dom.js';
import {
  commitUrl,
  exact,
  formatDuration,
  formatTime,
  pullUrl,
  releaseUrl,
  settingsFor,
  shellQuote,
  workflowUrlOf,
} from '../page-format.js';
import { metricChart } from '../components/metric-chart.js';

/** Charts drawn at once; the rest are listed to pick from. */
const FIRST_CHARTS = 6;

function keyValueTable(record: Record<string, string>, label: string, id: string): HTMLElement {
  const rows = Object.entries(record).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (rows.length === 0) return note(`No ${label}.`);
  return table(['Key', 'Value'], rows, { class: 'kv', id });
}

function facts(app: App, run: SiteRun): HTMLElement {
  const manifest = app.data.manifest;
  const pr = run.github?.prNumber;
  const items: Array<[string, HTMLElement | string]> = [
    ['Run id', el('span', { class: 'mono', id: 'run-id' }, run.id)],
    [
      'Experiment',
      link(
        `#/runs?filter=${encodeURIComponent(`experiment = '${run.experiment}'`)}`,
        run.experiment,
      ),
    ],
    [
      'Status',
      el(
        'span',
        { class: `badge ${run.status.toLowerCase()}` },
        run.exitCode === null ? run.status : `${run.status} (exit ${run.exitCode})`,
      ),
    ],
    ['Started', formatTime(run.startTime)],
    ['Duration', formatDuration(run)],
    [
      'Commit',
      el(
        'span',
        {},
        link(
          commitUrl(manifest, run.source.commit),
          el('span', { class: 'mono' }, run.source.commit),
        ),
        run.source.dirty ? ' (dirty work tree)' : '',
      ),
    ],
  ];
  if (run.source.branch !== null) items.push(['Branch', run.source.branch]);
  if (typeof pr === 'number') items.push(['Pull request', link(pullUrl(manifest, run), `#${pr}`)]);
  const workflow = workflowUrlOf(run);
  if (run.github !== null)
    items.push([
      'Workflow run',
      link(workflow, `${run.github.workflow || 'workflow'} ${run.github.runId}`),
    ]);
  const key = matrixKeyOf(run);
  if (key !== '') items.push(['Matrix key', key]);
  return el(
    'dl',
    { class: 'facts' },
    ...items.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]),
  );
}

function metricsTable(app: App, run: SiteRun): HTMLElement {
  const rows = Object.entries(run.metrics).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (rows.length === 0) return note('No metrics.');
  return table(
    ['Metric', 'Value', 'Exact', 'Min', 'Max', 'Step', 'Points'],
    rows.map(([key, m]) => [
      key,
      formatValue(m.value, settingsFor(app.data.manifest, run.experiment, key).precision),
      el('span', { class: 'mono' }, exact(m.value)),
      exact(m.min),
      exact(m.max),
      String(m.step),
      String(m.count),
    ]),
    { class: 'metrics', id: 'run-metrics' },
    [false, true, true, true, true, true, true],
  );
}

function artifactsTable(app: App, run: SiteRun): HTMLElement {
  if (run.artifacts.length === 0) return note('No artifacts.');
  const manifest = app.data.manifest;
  return table(
    ['Path', 'Size', 'sha256', 'Get it'],
    run.artifacts.map((a) => {
      let get: HTMLElement;
      if (a.stored && manifest.series.onDemand) {
        get = link(
          `artifacts/${run.id}/${a.path.split('/').map(encodeURIComponent).join('/')}`,
          'download',
        );
      } else if (a.stored || a.uri === undefined) {
        // `ghml runs get` finds the bytes (branch or artifact store) and checks their sha256.
        get = el('code', { class: 'command' }, `ghml runs get ${run.id} ${shellQuote(a.path)}`);
      } else {
        get = el(
          'span',
          {},
          link(a.uri, a.uri),
          ' · ',
          el('code', { class: 'command' }, `ghml runs get ${run.id} ${shellQuote(a.path)}`),
        );
      }
      return [
        a.path,
        formatBytes(a.size),
        el('span', { class: 'mono', title: a.sha256 }, a.sha256.slice(0, 12)),
        get,
      ];
    }),
    { class: 'artifacts' },
    [false, true, false, false],
  );
}

function eventsTable(
  app: App,
  events: readonly SiteModelEvent[],
  model: (e: SiteModelEvent) => string,
): HTMLElement {
  if (events.length === 0) return note('No registry event names this run.');
  return table(
    ['When', 'Model', 'Event', 'Version', 'Stage', 'Tag', 'By'],
    events.map((e) => [
      new Date(e.date * 1000).toISOString().slice(0, 16).replace('T', ' '),
      link(`#/models/${encodeURIComponent(model(e))}`, model(e)),
      e.event,
      e.version ?? '-',
      e.stage ?? '-',
      e.event === 'register' ? link(releaseUrl(app.data.manifest, e.tag), e.tag) : e.tag,
      e.author ?? '-',
    ]),
    { class: 'events', id: 'run-events' },
  );
}

async function charts(app: App, run: SiteRun, host: HTMLElement): Promise<void> {
  const manifest = app.data.manifest;
  if (run.series === 0 && !manifest.series.onDemand) {
    host.replaceChildren(
      note(
        `This build holds the full series of ${manifest.series.included} run(s) (the newest, and those with model versions); this run's summaries are above. `,
        el('code', {}, 'ghml ui'),
        " serves every run's series from git.",
      ),
    );
    return;
  }
  host.replaceChildren(note('Loading the series…'));
  const series = await app.data.series(run);
  if (series === undefined) {
    host.replaceChildren(note('The series could not be loaded.'));
    return;
  }
  if (series.length === 0) {
    host.replaceChildren(note('No metric series.'));
    return;
  }
  const grid = el('div', { class: 'charts' });
  const drawn = new Set<string>();
  const draw = (key: string): void => {
    const s = series.find((x) => x.key === key);
    if (s === undefined || drawn.has(key)) return;
    drawn.add(key);
    grid.appendChild(metricChart(key, [{ label: run.id.slice(0, 10), series: s }]));
  };
  const picker = el(
    'div',
    { class: 'chart-picker' },
    'Metrics: ',
    ...series.map((s) => {
      const box = el('input', {
        type: 'checkbox',
        checked: series.indexOf(s) < FIRST_CHARTS,
        'data-metric': s.key,
      });
      box.addEventListener('change', () => {
        if (box.checked) draw(s.key);
        else {
          drawn.delete(s.key);
          for (const figure of grid.querySelectorAll<HTMLElement>('figure.chart'))
            if (figure.dataset['metric'] === s.key) figure.remove();
        }
      });
      return el('label', { class: 'chooser-item' }, box, ' ', s.key);
    }),
  );
  host.replaceChildren(
    ...[
      run.series === 2
        ? note(
            "This build keeps a reduced set of this run's points (its series is over the per-run budget); ghml ui serves all of them.",
          )
        : null,
      series.length > 1 ? picker : null,
      grid,
    ].filter((x): x is HTMLElement => x !== null),
  );
  for (const s of series.slice(0, FIRST_CHARTS)) draw(s.key);
}

export function runView(app: App, id: string): View {
  const element = el(
    'div',
    { class: 'view run-view' },
    el('h1', {}, 'Run ', el('span', { class: 'mono' }, id)),
    note('Loading…'),
  );
  void (async () => {
    const run = await app.data.run(id);
    if (run === undefined) {
      element.replaceChildren(
        el('h1', {}, 'Run not found'),
        note(`No run ${id} on this site (deleted runs are not shown).`),
      );
      return;
    }
    const chartHost = el('div', { id: 'run-charts' });
    const eventsHost = el('div', {}, note('Loading the registry…'));
    const select = el('button', { type: 'button', id: 'select-run' });
    const label = (): void => {
      select.textContent = app.selection.has(run.id)
        ? 'Remove from comparison'
        : 'Add to comparison';
    };
    label();
    select.addEventListener('click', () => {
      app.selection.toggle(run.id);
      label();
    });
    element.replaceChildren(
      el('h1', {}, run.name ?? 'Run', ' ', el('span', { class: 'mono subtle' }, run.id)),
      el(
        'div',
        { class: 'toolbar' },
        select,
        link(
          '#/compare?runs=' +
            app.selection
              .list()
              .filter((x) => x !== run.id)
              .concat(run.id)
              .join(','),
          'Compare with the selection',
        ),
      ),
      facts(app, run),
      section('Metrics', metricsTable(app, run)),
      section('Charts', chartHost),
      section('Params', keyValueTable(run.params, 'params', 'run-params')),
      section('Tags', keyValueTable(run.tags, 'tags', 'run-tags')),
      section('Artifacts', artifactsTable(app, run)),
      section('Registry events', eventsHost),
    );
    void charts(app, run, chartHost);
    try {
      const models = await app.data.models();
      const events: Array<{ model: string; event: SiteModelEvent }> = [];
      for (const m of models.models)
        for (const e of m.events) if (e.runId === run.id) events.push({ model: m.name, event: e });
      const byEvent = new Map(events.map((x) => [x.event, x.model]));
      eventsHost.replaceChildren(
        eventsTable(
          app,
          events.map((x) => x.event),
          (e) => byEvent.get(e) ?? '',
        ),
      );
    } catch {
      eventsHost.replaceChildren(note('The registry could not be loaded.'));
    }
  })();
  return { element };
}
