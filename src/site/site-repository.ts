/**
 * The GitHub repository the site's web links point at (commits, pull requests, releases):
 * GITHUB_REPOSITORY and GITHUB_SERVER_URL in Actions, else the remote's URL when it is on
 * github.com or the GHES host the environment names (release-target.ts's rule). Null when
 * neither: the site then shows shas and tags without links.
 */
import { tryParseRepository } from '../github/repo-ref.js';
import { repoFromRemoteUrl } from '../registry/releases/release-target.js';
import type { SiteRepository } from './data/site-data-format.js';

export function siteRepository(
  env: Readonly<Record<string, string | undefined>>,
  remoteUrl: string | undefined,
): SiteRepository | null {
  const fromEnv = tryParseRepository(env['GITHUB_REPOSITORY'] ?? '');
  if (fromEnv !== undefined) {
    const server =
      (env['GITHUB_SERVER_URL'] ?? '').trim().replace(/\/+$/, '') || 'https://github.com';
    if (!/^https?:\/\/[^/?#@]+$/.test(server)) return null;
    return { serverUrl: server, owner: fromEnv.owner, repo: fromEnv.repo };
  }
  if (remoteUrl === undefined) return null;
  const found = repoFromRemoteUrl(remoteUrl, env);
  return found === undefined
    ? null
    : { serverUrl: found.serverUrl, owner: found.repo.owner, repo: found.repo.repo };
}
