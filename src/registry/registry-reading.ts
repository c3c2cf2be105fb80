/**
 * The registry service for a context, and its state: all that `ghml model list`, `show` and
 * `which` need. Kept apart from the registration workflow, whose releases, artifact store and
 * archive code these read-only commands never load.
 */
import type { RegistryContext } from './registration-workflow.js';
import { RegistryService } from './registry-service.js';
import type { RegistryState } from './registry-state.js';

export function registryService(context: RegistryContext): RegistryService {
  return new RegistryService({
    git: context.git,
    settings: context.config.registry,
    remote: context.config.tracking.remote,
    fetch: context.fetchTags ?? true,
    warn: context.note,
    ...(context.sort === undefined ? {} : { sort: context.sort }),
    ...(context.now === undefined ? {} : { now: context.now }),
  });
}

export async function readRegistryState(context: RegistryContext): Promise<RegistryState> {
  return registryService(context).list();
}
