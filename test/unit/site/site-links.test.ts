import { describe, expect, it } from 'vitest';
import {
  formatSiteRoute,
  githubPagesUrl,
  parseSiteRoute,
  siteCompareUrl,
  siteRunUrl,
  type SiteRoute,
} from '../../../src/site/site-links.js';

const A = 'a'.repeat(40);
const B = '0123456789abcdef0123456789abcdef01234567';
const RUN = '01JGFJMSK0PCN4TKG3PW1M4FKZ';

describe('site routes', () => {
  it.each<SiteRoute>([
    { view: 'runs', filter: '', order: '', columns: [], diffOnly: false },
    {
      view: 'runs',
      filter: "metrics.acc > 0.9 and params.m = 'a&b=c#d'",
      order: 'metrics.acc DESC',
      columns: ['m:acc', 'p:a,b', 't:<x>'],
      diffOnly: true,
    },
    { view: 'run', id: RUN },
    { view: 'compare', runs: [RUN, '01JGFJPM60F5908CGC2Q2CXT73'] },
    { view: 'compare-commits', base: A, head: B, experiment: null },
    { view: 'compare-commits', base: A, head: B, experiment: 'iris' },
    { view: 'trends', experiment: 'iris' },
    { view: 'trends', experiment: null },
    { view: 'sweeps', experiment: 'iris', commit: B },
    { view: 'models', model: null },
    { view: 'models', model: 'team/iris' },
  ])('formats and parses back %j', (route) => {
    expect(parseSiteRoute(formatSiteRoute(route))).toEqual(route);
  });

  it('falls back to the runs view for anything it does not know', () => {
    expect(parseSiteRoute('#/run/not-an-id').view).toBe('runs');
    expect(parseSiteRoute('#/nowhere').view).toBe('runs');
    expect(parseSiteRoute('#/models/%E0%A4%A')).toEqual({ view: 'models', model: null });
    expect(parseSiteRoute('#/compare?runs=bad,' + RUN.toLowerCase())).toEqual({
      view: 'compare',
      runs: [RUN],
    });
  });
});

describe('siteCompareUrl (what a PR comment links to)', () => {
  it('links the compare view of two full shas', () => {
    expect(siteCompareUrl('https://acme.github.io/iris', { base: A, head: B.toUpperCase() })).toBe(
      `https://acme.github.io/iris/#/compare?base=${A}&head=${B}`,
    );
    expect(
      siteCompareUrl('https://x.test/r/?q=1#h', { base: A, head: B, experiment: 'iris' }),
    ).toBe(`https://x.test/r/#/compare?base=${A}&head=${B}&experiment=iris`);
  });

  it.each([
    ['javascript:alert(1)', A, B],
    ['https://user:pw@x.test/', A, B],
    ['https://x.test/', 'main', B],
    ['https://x.test/', A, `${B.slice(0, 39)}`],
  ])('refuses %s %s %s', (site, base, head) => {
    expect(siteCompareUrl(site, { base, head })).toBeUndefined();
  });

  it('links runs and knows the Pages address of a github.com repository', () => {
    expect(siteRunUrl('https://a.test/s', RUN)).toBe(`https://a.test/s/#/run/${RUN}`);
    expect(siteRunUrl('https://a.test/s', 'x')).toBeUndefined();
    expect(githubPagesUrl('https://github.com', 'Acme', 'iris')).toBe(
      'https://acme.github.io/iris/',
    );
    expect(githubPagesUrl('https://github.com', 'acme', 'Acme.github.io')).toBe(
      'https://acme.github.io/',
    );
    expect(githubPagesUrl('https://ghe.example.com', 'acme', 'iris')).toBeUndefined();
  });
});
