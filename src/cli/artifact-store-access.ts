/**
 * Opens the artifact store a CLI command uses (ghml.yml `artifacts.store`, else the
 * environment's default), or null when there is none, and says how runs a command records reach
 * it. Credentials come from the environment (GHML_REGISTRY_USERNAME/PASSWORD, or docker's
 * config); on GitHub Actions (GITHUB_ACTIONS=true) the workflow's GITHUB_TOKEN is the job token,
 * which is only ever presented to GitHub's container registry. Nothing here prints a secret.
 */
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { openArtifactStore } from '../artifacts/store-settings.js';
import type { StoreAccess } from '../tracking/run-recorder.js';
import type { OpenRepository } from './open-repository.js';

/** The job token of a command run in a workflow step, or undefined outside Actions. */
export function commandJobToken(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GITHUB_ACTIONS !== 'true') return undefined;
  const token = env.GITHUB_TOKEN?.trim();
  return token === undefined || token === '' ? undefined : token;
}

/** How runs recorded by a command (e.g. `ghml server`) reach the artifact store. */
export function commandStoreAccess(env: NodeJS.ProcessEnv): StoreAccess {
  return { env, token: commandJobToken(env) };
}

export async function openCommandStore(
  repo: OpenRepository,
  env: NodeJS.ProcessEnv,
): Promise<ArtifactStore | null> {
  const jobToken = commandJobToken(env);
  return openArtifactStore({
    setting: repo.config.artifacts.store,
    env,
    gitDir: await repo.git.gitDir(),
    ...(jobToken === undefined ? {} : { jobToken }),
  });
}
