/** Opens what most commands need: the repository, its ghml.yml and its tracking branch. */
import { loadConfigFor } from '../config/find-config.js';
import type { GhmlConfig } from '../config/config-types.js';
import { createGit, type Git } from '../git/git.js';
import type { DataWarning } from './store/segment-files.js';
import { openTrackingStore, type TrackingStore } from './store/tracking-store.js';

export interface OpenRepository {
  git: Git;
  root: string;
  config: GhmlConfig;
  store: TrackingStore;
}

export interface OpenRepositoryOptions {
  /** Told once about each bad record a read skipped (the same message is not repeated). */
  warn?: DataWarning;
}

export async function openRepository(
  cwd: string,
  options: OpenRepositoryOptions = {},
): Promise<OpenRepository> {
  const git = await createGit(cwd);
  const root = await git.topLevel();
  const config = await loadConfigFor(cwd, root);
  const said = new Set<string>();
  const warn = options.warn;
  const store = openTrackingStore(git, {
    ...config.tracking,
    ...(warn
      ? {
          warn: (message: string) => {
            if (said.has(message)) return;
            said.add(message);
            warn(message);
          },
        }
      : {}),
  });
  return { git, root, config, store };
}

/**
 * Brings the remote's runs in before a read, when there is a remote. A failed fetch is not
 * fatal: local runs can still be read, so it is reported and the read goes on.
 */
export async function refreshRuns(
  repo: OpenRepository,
  warn: (message: string) => void,
): Promise<void> {
  if (!(await repo.git.hasRemote(repo.config.tracking.remote))) return;
  try {
    await repo.store.fetch();
  } catch (error) {
    warn(
      `ghml: could not fetch ${repo.config.tracking.branch} from ${repo.config.tracking.remote} (${(error as Error).message}); showing local runs`,
    );
  }
}
