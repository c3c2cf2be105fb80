/**
 * Opens the artifact store a CLI command uses (ghml.yml `artifacts.store`, else the
 * environment's default), or null when there is none. Credentials come from the environment
 * (GHML_REGISTRY_USERNAME/PASSWORD, or docker's config) and are never printed.
 */
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { openArtifactStore } from '../artifacts/store-settings.js';
import type { OpenRepository } from './open-repository.js';

export async function openCommandStore(
  repo: OpenRepository,
  env: NodeJS.ProcessEnv,
): Promise<ArtifactStore | null> {
  return openArtifactStore({
    setting: repo.config.artifacts.store,
    env,
    gitDir: await repo.git.gitDir(),
  });
}
