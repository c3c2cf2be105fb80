/**
 * The report site's page: loads the manifest, draws the navigation and mounts the view the
 * URL's hash names (site-links.ts). Keyboard: g then r/c/t/s/m goes to Runs, Compare, Trends,
 * Sweeps, Models; '/' focuses the filter; '?' shows the keys. Served by `ghml ui`, it also
 * notices new runs and offers to reload.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import {
  DEFAULT_ROUTE,
  formatSiteRoute,
  parseSiteRoute,
  type SiteRoute,
} from '../../src/site/site-links.js';
import { MANIFEST_PATH, type SiteManifest } from '../../src/site/data/site-data-format.js';
import { Selection, type App, type View } from './app-context.js';
import { SiteData } from './data.js';
import { el, note } from './dom.js';
import { compareView } from './views/compare-view.js';
import { modelsView } from './views/models-view.js';
import { runView } from './views/run-view.js';
import { runsView } from './views/runs-view.js';
import { sweepsView } from './views/sweeps-view.js';
import { trendsView } from './views/trends-view.js';

const NAV: Array<[SiteRoute['view'], string, string, string]> = [
  ['runs', 'Runs', '#/runs', 'r'],
  ['compare', 'Compare', '#/compare', 'c'],
  ['trends', 'Trends', '#/trends', 't'],
  ['sweeps', 'Sweeps', '#/sweeps', 's'],
  ['models', 'Models', '#/models', 'm'],
];

const KEYS: Array<[string, string]> = [
  ['g r / g c / g t / g s / g m', 'go to Runs, Compare, Trends, Sweeps, Models'],
  ['/', 'focus the filter (Runs)'],
  ['↑ ↓ or k j, PageUp PageDown, Home End', 'move in the runs table'],
  ['Enter', 'open the run'],
  ['Space or x', 'select the run for comparison'],
  ['?', 'show or hide this help'],
  ['Esc', 'leave a text box, close this help'],
];

function mountView(app: App, route: SiteRoute): View {
  switch (route.view) {
    case 'runs':
      return runsView(app, route);
    case 'run':
      return runView(app, route.id);
    case 'compare':
      return compareView(app, {
        runs: route.runs.length > 0 ? route.runs : [...app.selection.list()],
      });
    case 'compare-commits':
      return compareView(app, route);
    case 'trends':
      return trendsView(app, route.experiment);
    case 'sweeps':
      return sweepsView(app, route.experiment, route.commit);
    case 'models':
      return modelsView(app, route.model);
  }
}

function navKey(view: SiteRoute['view']): SiteRoute['view'] {
  if (view === 'run') return 'runs';
  if (view === 'compare-commits') return 'compare';
  return view;
}

async function start(): Promise<void> {
  const root = document.getElementById('app') as HTMLElement;
  let data: SiteData;
  try {
    data = await SiteData.load();
  } catch (error) {
    root.replaceChildren(
      el('h1', {}, 'ghml report'),
      note(`The site's data could not be loaded: ${(error as Error).message}`),
    );
    return;
  }
  const main = el('main', { id: 'main', tabindex: -1 });
  const links = NAV.map(([view, label, href, key]) =>
    el('a', { href, 'data-view': view, 'aria-keyshortcuts': `g ${key}` }, label),
  );
  const manifest = data.manifest;
  const help = el(
    'dialog',
    { id: 'help', 'aria-label': 'Keyboard shortcuts' },
    el('h2', {}, 'Keyboard'),
    el(
      'dl',
      { class: 'facts' },
      ...KEYS.flatMap(([k, v]) => [el('dt', {}, el('kbd', {}, k)), el('dd', {}, v)]),
    ),
    el('form', { method: 'dialog' }, el('button', {}, 'Close')),
  );
  const banner = el('div', { class: 'banner', role: 'status', hidden: true });
  root.replaceChildren(
    el('a', { href: '#main', class: 'skip' }, 'Skip to the content'),
    el(
      'header',
      {},
      el('span', { class: 'brand' }, 'ghml'),
      el('nav', { 'aria-label': 'Views' }, ...links),
      el(
        'span',
        { class: 'meta' },
        `${manifest.runCount.toLocaleString('en-US')} runs · ${manifest.tracking.branch}`,
        manifest.tracking.tip ? ` @ ${manifest.tracking.tip.slice(0, 7)}` : '',
        ' · ',
        el(
          'button',
          { type: 'button', class: 'link', onclick: () => help.showModal() },
          'Keys (?)',
        ),
      ),
    ),
    banner,
    ...manifest.warnings.slice(0, 5).map((w) => el('p', { class: 'warning' }, w)),
    main,
    help,
  );

  let current: View | undefined;
  const app: App = {
    data,
    selection: new Selection(),
    navigate(route, options = {}) {
      const hash = formatSiteRoute(route);
      if (options.replace) history.replaceState(null, '', hash);
      else history.pushState(null, '', hash);
      if (options.render !== false) render();
    },
  };
  const render = (): void => {
    const route = location.hash === '' ? DEFAULT_ROUTE : parseSiteRoute(location.hash);
    current?.dispose?.();
    current = mountView(app, route);
    main.replaceChildren(current.element);
    for (const a of links) {
      if (a.dataset['view'] === navKey(route.view)) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = `ghml · ${route.view === 'compare-commits' ? 'compare' : route.view}`;
  };
  window.addEventListener('hashchange', render);
  window.addEventListener('popstate', render);

  let pendingG = false;
  document.addEventListener('keydown', (event) => {
    const target = event.target as HTMLElement;
    const typing = target.closest('input, textarea, select, [contenteditable]') !== null;
    if (event.key === 'Escape' && typing) {
      target.blur();
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (pendingG) {
      pendingG = false;
      const found = NAV.find(([, , , key]) => key === event.key);
      if (found) {
        event.preventDefault();
        location.hash = found[2];
      }
      return;
    }
    if (event.key === 'g') pendingG = true;
    else if (event.key === '/' && current?.searchBox) {
      event.preventDefault();
      current.searchBox.focus();
    } else if (event.key === '?') {
      if (help.open) help.close();
      else help.showModal();
    }
  });

  if (manifest.series.onDemand) watchForNewRuns(manifest, banner);
  render();
}

/** Under `ghml ui`: looks at the manifest every few seconds and offers a reload when it changed. */
function watchForNewRuns(manifest: SiteManifest, banner: HTMLElement): void {
  const check = async (): Promise<void> => {
    try {
      const response = await fetch(MANIFEST_PATH, { cache: 'no-store' });
      const next = (await response.json()) as SiteManifest;
      if (next.generatedAt !== manifest.generatedAt) {
        banner.replaceChildren(
          `The runs changed (${next.runCount.toLocaleString('en-US')} runs now). `,
          el('button', { type: 'button', onclick: () => location.reload() }, 'Reload'),
        );
        banner.hidden = false;
        return;
      }
    } catch {
      // ghml ui stopped: keep showing what was loaded
    }
    setTimeout(() => void check(), 5000);
  };
  setTimeout(() => void check(), 5000);
}

void start();
