/**
 * Builds one MLflow endpoint over a repository: the experiment catalog, the run bridge, logged
 * models, the registry bridge and the route table, then listens. `ghml run` (run-endpoint.ts)
 * and `ghml server` (tracking-server.ts) differ only in the options they pass.
 */
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
