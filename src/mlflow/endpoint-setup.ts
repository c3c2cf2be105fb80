/**
 * Builds one MLflow endpoint over a repository: the experiment catalog, the run bridge, logged
 * models, the registry bridge and the route table, then listens. `ghml run` (run-endpoint.ts)
 * and `ghml server` (tracking-server.ts) differ only in the options they pass. Both reach the
 * artifact store the same way: runs they record upload their large files with `store` (the
 * environment and the job token), and downloads of large files read the store through it.
 */
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { openArtifactStore } from '../artifacts/store-settings.js';
import type { GhmlConfig } from '../config/config-types.js';
import type { Git } from '../git/git.js';
import { RegistryService } from '../registry/registry-service.js';
import { openTrackingStore } from '../tracking/store/tracking-store.js';
import { TokenCheck } from './http/bearer-token.js';
import { startEndpointServer, type ListeningEndpoint } from './http/endpoint-server.js';
import { Router } from './http/router.js';
import type { MlflowServices } from './mlflow-services.js';
import { RegistryBridge } from './registry/registry-bridge.js';
import { addArtifactRoutes } from './routes/artifact-routes.js';
import { addExperimentRoutes } from './routes/experiment-routes.js';
import { addLoggedModelRoutes } from './routes/logged-model-routes.js';
import { addRegistryRoutes } from './routes/registry-routes.js';
import { addRunRoutes } from './routes/run-routes.js';
import { ExperimentCatalog } from './runs/experiment-catalog.js';
import { LoggedModels } from './runs/logged-models.js';
import { RunBridge, type RunOrigin } from './runs/run-bridge.js';
import type { RunRecord } from '../tracking/run-record.js';
import type { StoreAccess } from '../tracking/run-recorder.js';

/** JSON bodies up to this size (MLflow caps log-batch at 1 MB; this leaves room for others). */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;
/** Artifact uploads up to this size by default. */
export const DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024 * 1024;

export interface EndpointSetupOptions {
  git: Git;
  config: GhmlConfig;
  cwd: string;
  host: string;
  port: number;
  /** Bearer token every request must carry; undefined: none (loopback only, checked by callers). */
  token?: string;
  origin: () => Promise<RunOrigin>;
  /** How recorded runs and downloads reach the artifact store (environment, job token). */
  store: StoreAccess;
  log: (message: string) => void;
  onRecorded?: (record: RunRecord) => void;
  onChanged?: () => void;
  maxUploadBytes?: number;
}

export interface MlflowEndpoint {
  services: MlflowServices;
  listening: ListeningEndpoint;
}

export async function setUpEndpoint(options: EndpointSetupOptions): Promise<MlflowEndpoint> {
  const { git, config, log } = options;
  const gitDir = await git.gitDir();
  const store = openTrackingStore(git, config.tracking);
  const experiments = new ExperimentCatalog(
    store,
    gitDir,
    config.defaultExperiment,
    Object.keys(config.experiments),
  );
  await experiments.load();
  const runs = new RunBridge({
    git,
    gitDir,
    config,
    store,
    experiments,
    cwd: options.cwd,
    origin: options.origin,
    storeAccess: options.store,
    log,
    ...(options.onRecorded === undefined ? {} : { onRecorded: options.onRecorded }),
    ...(options.onChanged === undefined ? {} : { onChanged: options.onChanged }),
  });
  const models = new LoggedModels(runs);
  const hasRemote = () => git.hasRemote(config.tracking.remote);
  const service = new RegistryService({
    git,
    settings: config.registry,
    remote: config.tracking.remote,
    fetch: true,
    warn: log,
  });
  const registry = new RegistryBridge({ service, runs, models, push: hasRemote, log });
  const services: MlflowServices = {
    git,
    gitDir,
    config,
    store,
    experiments,
    runs,
    models,
    registry,
    maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    artifactStore: artifactStoreOpener(config, options.store, gitDir),
    log,
  };
  const router = new Router();
  addExperimentRoutes(router, services);
  addRunRoutes(router, services);
  addLoggedModelRoutes(router, services);
  addArtifactRoutes(router, services);
  addRegistryRoutes(router, services);
  const listening = await startEndpointServer(
    {
      router,
      ...(options.token === undefined ? {} : { token: new TokenCheck(options.token) }),
      maxJsonBytes: MAX_JSON_BYTES,
      log,
    },
    { host: options.host, port: options.port },
  );
  return { services, listening };
}

/** Opens the artifact store on first use (reads only), once; null when there is none. */
function artifactStoreOpener(
  config: GhmlConfig,
  access: StoreAccess,
  gitDir: string,
): () => ArtifactStore | null {
  let opened: { store: ArtifactStore | null } | undefined;
  return () => {
    opened ??= {
      store: openArtifactStore({
        setting: config.artifacts.store,
        env: access.env,
        gitDir,
        ...(access.token ? { jobToken: access.token } : {}),
      }),
    };
    return opened.store;
  };
}
