/**
 * Sweeps: an experiment's runs at one commit with several matrix keys. Parallel coordinates
 * over the params that vary and the objective, and the leaderboard `ghml compare` posts
 * (leaderboard.ts: the same objective, direction, order and ties).
 */
import { buildLeaderboard } from '../../../src/compare/leaderboard.js';
import { selectByKey } from '../../../src/compare/run-matcher.js';
import type { SiteRun } from '../../../src/site/data/run-shard-codec.js';
import type { SweepInfo } from '../../../src/site/data/site-data-format.js';
import { formatValue } from '../../../src/text/format-number.js';
import type { App, View } from '../app-context.js';
import { el, link, note, table } from '../dom.js';
import { formatTime, settingsFor, shortSha } from '../page-format.js';
import { parallelCoordinates } from '../components/parallel-coordinates.js';

/** Sweeps listed to pick from. */
const LISTED = 200;

async function sweepDetail(app: App, sweep: SweepInfo): Promise<HTMLElement> {
  const runs = (await Promise.all(sweep.runIds.map((id) => app.data.run(id)))).filter(
    (r): r is SiteRun => r !== undefined,
  );
  const pairs = [...selectByKey(runs)].map(([matrixKey, head]) => ({
    matrixKey,
    head,
    base: null,
  }));
  const objective =
    app.data.manifest.experiments.find((e) => e.name === sweep.experiment)?.objective ?? null;
  const settings = (key: string) => settingsFor(app.data.manifest, sweep.experiment, key);
  const board = buildLeaderboard(pairs, objective, (m) => settings(m).direction);
  if (board === null) return note('These runs have no metric to rank on.');
  const ranked = board.rows.map(
    (row) => pairs.find((p) => p.head.id === row.run.id)?.head as SiteRun,
  );
  const paramKeys = [...new Set(board.rows.flatMap((r) => Object.keys(r.params)))].sort();
  const axes = [
    ...paramKeys.map((key) => ({
      label: key,
      values: ranked.map((run) =>
        Object.hasOwn(run.params, key) ? (run.params[key] as string) : null,
      ),
    })),
    {
      label: board.objective,
      values: board.rows.map((r) =>
        r.objective !== null && Number.isFinite(r.objective) ? r.objective : null,
      ),
    },
  ];
  const n = Math.max(1, board.rows.length - 1);
  const chart = parallelCoordinates(
    axes,
    board.rows.map((r, i) => ({
      id: r.run.id,
      title: `#${r.rank} ${r.run.matrixKey} ${board.objective}=${String(r.objective)}`,
      rank: i / n,
    })),
    (id) => app.navigate({ view: 'run', id }),
  );
  const precision = settings(board.objective).precision;
  return el(
    'div',
    {},
    el(
      'h2',
      {},
      `${sweep.experiment} at `,
      el('span', { class: 'mono' }, shortSha(sweep.commit)),
      ` — ${board.rows.length} matrix keys`,
    ),
    el(
      'p',
      {},
      `Ranked on ${board.objective} (${board.direction === 'max' ? 'higher' : 'lower'} is better). Lines are coloured from the best (green) to the worst (red).`,
    ),
    el('div', { class: 'parallel-host' }, chart),
    table(
      ['#', 'Run', 'Matrix key', board.objective, ...paramKeys],
      board.rows.map((r) => [
        String(r.rank),
        link(`#/run/${r.run.id}`, r.run.id.slice(0, 10), { class: 'mono' }),
        r.run.matrixKey,
        formatValue(r.objective, precision),
        ...paramKeys.map((k) => (Object.hasOwn(r.params, k) ? (r.params[k] as string) : '-')),
      ]),
      { class: 'leaderboard', id: 'leaderboard' },
      [true, false, false, true],
    ),
    el(
      'p',
      {},
      link(
        `#/compare?runs=${board.rows
          .slice(0, 5)
          .map((r) => r.run.id)
          .join(',')}`,
        'Compare the top runs',
      ),
    ),
  );
}

export function sweepsView(app: App, experiment: string | null, commit: string | null): View {
  const element = el(
    'div',
    { class: 'view sweeps-view' },
    el('h1', {}, 'Sweeps'),
    note('Loading…'),
  );
  void app.data.sweeps().then(async (file) => {
    const sweeps = file.sweeps.filter((s) => experiment === null || s.experiment === experiment);
    if (sweeps.length === 0) {
      element.replaceChildren(
        el('h1', {}, 'Sweeps'),
        note('No sweep: no experiment has runs with several matrix keys at one commit.'),
      );
      return;
    }
    const chosen = sweeps.find((s) => s.commit === commit) ?? sweeps[0]!;
    const list = el(
      'ul',
      { class: 'sweep-list' },
      ...sweeps
        .slice(0, LISTED)
        .map((s) =>
          el(
            'li',
            { class: s === chosen ? 'current' : undefined },
            link(
              `#/sweeps?experiment=${encodeURIComponent(s.experiment)}&commit=${s.commit}`,
              `${s.experiment} @ ${shortSha(s.commit)}`,
            ),
            ` ${s.runIds.length} runs, ${formatTime(s.time)}`,
          ),
        ),
    );
    const detail = el('div', { class: 'sweep-detail' }, note('Loading the sweep…'));
    element.replaceChildren(
      el('h1', {}, 'Sweeps'),
      el('div', { class: 'split' }, el('nav', { 'aria-label': 'Sweeps' }, list), detail),
    );
    detail.replaceChildren(await sweepDetail(app, chosen));
  });
  return { element };
}
