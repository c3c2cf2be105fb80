/**
 * Opens what registry operations need — the repository, its runs, ghml.yml, the artifact store
 * in force with the local cache and, when GitHub is reachable, the release target — for the
 * CLI (`ghml model …`) and the action alike.
 */
import { describeError } from '../errors/ghml-error.js';
import { openRepository, refreshRuns } from '../tracking/repository-context.js';
import type { RegistryContext } from './registration-workflow.js';
import type { StageSort } from './registry-state.js';

export interface OpenRegistryOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  note: (message: string) => void;
  sort?: StageSort | undefined;
  /** False for read-only local commands: no fetch, no GitHub, no artifact store. Default true. */
  github?: boolean;
  /**
   * The workflow's job token (the action's `token` input), presented only to GitHub's
   * container registry when it is the artifact store; never read from the environment here.
   */
  jobToken?: string;
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
  // Loaded here, not above: read-only commands (github: false) never need Octokit or the store.
  const [{ localCacheRoot, LocalContentStore }, { openArtifactStore }, releases, target] =
    await Promise.all([
      import('../artifacts/local-content-store.js'),
      import('../artifacts/store-settings.js'),
      import('./releases/release-client.js'),
      import('./releases/release-target.js'),
    ]);
  await refreshRuns(repo, options.note);
  const gitDir = await repo.git.gitDir();
  context.localCache = new LocalContentStore(localCacheRoot(gitDir));
  try {
    context.artifactStore = openArtifactStore({
      setting: repo.config.artifacts.store,
      env: options.env,
      gitDir,
      ...(options.jobToken === undefined ? {} : { jobToken: options.jobToken }),
    });
  } catch (error) {
    // Only a run whose files are in a store needs it; that path says why it is missing.
    context.artifactStore = null;
    context.artifactStoreProblem = describeError(error).split('\n')[0] ?? 'it could not be opened';
  }
  const remote = (await repo.git.remotes()).find((r) => r.name === repo.config.tracking.remote);
  const found = target.resolveReleaseTarget({ env: options.env, remoteUrl: remote?.fetchUrl });
  if (found.target) context.releases = new releases.ReleaseClient(found.target);
  else context.noGitHubReason = found.reason;
  return context;
}
