/**
 * GitHub's page-based pagination: `per_page` (default 30, at most 100) and `page` (from 1), with
 * a `Link` header carrying rel="prev", "next", "last" and "first" URLs, in GitHub's order.
 */
import type { RouteContext, RouteResult } from './route-context.js';

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 100;

/** One page of `items` as a 200 response with its `Link` header. */
export function paginate(context: RouteContext, items: unknown[]): RouteResult {
  const perPage = clamp(context.query['per_page'], DEFAULT_PER_PAGE, MAX_PER_PAGE);
  const page = clamp(context.query['page'], 1, Number.MAX_SAFE_INTEGER);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const body = items.slice((page - 1) * perPage, page * perPage);
  const link = linkHeader(context.url, page, lastPage);
  return { status: 200, body, headers: link === '' ? {} : { link } };
}

function clamp(value: unknown, fallback: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) return fallback;
  return Math.min(value, max);
}

/** The `Link` header for `page` of `lastPage`; empty when everything fits on one page. */
export function linkHeader(url: URL, page: number, lastPage: number): string {
  const at = (n: number): string => {
    const next = new URL(url);
    next.searchParams.set('page', String(n));
    return `<${next.toString()}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${at(Math.min(page - 1, lastPage))}; rel="prev"`);
  if (page < lastPage) {
    links.push(`${at(page + 1)}; rel="next"`);
    links.push(`${at(lastPage)}; rel="last"`);
  }
  if (page > 1) links.push(`${at(1)}; rel="first"`);
  return links.join(', ');
}
