/**
 * Models: every model of the registry (git tags in GTO's grammar) with its latest version and
 * stages; one model's versions, current stages and full event history, with links to the
 * GitHub releases and to the runs the versions were built from.
 */
import type { SiteModel } from '../../../src/site/data/site-data-format.js';
import type { App, View } from '../app-context.js';
import { el, link, note, section, table } from '../dom.js';
import { commitUrl, releaseUrl, shortSha } from '../page-format.js';

function when(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

function modelDetail(app: App, model: SiteModel): HTMLElement[] {
  const manifest = app.data.manifest;
  return [
    el(
      'h1',
      {},
      'Model ',
      model.name,
      model.deprecated ? el('span', { class: 'badge killed' }, ' deprecated') : null,
    ),
    el('p', {}, 'Latest: ', model.latest ?? '-'),
    section(
      'Versions',
      model.versions.length === 0
        ? note('No registered version.')
        : table(
            ['Version', 'Commit', 'Stages', 'Registered', 'By', 'Run', 'Release'],
            model.versions.map((v) => [
              el(
                'span',
                { class: v.active ? undefined : 'strike' },
                v.version,
                v.active ? '' : ' (deregistered)',
              ),
              link(commitUrl(manifest, v.commit), shortSha(v.commit), { class: 'mono' }),
              v.stages.join(', ') || '-',
              when(v.registeredAt),
              v.registeredBy ?? '-',
              v.runId === null
                ? '-'
                : link(`#/run/${encodeURIComponent(v.runId)}`, v.runId.slice(0, 10), {
                    class: 'mono',
                  }),
              link(releaseUrl(manifest, v.tag), v.tag),
            ]),
            { class: 'versions', id: 'model-versions' },
          ),
    ),
    section(
      'Stages',
      model.stages.length === 0
        ? note('No stage was ever assigned.')
        : table(
            ['Stage', 'Current'],
            model.stages.map((s) => [s.stage, s.current ?? '-']),
            { class: 'stages', id: 'model-stages' },
          ),
    ),
    section(
      'History',
      table(
        ['When', 'Event', 'Version', 'Stage', 'Tag', 'By', 'Message'],
        [...model.events]
          .reverse()
          .map((e) => [
            when(e.date),
            e.event,
            e.version ?? '-',
            e.stage ?? '-',
            e.event === 'register' ? link(releaseUrl(manifest, e.tag), e.tag) : e.tag,
            e.author ?? '-',
            e.summary,
          ]),
        { class: 'history', id: 'model-history' },
      ),
    ),
  ];
}

export function modelsView(app: App, name: string | null): View {
  const element = el(
    'div',
    { class: 'view models-view' },
    el('h1', {}, 'Models'),
    note('Loading…'),
  );
  void app.data.models().then(
    (file) => {
      if (name !== null) {
        const model = file.models.find((m) => m.name === name);
        element.replaceChildren(
          ...(model
            ? modelDetail(app, model)
            : [el('h1', {}, 'Model not found'), note(`No model named ${name}.`)]),
        );
        return;
      }
      const stageNames = [
        ...new Set(file.models.flatMap((m) => m.stages.map((s) => s.stage))),
      ].sort();
      element.replaceChildren(
        el('h1', {}, 'Models'),
        file.models.length === 0
          ? note('No model is registered yet (ghml model register).')
          : table(
              ['Model', 'Latest', 'Versions', ...stageNames],
              file.models.map((m) => [
                link(`#/models/${encodeURIComponent(m.name)}`, m.name),
                m.latest ?? '-',
                String(m.versions.length),
                ...stageNames.map((s) => m.stages.find((x) => x.stage === s)?.current ?? '-'),
              ]),
              { class: 'models', id: 'models-table' },
            ),
        ...file.warnings.slice(0, 20).map((w) => note(w)),
      );
    },
    () => element.replaceChildren(el('h1', {}, 'Models'), note('This site has no registry data.')),
  );
  return { element };
}
