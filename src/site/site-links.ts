/**
 * The report site's URL scheme: every view is a hash route, so a permalink works on any static
 * host (GitHub Pages has no rewrites) and the data folder stays the same for every view.
 *
 *   #/runs?filter=<expr>&order=<clause>&col=<field>&col=...&diff=1
 *   #/run/<run-id>
 *   #/compare?runs=<id>,<id>,...            the first run is the base of the others
 *   #/compare?base=<sha>&head=<sha>[&experiment=<name>]
 *   #/trends[?experiment=<name>]
 *   #/sweeps[?experiment=<name>&commit=<sha>]
 *   #/models   #/models/<model name>
 *
 * `parseSiteRoute` and `formatSiteRoute` are a pair: formatting a parsed route gives the same
 * route back. `siteCompareUrl` is what a PR comment links to. Browser-safe.
 */

export type SiteRoute =
  | { view: 'runs'; filter: string; order: string; columns: string[]; diffOnly: boolean }
  | { view: 'run'; id: string }
  | { view: 'compare'; runs: string[] }
  | { view: 'compare-commits'; base: string; head: string; experiment: string | null }
  | { view: 'trends'; experiment: string | null }
  | { view: 'sweeps'; experiment: string | null; commit: string | null }
  | { view: 'models'; model: string | null };

const RUN_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const SHA = /^[0-9a-f]{40}$/;

export const DEFAULT_ROUTE: SiteRoute = {
  view: 'runs',
  filter: '',
  order: '',
  columns: [],
  diffOnly: false,
};

function query(params: Array<[string, string]>): string {
  const search = new URLSearchParams(params).toString();
  return search === '' ? '' : `?${search}`;
}

/** The hash (with its leading '#') of a route. */
export function formatSiteRoute(route: SiteRoute): string {
  switch (route.view) {
    case 'runs': {
      const params: Array<[string, string]> = [];
      if (route.filter !== '') params.push(['filter', route.filter]);
      if (route.order !== '') params.push(['order', route.order]);
      for (const column of route.columns) params.push(['col', column]);
      if (route.diffOnly) params.push(['diff', '1']);
      return `#/runs${query(params)}`;
    }
    case 'run':
      return `#/run/${encodeURIComponent(route.id)}`;
    case 'compare':
      return `#/compare${query([['runs', route.runs.join(',')]])}`;
    case 'compare-commits': {
      const params: Array<[string, string]> = [
        ['base', route.base],
        ['head', route.head],
      ];
      if (route.experiment !== null) params.push(['experiment', route.experiment]);
      return `#/compare${query(params)}`;
    }
    case 'trends':
      return `#/trends${query(route.experiment === null ? [] : [['experiment', route.experiment]])}`;
    case 'sweeps': {
      const params: Array<[string, string]> = [];
      if (route.experiment !== null) params.push(['experiment', route.experiment]);
      if (route.commit !== null) params.push(['commit', route.commit]);
      return `#/sweeps${query(params)}`;
    }
    case 'models':
      return route.model === null ? '#/models' : `#/models/${encodeURIComponent(route.model)}`;
  }
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** The route a location hash names; anything unknown is the runs view. */
export function parseSiteRoute(hash: string): SiteRoute {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  const mark = text.indexOf('?');
  const path = mark < 0 ? text : text.slice(0, mark);
  const params = new URLSearchParams(mark < 0 ? '' : text.slice(mark + 1));
  const parts = path.split('/').filter((p) => p !== '');
  const [view, rest] = [parts[0] ?? 'runs', parts.slice(1).join('/')];
  switch (view) {
    case 'run': {
      const id = decode(rest)?.toUpperCase() ?? '';
      return RUN_ID.test(id) ? { view: 'run', id } : DEFAULT_ROUTE;
    }
    case 'compare': {
      const base = (params.get('base') ?? '').toLowerCase();
      const head = (params.get('head') ?? '').toLowerCase();
      if (SHA.test(base) && SHA.test(head))
        return { view: 'compare-commits', base, head, experiment: params.get('experiment') };
      const runs = (params.get('runs') ?? '')
        .split(',')
        .map((id) => id.trim().toUpperCase())
        .filter((id) => RUN_ID.test(id));
      return { view: 'compare', runs: [...new Set(runs)] };
    }
    case 'trends':
      return { view: 'trends', experiment: params.get('experiment') };
    case 'sweeps': {
      const commit = (params.get('commit') ?? '').toLowerCase();
      return {
        view: 'sweeps',
        experiment: params.get('experiment'),
        commit: SHA.test(commit) ? commit : null,
      };
    }
    case 'models': {
      const model = rest === '' ? null : (decode(rest) ?? null);
      return { view: 'models', model };
    }
    default:
      return {
        view: 'runs',
        filter: params.get('filter') ?? '',
        order: params.get('order') ?? '',
        columns: params.getAll('col'),
        diffOnly: params.get('diff') === '1',
      };
  }
}

/** The site URL with exactly one trailing slash; undefined unless it is http(s). */
export function normaliseSiteUrl(siteUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(siteUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  url.hash = '';
  url.search = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/**
 * The compare view of a PR's base and head commits on the report site at `siteUrl`: what the
 * PR comment links to. Undefined when `siteUrl` is not an http(s) URL or a sha is not a full
 * 40-hex sha (they come from the event payload, so they are checked).
 */
export function siteCompareUrl(
  siteUrl: string,
  commits: { base: string; head: string; experiment?: string },
): string | undefined {
  const root = normaliseSiteUrl(siteUrl);
  const base = commits.base.toLowerCase();
  const head = commits.head.toLowerCase();
  if (root === undefined || !SHA.test(base) || !SHA.test(head)) return undefined;
  return (
    root +
    formatSiteRoute({ view: 'compare-commits', base, head, experiment: commits.experiment ?? null })
  );
}

/** A run's page on the report site at `siteUrl`. */
export function siteRunUrl(siteUrl: string, runId: string): string | undefined {
  const root = normaliseSiteUrl(siteUrl);
  if (root === undefined || !RUN_ID.test(runId)) return undefined;
  return root + formatSiteRoute({ view: 'run', id: runId });
}

/**
 * Where GitHub Pages publishes a github.com repository's site: https://<owner>.github.io/<repo>/
 * (the `<owner>.github.io` repository itself is served at the root). Undefined for other
 * servers, whose Pages address depends on the installation.
 */
export function githubPagesUrl(serverUrl: string, owner: string, repo: string): string | undefined {
  if (serverUrl.replace(/\/+$/, '') !== 'https://github.com') return undefined;
  const host = `${owner.toLowerCase()}.github.io`;
  if (repo.toLowerCase() === host) return `https://${host}/`;
  return `https://${host}/${encodeURIComponent(repo)}/`;
}
