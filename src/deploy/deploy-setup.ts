/**
 * Builds a DeployService for a repository folder from the real parts: git, ghml.yml, the tag
 * registry, kubectl on PATH, GitHub deployments from the environment, the tracking branch and
 * the artifact store (for `--modelcar`).
 * The CLI and the action both call this, so they behave the same.
 */
import { localCacheRoot, LocalContentStore } from '../artifacts/local-content-store.js';
import { RegistryClient } from '../artifacts/oci/registry-client.js';
import { authHint, credentialProvider } from '../artifacts/oci/registry-credentials.js';
import { openArtifactStore } from '../artifacts/store-settings.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { loadConfigFor } from '../config/find-config.js';
import { describeError } from '../errors/ghml-error.js';
import { createGit } from '../git/git.js';
import { RegistryService } from '../registry/registry-service.js';
import { openTrackingStore } from '../tracking/store/tracking-store.js';
import { trackingEventSink } from './deploy-event.js';
import { DeployService } from './deploy-service.js';
import { recorderFromEnv } from './github-deployment.js';
import { createKubectl } from './kube/kubectl-runner.js';
import { modelcarBuilder } from './delivery/modelcar-deploy.js';

export interface DeploySetupOptions {
  /** A folder inside the repository. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Progress and warnings (stderr). */
  log(message: string): void;
  /** The kubectl binary (default: GHML_KUBECTL, then 'kubectl' on PATH). */
  kubectl?: string;
  /** The workflow's job token (the action's), for GitHub's container registry. */
  jobToken?: string;
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
  const gitDir = await git.gitDir();
  // The store is opened lazily by nothing but `--modelcar` and rollbacks to a modelcar; an
  // unusable setting is only an error for those, and says why there.
  let artifactStore: ArtifactStore | null = null;
  let storeProblem: string | undefined;
  try {
    artifactStore = openArtifactStore({
      setting: config.artifacts.store,
      env: options.env,
      gitDir,
      ...(options.jobToken === undefined ? {} : { jobToken: options.jobToken }),
    });
  } catch (error) {
    storeProblem = describeError(error).split('\n')[0] ?? 'it could not be opened';
  }
  const modelcars = modelcarBuilder({
    store: artifactStore,
    ...(storeProblem === undefined ? {} : { storeProblem }),
    tracking: store,
    cache: new LocalContentStore(localCacheRoot(gitDir)),
    clientFor: (registry) =>
      new RegistryClient({
        registry,
        credentials: credentialProvider(registry, { env: options.env }),
        authHint: (access, credential) => authHint(registry, access, credential, options.env),
      }),
  });
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
    modelcars,
  });
}
