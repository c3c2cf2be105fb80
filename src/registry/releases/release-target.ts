/**
 * Where a model's GitHub release goes: the client, the repository and the web URL. GitHub is
 * "reachable" only with a token and a repository, taken from GITHUB_REPOSITORY or from an
 * `origin` URL on github.com or on the GHES host of GITHUB_SERVER_URL / GITHUB_API_URL.
 * Otherwise the registry works on tags alone and says so in one line.
 */
import { createGitHubClient, type GitHubClient } from '../../github/github-client.js';
import { repoFromRemoteUrl, serverUrlOf } from '../../github/remote-repository.js';
import { tryParseRepository, type RepoRef } from '../../github/repo-ref.js';
import { tryResolveToken, type Env } from '../../github/token.js';

export { repoFromRemoteUrl };

/** A repository on GitHub that releases are written to and read from. */
export interface ReleaseTarget {
  client: GitHubClient;
  repo: RepoRef;
  /** Web URL of the server, e.g. https://github.com (for links and asset download URLs). */
  serverUrl: string;
}

/** The target, or why there is none (a sentence for a one-line note). */
export type ReleaseTargetResult = { target: ReleaseTarget } | { target: undefined; reason: string };

export interface ResolveReleaseTargetOptions {
  env: Env;
  /** Fetch URL of the remote (usually `origin`), when the repository has one. */
  remoteUrl: string | undefined;
  /** Test hook: builds the client (default createGitHubClient with the token and env). */
  createClient?: (token: string, env: Env) => GitHubClient;
}

/** Decides whether GitHub is reachable; never throws for a missing token or repository. */
export function resolveReleaseTarget(options: ResolveReleaseTargetOptions): ReleaseTargetResult {
  const { env } = options;
  const token = tryResolveToken({ env });
  const serverUrl = serverUrlOf(env);
  const fromEnv = tryParseRepository(env['GITHUB_REPOSITORY'] ?? '');
  const fromRemote =
    options.remoteUrl === undefined ? undefined : repoFromRemoteUrl(options.remoteUrl, env);
  const repo = fromEnv ?? fromRemote?.repo;
  if (repo === undefined) {
    return {
      target: undefined,
      reason: 'no GitHub repository (set GITHUB_REPOSITORY, or use a github.com origin)',
    };
  }
  if (token === undefined) {
    return { target: undefined, reason: 'no GitHub token (set GITHUB_TOKEN or GH_TOKEN)' };
  }
  const create =
    options.createClient ?? ((t: string, e: Env) => createGitHubClient({ token: t, env: e }));
  return {
    target: {
      client: create(token, env),
      repo,
      serverUrl: fromEnv === undefined ? (fromRemote?.serverUrl ?? serverUrl) : serverUrl,
    },
  };
}

/** `<server>/<owner>/<repo>/releases/download/<tag>/<asset>`: GitHub's browser download URL. */
export function releaseDownloadUrl(
  serverUrl: string,
  repo: RepoRef,
  tag: string,
  asset: string,
): string {
  const enc = encodeURIComponent;
  return `${serverUrl}/${enc(repo.owner)}/${enc(repo.repo)}/releases/download/${enc(tag)}/${enc(asset)}`;
}

/** `<api>/repos/<owner>/<repo>/releases/assets/<id>`: readable with a token in a private repository. */
export function releaseAssetApiUrl(target: ReleaseTarget, assetId: number): string {
  const enc = encodeURIComponent;
  const api = String(target.client.request.endpoint.DEFAULTS.baseUrl).replace(/\/+$/, '');
  return `${api}/repos/${enc(target.repo.owner)}/${enc(target.repo.repo)}/releases/assets/${assetId}`;
}

/** `<server>/<owner>/<repo>/releases/tag/<tag>`. */
export function releasePageUrl(serverUrl: string, repo: RepoRef, tag: string): string {
  const enc = encodeURIComponent;
  return `${serverUrl}/${enc(repo.owner)}/${enc(repo.repo)}/releases/tag/${enc(tag)}`;
}
