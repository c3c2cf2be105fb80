/**
 * Opens what registry operations need — the repository, its runs, ghml.yml and, when GitHub
 * is reachable, the release target — for the CLI (`ghml model …`) and the action alike.
 */
import { openRepository, refreshRuns } from '../tracking/repository-context.js';
import type { RegistryContext } from './registration-workflow.js';
import { ReleaseClient } from './releases/release-client.js';
import { resolveReleaseTarget } from './releases/release-target.js';
import type { StageSort } from './registry-state.js';

export interface OpenRegistryOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  note: (message: string) => void;
  sort?: StageSort | undefined;
  /** False for read-only local commands: no fetch, no GitHub. Default true. */
  github?: boolean;
}

export async function openRegistryContext(options: OpenRegistryOptions): Promise<RegistryContext> {
  const repo = await openRepository(options.cwd);
  const context: RegistryContext = {
    git: repo.git,
    root: repo.root,
    cwd: options.cwd,
    config: repo.config,
    store: repo.store,
    env: options.env,
    note: options.note,
    ...(options.sort === undefined ? {} : { sort: options.sort }),
  };
  if (options.github === false) return context;
  await refreshRuns(repo, options.note);
  const remote = (await repo.git.remotes()).find((r) => r.name === repo.config.tracking.remote);
  const found = resolveReleaseTarget({ env: options.env, remoteUrl: remote?.fetchUrl });
  if (found.target) context.releases = new ReleaseClient(found.target);
  else context.noGitHubReason = found.reason;
  return context;
}
