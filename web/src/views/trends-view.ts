/**
 * Trends: each experiment's objective metric along the main branch's history, one point per
 * commit (trend-points.ts decides which run's value a commit shows). The chart's x axis is
 * the commit's position on the branch; hovering names the commit and the exact value.
 */
import { decodeNumber } from '../../../src/tracking/run-record.js';
import { formatValue } from '../../../src/text/format-number.js';
import type { App, View } from '../app-context.js';
import { el, link, note, table } from '../dom.js';
import { commitUrl, settingsFor, shortSha } from '../page-format.js';
import { metricChart } from '../components/metric-chart.js';

export function trendsView(app: App, experiment: string | null): View {
  const element = el(
    'div',
    { class: 'view trends-view' },
    el('h1', {}, 'Trends'),
    note('Loading…'),
  );
  void app.data.trends().then(
    (trends) => {
      if (trends.experiments.length === 0) {
        element.replaceChildren(
          el('h1', {}, 'Trends'),
          note(
            `No experiment has a finished run on a commit of ${trends.branch}'s first-parent history (${trends.commits.length} commits read).`,
          ),
        );
        return;
      }
      const chosen =
        trends.experiments.find((e) => e.name === experiment) ?? trends.experiments[0]!;
      const select = el(
        'select',
        { id: 'trend-experiment', 'aria-label': 'Experiment' },
        ...trends.experiments.map((e) =>
          el('option', { value: e.name, selected: e.name === chosen.name }, e.name),
        ),
      );
      select.value = chosen.name;
      select.addEventListener('change', () =>
        app.navigate({ view: 'trends', experiment: select.value }),
      );
      const precision = settingsFor(app.data.manifest, chosen.name, chosen.objective).precision;
      const steps = Float64Array.from(chosen.points, (p) => p.commit);
      const values = Float64Array.from(chosen.points, (p) => decodeNumber(p.value) ?? Number.NaN);
      const times = Float64Array.from(
        chosen.points,
        (p) => (trends.commits[p.commit]?.date ?? 0) * 1000,
      );
      const rows = [...chosen.points].reverse().map((p) => {
        const commit = trends.commits[p.commit];
        const sha = commit?.sha ?? '';
        return [
          link(commitUrl(app.data.manifest, sha), shortSha(sha), { class: 'mono', title: sha }),
          commit ? new Date(commit.date * 1000).toISOString().slice(0, 10) : '-',
          commit?.subject ?? '',
          formatValue(decodeNumber(p.value) ?? Number.NaN, precision),
          link(`#/run/${p.runId}`, p.runId.slice(0, 10), { class: 'mono' }),
          String(p.runs),
        ];
      });
      element.replaceChildren(
        el('h1', {}, 'Trends'),
        el(
          'div',
          { class: 'toolbar' },
          el('label', { for: 'trend-experiment' }, 'Experiment '),
          select,
        ),
        el(
          'p',
          {},
          `${chosen.objective} (${chosen.direction === 'max' ? 'higher is better' : 'lower is better'}) along ${trends.branch}: `,
          `${chosen.points.length} commit(s) with runs out of ${trends.commits.length}. The x axis is the commit's position on the branch.`,
        ),
        metricChart(
          chosen.objective,
          [
            {
              label: chosen.name,
              series: { key: chosen.objective, step: steps, value: values, time: times },
            },
          ],
          900,
          260,
        ),
        table(
          ['Commit', 'Date', 'Subject', chosen.objective, 'Run', 'Runs'],
          rows,
          { class: 'trend-table', id: 'trend-table' },
          [false, false, false, true, false, true],
        ),
      );
    },
    () => element.replaceChildren(el('h1', {}, 'Trends'), note('This site has no trends data.')),
  );
  return { element };
}
