/**
 * Compare: two or more runs (the first is the base of the others), or the runs of two commits
 * matched per experiment and matrix key as `ghml compare` matches them (the base commit's
 * FINISHED runs; run-matcher.ts). Metric diffs use compare's own code (metric-diff.ts): the
 * same Δ, Δ%, verdicts and thresholds from ghml.yml. A PR comment links here for its base and
 * head commits (site-links.ts `siteCompareUrl`).
 */
import { buildLeaderboard } from '../../../src/compare/leaderboard.js';
import { diffMetrics } from '../../../src/compare/metric-diff.js';
import { diffParams } from '../../../src/compare/param-diff.js';
import { matchRuns } from '../../../src/compare/run-matcher.js';
import type { MetricDiff } from '../../../src/compare/comparison-types.js';
import { verdictWords } from '../../../src/report/verdict-summary.js';
import type { SiteRun } from '../../../src/site/data/run-shard-codec.js';
import type { RunRecord } from '../../../src/tracking/run-record.js';
import { formatDelta, formatPercent, formatValue } from '../../../src/text/format-number.js';
import type { App, View } from '../app-context.js';
import { el, link, note, section, table, type Child } from '../dom.js';
import { commitUrl, settingsFor, shortSha } from '../page-format.js';
import { metricChart, type ChartLine } from '../components/metric-chart.js';

/** Overlaid charts drawn at most. */
const MAX_CHARTS = 6;

function runLink(run: RunRecord): HTMLElement {
  return link(`#/run/${run.id}`, run.id.slice(0, 10), { class: 'mono', title: run.id });
}

function verdictCell(diff: MetricDiff): HTMLElement {
  return el('span', { class: `verdict ${diff.verdict}` }, verdictWords(diff.verdict));
}

function settingsOf(app: App, experiment: string) {
  return (key: string) => settingsFor(app.data.manifest, experiment, key);
}

async function overlaidCharts(
  app: App,
  runs: readonly SiteRun[],
  label: (run: SiteRun) => string,
): Promise<HTMLElement> {
  const loaded = await Promise.all(runs.map((run) => app.data.series(run)));
  if (loaded.every((s) => s === undefined)) {
    return note(
      'The series of these runs are not in this build (see the run pages); ghml ui serves them.',
    );
  }
  const keys: string[] = [];
  for (const series of loaded)
    for (const s of series ?? []) if (!keys.includes(s.key)) keys.push(s.key);
  const charts = keys.slice(0, MAX_CHARTS).map((key) => {
    const lines: ChartLine[] = [];
    runs.forEach((run, i) => {
      const s = loaded[i]?.find((x) => x.key === key);
      if (s !== undefined) lines.push({ label: label(run), series: s });
    });
    return metricChart(key, lines);
  });
  return el(
    'div',
    { class: 'charts' },
    ...charts,
    keys.length > MAX_CHARTS ? note(`${keys.length - MAX_CHARTS} more metrics not drawn.`) : null,
  );
}

function compareRunsSection(
  app: App,
  runs: readonly SiteRun[],
  onlyChanged: HTMLInputElement,
): HTMLElement[] {
  const [base, ...others] = runs as [SiteRun, ...SiteRun[]];
  const header: Child[] = [
    '',
    ...runs.map((run, i) => el('span', {}, i === 0 ? 'base ' : '', runLink(run))),
  ];
  const identity = table(
    header,
    [
      ['Experiment', ...runs.map((r) => r.experiment)],
      ['Name', ...runs.map((r) => r.name ?? '-')],
      ['Status', ...runs.map((r) => r.status)],
      [
        'Commit',
        ...runs.map((r) =>
          link(commitUrl(app.data.manifest, r.source.commit), shortSha(r.source.commit), {
            class: 'mono',
          }),
        ),
      ],
    ],
    { class: 'identity' },
  );

  const diffs = others.map((run) =>
    diffMetrics(base.metrics, run.metrics, settingsOf(app, run.experiment)),
  );
  const keys = [
    ...new Set(diffs.flatMap((d) => d.map((x) => x.key)).concat(Object.keys(base.metrics))),
  ].sort();
  const metricHeader: Child[] = ['Metric', 'base'];
  others.forEach((run) => metricHeader.push(run.id.slice(0, 10), 'Δ', 'Δ%', 'verdict'));
  const metricRows = keys.map((key) => {
    const precision = settingsFor(app.data.manifest, base.experiment, key).precision;
    const row: Child[] = [
      key,
      Object.hasOwn(base.metrics, key)
        ? formatValue(base.metrics[key]?.value ?? null, precision)
        : '-',
    ];
    diffs.forEach((d) => {
      const diff = d.find((x) => x.key === key);
      if (diff === undefined) row.push('-', '-', '-', '-');
      else
        row.push(
          formatValue(diff.head, diff.precision),
          formatDelta(diff.delta, diff.precision),
          formatPercent(diff.deltaPercent),
          verdictCell(diff),
        );
    });
    return row;
  });
  const numeric = metricHeader.map((_, i) => i > 0 && (i - 2) % 4 !== 3);
  const metrics = table(
    metricHeader,
    metricRows,
    { class: 'compare-metrics', id: 'compare-metrics' },
    numeric,
  );

  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const params = el('div', {});
  const renderParams = (): void => {
    const rows = paramKeys
      .map((key) => {
        const values = runs.map((r) =>
          Object.hasOwn(r.params, key) ? (r.params[key] as string) : null,
        );
        const changed = others.some((_, i) =>
          diffParams(base.params, runs[i + 1]?.params ?? {}).changed.some((c) => c.key === key),
        );
        return { key, values, changed };
      })
      .filter((row) => !onlyChanged.checked || row.changed);
    params.replaceChildren(
      rows.length === 0
        ? note(onlyChanged.checked ? 'No param differs.' : 'No params.')
        : table(
            ['Param', ...runs.map((r) => r.id.slice(0, 10))],
            rows.map((row) => [
              row.key,
              ...row.values.map((v, i) =>
                el(
                  'span',
                  { class: i > 0 && v !== row.values[0] ? 'changed' : undefined },
                  v ?? '-',
                ),
              ),
            ]),
            { class: 'compare-params', id: 'compare-params' },
          ),
    );
  };
  onlyChanged.addEventListener('change', renderParams);
  renderParams();
  const charts = el('div', {}, note('Loading the series…'));
  void overlaidCharts(app, runs, (r) => r.id.slice(0, 10)).then((node) =>
    charts.replaceChildren(node),
  );
  return [
    identity,
    section('Metrics', metrics),
    section('Params', el('label', { class: 'toggle' }, onlyChanged, ' Differences only'), params),
    section('Charts', charts),
  ];
}

async function compareCommits(
  app: App,
  baseSha: string,
  headSha: string,
  experiment: string | null,
): Promise<HTMLElement[]> {
  const [baseRuns, headRuns] = await Promise.all([
    app.data.runsAtCommit(baseSha),
    app.data.runsAtCommit(headSha),
  ]);
  const manifest = app.data.manifest;
  const experiments = [...new Set(headRuns.map((r) => r.experiment))]
    .filter((e) => experiment === null || e === experiment)
    .sort();
  const out: HTMLElement[] = [
    el(
      'p',
      {},
      'Base ',
      link(commitUrl(manifest, baseSha), shortSha(baseSha), { class: 'mono' }),
      ` (${baseRuns.length} run(s)) → head `,
      link(commitUrl(manifest, headSha), shortSha(headSha), { class: 'mono' }),
      ` (${headRuns.length} run(s))`,
    ),
  ];
  if (experiments.length === 0) {
    out.push(
      note(
        `No run${experiment === null ? '' : ` of ${experiment}`} at the head commit on this site.`,
      ),
    );
    return out;
  }
  for (const name of experiments) {
    const heads = headRuns.filter((r) => r.experiment === name);
    const bases = baseRuns.filter((r) => r.experiment === name && r.status === 'FINISHED');
    const match = matchRuns(heads, bases);
    const settings = settingsOf(app, name);
    const block = el(
      'section',
      { class: 'experiment', 'data-experiment': name },
      el('h2', {}, name),
    );
    if (bases.length === 0)
      block.appendChild(
        note('No FINISHED run of this experiment at the base commit: every metric is new.'),
      );
    for (const pair of match.pairs) {
      const diffs = diffMetrics(pair.base?.metrics ?? null, pair.head.metrics, settings);
      const params = diffParams(pair.base?.params ?? null, pair.head.params);
      block.appendChild(
        el(
          'div',
          { class: 'pair' },
          el(
            'h3',
            {},
            pair.matrixKey === '' ? 'Run ' : `${pair.matrixKey}: `,
            pair.base ? runLink(pair.base) : 'no base',
            ' → ',
            runLink(pair.head),
          ),
          table(
            ['Metric', 'base', 'head', 'Δ', 'Δ%', 'verdict'],
            diffs.map((d) => [
              d.key,
              formatValue(d.base, d.precision),
              formatValue(d.head, d.precision),
              formatDelta(d.delta, d.precision),
              formatPercent(d.deltaPercent),
              verdictCell(d),
            ]),
            { class: 'compare-metrics' },
            [false, true, true, true, true, false],
          ),
          params.changed.length === 0
            ? note(
                pair.base === null
                  ? ''
                  : `Params: none changed, ${params.unchangedCount} unchanged.`,
              )
            : table(
                ['Param', 'base', 'head'],
                params.changed.map((c) => [c.key, c.base ?? '-', c.head ?? '-']),
                { class: 'compare-params' },
              ),
        ),
      );
      const charts = el('div', {});
      block.appendChild(charts);
      const pairRuns = pair.base
        ? [pair.base as SiteRun, pair.head as SiteRun]
        : [pair.head as SiteRun];
      void overlaidCharts(app, pairRuns, (r) => (r === pair.base ? 'base' : 'head')).then((node) =>
        charts.replaceChildren(node),
      );
    }
    const leaderboard = buildLeaderboard(
      match.pairs,
      manifest.experiments.find((e) => e.name === name)?.objective ?? null,
      (m) => settings(m).direction,
    );
    if (leaderboard !== null) {
      block.appendChild(
        el(
          'div',
          {},
          el('h3', {}, `Leaderboard on ${leaderboard.objective} (${leaderboard.direction})`),
          table(
            ['#', 'Run', 'Matrix key', leaderboard.objective],
            leaderboard.rows.map((r) => [
              String(r.rank),
              link(`#/run/${r.run.id}`, r.run.id.slice(0, 10)),
              r.run.matrixKey,
              formatValue(r.objective, settings(leaderboard.objective).precision),
            ]),
            { class: 'leaderboard' },
            [true, false, false, true],
          ),
        ),
      );
    }
    for (const missing of match.missing)
      block.appendChild(
        note(`Matrix key ${missing.matrixKey}: the base has a run, the head has none.`),
      );
    out.push(block);
  }
  return out;
}

export function compareView(
  app: App,
  route: { runs: string[] } | { base: string; head: string; experiment: string | null },
): View {
  const element = el(
    'div',
    { class: 'view compare-view' },
    el('h1', {}, 'Compare'),
    note('Loading…'),
  );
  void (async () => {
    if ('base' in route) {
      const parts = await compareCommits(app, route.base, route.head, route.experiment);
      element.replaceChildren(el('h1', {}, 'Compare commits'), ...parts);
      return;
    }
    const runs = (await Promise.all(route.runs.map((id) => app.data.run(id)))).filter(
      (r): r is SiteRun => r !== undefined,
    );
    if (runs.length < 2) {
      element.replaceChildren(
        el('h1', {}, 'Compare'),
        note(
          'Pick two or more runs: tick them in the ',
          link('#/runs', 'Runs'),
          ' view (Space or x on a row), then press “Compare selected”.',
        ),
        note(
          runs.length < route.runs.length
            ? `${route.runs.length - runs.length} of the runs in the link are not on this site.`
            : '',
        ),
      );
      return;
    }
    const onlyChanged = el('input', { type: 'checkbox', id: 'params-diff-only', checked: true });
    element.replaceChildren(
      el('h1', {}, `Compare ${runs.length} runs`),
      ...compareRunsSection(app, runs, onlyChanged),
    );
  })();
  return { element };
}
