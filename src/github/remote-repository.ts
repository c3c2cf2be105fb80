/**
 * Which GitHub repository a command works on: `--github-repository`, else `GITHUB_REPOSITORY`,
 * else the repository the remote's URL names when it is on github.com or on the GitHub
 * Enterprise Server host that GITHUB_SERVER_URL / GITHUB_API_URL name. Never a guess: a remote
 * elsewhere (GitLab, a file path) names no repository.
 */
import { UsageError } from '../errors/ghml-error.js';
import { parseRepository, tryParseRepository, type RepoRef } from './repo-ref.js';
import type { Env } from './token.js';

/** No repository given and none to read from the environment or the remote. */
export class MissingRepositoryError extends UsageError {
  constructor(remote: string) {
    super(`ghml does not know which GitHub repository to post to.`, {
      hint: `set the environment variable GITHUB_REPOSITORY=owner/name, pass --github-repository owner/name, or add a github.com '${remote}' remote`,
    });
    this.name = 'MissingRepositoryError';
  }
}

/** The repository: explicit, then GITHUB_REPOSITORY, then the remote URL. */
export function resolveRepository(options: {
  explicit: string | undefined;
  env: Env;
  remote: string;
  remoteUrl: string | undefined;
}): RepoRef {
  if (options.explicit !== undefined) return parseRepository(options.explicit);
  const fromEnv = (options.env['GITHUB_REPOSITORY'] ?? '').trim();
  if (fromEnv !== '') return parseRepository(fromEnv);
  const fromRemote =
    options.remoteUrl === undefined ? undefined : repoFromRemoteUrl(options.remoteUrl, options.env);
  if (fromRemote === undefined) throw new MissingRepositoryError(options.remote);
  return fromRemote.repo;
}

/** The web URL of the GitHub server: GITHUB_SERVER_URL, else https://github.com. */
export function serverUrlOf(env: Env): string {
  const value = (env['GITHUB_SERVER_URL'] ?? '').trim() || 'https://github.com';
  return value.replace(/\/+$/, '');
}

/** Hosts a remote may be on: github.com, plus the GHES host the environment names. */
function knownHosts(env: Env): Set<string> {
  const hosts = new Set(['github.com']);
  for (const key of ['GITHUB_SERVER_URL', 'GITHUB_API_URL']) {
    try {
      const value = env[key];
      if (value) hosts.add(new URL(value).hostname.toLowerCase());
    } catch {
      // Not a URL: ignored, the client reports a bad GITHUB_API_URL itself.
    }
  }
  return hosts;
}

/**
 * The repository a remote URL names, when it is on a known GitHub host: https://host/o/r(.git),
 * ssh://git@host/o/r.git or the scp form git@host:o/r.git.
 */
export function repoFromRemoteUrl(
  url: string,
  env: Env = {},
): { repo: RepoRef; serverUrl: string } | undefined {
  const text = url.trim();
  let host: string;
  let path: string;
  const scp = /^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):(?!\/)(.+)$/.exec(text);
  if (scp) {
    host = scp[1] ?? '';
    path = scp[2] ?? '';
  } else {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      return undefined;
    }
    if (!['https:', 'http:', 'ssh:', 'git:'].includes(parsed.protocol)) return undefined;
    host = parsed.hostname;
    path = parsed.pathname.replace(/^\/+/, '');
  }
  host = host.toLowerCase();
  if (!knownHosts(env).has(host)) return undefined;
  const repo = tryParseRepository(path.replace(/\/+$/, '').replace(/\.git$/, ''));
  if (repo === undefined) return undefined;
  const serverUrl = host === 'github.com' ? 'https://github.com' : serverUrlOf(env);
  return { repo, serverUrl };
}
