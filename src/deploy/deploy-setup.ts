/**
 * Builds a DeployService for a repository folder from the real parts: git, ghml.yml, the tag
 * registry, kubectl on PATH, GitHub deployments from the environment, and the tracking branch.
 * The CLI and the action both call this, so they behave the same.
 */
import { loadConfigFor } from '../config/find-config.js';
import { createGit } from '../git/git.js';
import { RegistryService } from '../registry/registry-service.js';
import { openTrackingStore } from '../tracking/store/tracking-store.js';
import { trackingEventSink } from './deploy-event.js';
import { DeployService } from './deploy-service.js';
import { recorderFromEnv } from './github-deployment.js';
import { createKubectl } from './kubectl-runner.js';

export interface DeploySetupOptions {
  /** A folder inside the repository. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Progress and warnings (stderr). */
  log(message: string): void;
  /** The kubectl binary (default: GHML_KUBECTL, then 'kubectl' on PATH). */
  kubectl?: string;
}

export async function createDeployService(options: DeploySetupOptions): Promise<DeployService> {
  const git = await createGit(options.cwd, { env: options.env });
  const repoRoot = await git.topLevel();
  const config = await loadConfigFor(options.cwd, repoRoot);
  const registry = new RegistryService({
    git,
    settings: config.registry,
    remote: config.tracking.remote,
    warn: (message) => options.log(`ghml: warning: ${message}`),
  });
  const store = openTrackingStore(git, config.tracking);
  const binary = options.kubectl ?? options.env['GHML_KUBECTL'] ?? 'kubectl';
  return new DeployService({
    config,
    repoRoot,
    registry,
    kubectl: (target) =>
      createKubectl({
        env: options.env,
        binary,
        context: target.context,
        namespace: target.namespace,
      }),
    recorder: () => recorderFromEnv({ env: options.env }),
    events: {
      // Only a real deploy touches the tracking branch, so the remote check waits until then.
      async record(runId, event) {
        const sync = await git.hasRemote(config.tracking.remote);
        return trackingEventSink(store, { sync }).record(runId, event);
      },
    },
    log: options.log,
    env: options.env,
  });
}
